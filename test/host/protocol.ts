// Messages between the tests running inside the VS Code extension host and the harness driving
// the browser. Host → harness: a console line `MARKER + JSON` (VS Code forwards extension-host
// console output to the page's `codeAutomationLog`). Harness → host: a reply file
// `$BNAS_HOST_CONTROL/ui-ID.json` (the extension host inherits the server's environment).

/** Prefix of every harness message in the extension host's console output. */
export const MARKER = '[bnas-host] ';

/** Environment variable naming the folder where the harness writes UI replies. */
export const CONTROL_ENV = 'BNAS_HOST_CONTROL';

/** The extension under test finished activating. `at` is `Date.now()` in the extension host. */
export interface ActivatedMessage {
  readonly kind: 'activated';
  readonly extensionId: string;
  readonly at: number;
}

/** A UI action only the browser side can perform. */
export type UiRequest = { readonly kind: 'ui'; readonly id: number; readonly timeoutMs?: number } & (
  | { readonly action: 'palette'; readonly label: string }
  | { readonly action: 'screenshot'; readonly path: string }
  /** Resolves with the text of the first element matching `selector` whose text matches `pattern`. */
  | { readonly action: 'waitText'; readonly selector: string; readonly pattern?: string }
  /** Clicks the first element matching `selector` whose text matches `pattern`, once it shows; resolves with its text. */
  | { readonly action: 'click'; readonly selector: string; readonly pattern?: string }
  /** Resolves with the quick input's text once it matches `pattern` (e.g. a save dialog's path). */
  | { readonly action: 'waitInput'; readonly pattern: string }
  /** Text of the first element matching `selector` in any frame (webviews are nested iframes). */
  | { readonly action: 'frameText'; readonly selector: string }
  /** Chooses the quick-pick entry whose label contains `label`. */
  | { readonly action: 'pick'; readonly label: string }
  /** Presses a key (Playwright key name, e.g. `Enter`, `Escape`). */
  | { readonly action: 'key'; readonly key: string }
);

/** How a `pick` failure begins when the quick pick was closed under it, not missing the entry. */
export const QUICK_PICK_CLOSED = 'the quick pick closed';

/** The harness's answer to a `UiRequest`. */
export interface UiReply {
  readonly id: number;
  readonly ok: boolean;
  readonly detail: string;
}

/** One finished test. */
export interface TestOutcome {
  readonly title: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly ms?: number;
  readonly error?: string;
}

/** The suite finished; sent just before `run()` settles. */
export interface ResultMessage {
  readonly kind: 'result';
  readonly tests: readonly TestOutcome[];
}

/** A measurement to record (milliseconds unless the name says otherwise). */
export interface MetricMessage {
  readonly kind: 'metric';
  readonly name: string;
  readonly value: number;
}

/** A line for the harness report, e.g. why a scenario was skipped. */
export interface NoteMessage {
  readonly kind: 'note';
  readonly text: string;
}

/** Every message the host side sends. */
export type HostMessage = ActivatedMessage | UiRequest | ResultMessage | MetricMessage | NoteMessage;
