// The host suites: one code-server + browser session each, because they need different server
// settings (Workspace Trust on or off, the extension installed from the .vsix or loaded from the
// source tree). Each has a tests module test/host/suites/NAME.ts.

/** One host suite. */
export interface SuiteSpec {
  readonly name: string;
  readonly description: string;
  /** Fixture folder under test/host/fixtures/ copied as the workspace. */
  readonly workspace: string;
  /** false: Workspace Trust is enforced and the workspace stays untrusted (restricted mode). */
  readonly trusted: boolean;
  /** 'vsix': install the packaged .vsix and test that copy instead of the source tree. */
  readonly install?: 'vsix';
  readonly timeoutMs: number;
  readonly userSettings?: Readonly<Record<string, unknown>>;
  /** Also runs under @vscode/test-electron (needs no browser UI actions). */
  readonly electron?: boolean;
}

/** Every suite, in run order. */
export const SUITES: readonly SuiteSpec[] = [
  {
    name: 'editor',
    description: 'activation, diagnostics, completion and hover in a trusted workspace',
    workspace: 'workspace',
    trusted: true,
    timeoutMs: 180_000,
    electron: true,
  },
  {
    name: 'runs',
    description: 'searches from the command palette: progress, runs view, files on disk, stop/resume, export',
    workspace: 'workspace',
    trusted: true,
    timeoutMs: 900_000,
  },
  {
    name: 'untrusted',
    description: 'Restricted Mode: diagnostics work, Run Search is refused with the reason',
    workspace: 'workspace',
    trusted: false,
    timeoutMs: 180_000,
    // Restricted Mode without the startup dialog: the workspace simply stays untrusted.
    userSettings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' },
  },
  {
    name: 'vsix',
    description: 'the packaged .vsix installed with --install-extension: activation, diagnostics, a search with the shipped runtime',
    workspace: 'workspace',
    trusted: true,
    install: 'vsix',
    timeoutMs: 360_000,
  },
];
