/**
 * The heavy half of the `.bnas` language client: everything that needs `vscode-languageclient`
 * (about 900 KB). Built on its own into `dist/language-client.cjs` and loaded by
 * `extension/language/client.ts` after activation, so loading the extension bundle stays fast.
 * Import nothing from here statically in the extension bundle (types only).
 */
import type * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

/** Language id declared in package.json (`contributes.languages`). */
const BNAS_LANGUAGE_ID = 'bnas';

/** Client options for the `.bnas` language server; exported for tests of the wiring. */
export function bnasClientOptions(log: vscode.LogOutputChannel): LanguageClientOptions {
  return {
    documentSelector: [
      { scheme: 'file', language: BNAS_LANGUAGE_ID },
      { scheme: 'untitled', language: BNAS_LANGUAGE_ID },
    ],
    // Server messages and traces go to the one "BNAS" log the user opens with "Show Log".
    outputChannel: log,
    traceOutputChannel: log,
    // Problems appear as the user types; the client must not pop the log open on every error.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    diagnosticCollectionName: BNAS_LANGUAGE_ID,
    initializationOptions: {},
  };
}

/** Server options: the bundle as a Node module over IPC; debug mode opens an inspector. */
export function bnasServerOptions(serverModule: string): ServerOptions {
  return {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6009'] },
    },
  };
}

/**
 * Creates (does not start) the language client for the server bundle at `serverModule`.
 * @param serverModule absolute path of `dist/language-server.cjs`.
 * @param log the "BNAS" log channel.
 */
export function createLanguageClient(serverModule: string, log: vscode.LogOutputChannel): LanguageClient {
  return new LanguageClient(BNAS_LANGUAGE_ID, 'BNAS Language Server', bnasServerOptions(serverModule), bnasClientOptions(log));
}
