/**
 * The language client of the `.bnas` search-space language: starts the language server bundle
 * (`dist/language-server.cjs`, Langium, no TensorFlow.js) as a Node child process over IPC and
 * connects every open `.bnas` document (files and untitled editors) to it.
 *
 * Editing and validation work in untrusted workspaces: the server only reads the documents and,
 * for `path` checks, the file system; it never runs user code.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { BnasContext } from '../context.js';

/** Language id declared in package.json (`contributes.languages`). */
export const BNAS_LANGUAGE_ID = 'bnas';

/** Path of the server bundle inside the extension. */
export const LANGUAGE_SERVER_BUNDLE = 'dist/language-server.cjs';

/** The documents the server handles: `.bnas` files on disk and untitled `.bnas` editors. */
export const BNAS_DOCUMENT_SELECTOR = [
  { scheme: 'file', language: BNAS_LANGUAGE_ID },
  { scheme: 'untitled', language: BNAS_LANGUAGE_ID },
] as const;

/** How long activation waits for the server's first answer before reporting it as stuck. */
const START_TIMEOUT_MS = 30_000;

/** The running language client, as other features see it. */
export interface BnasLanguageClient extends vscode.Disposable {
  /** The vscode-languageclient instance (for custom requests, state events). */
  readonly client: LanguageClient;
  /** Resolves once the server answered `initialize`; rejects if it failed or timed out. */
  readonly ready: Promise<void>;
  /** Stops and starts the server again (after a crash the client retries on its own). */
  restart(): Promise<void>;
}

declare module '../context.js' {
  interface BnasParts {
    /** The `.bnas` language client. */
    language: BnasLanguageClient;
  }
}

/** Client options for the `.bnas` language server; exported for tests of the wiring. */
export function bnasClientOptions(log: vscode.LogOutputChannel): LanguageClientOptions {
  return {
    documentSelector: BNAS_DOCUMENT_SELECTOR.map((s) => ({ ...s })),
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
 * Creates and starts the language client. Activation does not wait for the server: a slow or
 * broken server must not hold up the rest of the extension. A start failure is logged and
 * shown once with an "Open Log" action.
 */
export function startLanguageClient(ctx: BnasContext): BnasLanguageClient {
  const client = new LanguageClient(
    BNAS_LANGUAGE_ID,
    'BNAS Language Server',
    bnasServerOptions(ctx.asAbsolutePath(LANGUAGE_SERVER_BUNDLE)),
    bnasClientOptions(ctx.log),
  );

  const start = (): Promise<void> =>
    withTimeout(client.start(), START_TIMEOUT_MS, 'the BNAS language server did not answer within 30 s');

  const ready = start().catch((e: unknown) => {
    ctx.log.error('BNAS language server failed to start', e);
    void vscode.window
      .showErrorMessage(`BNAS: the language server failed to start (${messageOf(e)}).`, 'Open Log')
      .then((choice) => {
        if (choice === 'Open Log') ctx.log.show();
      });
    throw e;
  });
  // `ready` is for callers that care; an unobserved rejection must not crash the host.
  ready.catch(() => undefined);

  return {
    client,
    ready,
    async restart() {
      if (client.isRunning()) await client.stop();
      await start();
    },
    async dispose() {
      // dispose() stops the server and waits for it, with the client's own shutdown timeout.
      await client.dispose();
    },
  };
}

/** Registers the language feature: the client is a context part named `language`. */
export function registerLanguage(ctx: BnasContext): void {
  const language = ctx.provide('language', startLanguageClient(ctx));
  ctx.own(languageStatus(language));
}

/**
 * The `{}` item in the status bar while a `.bnas` file is open: says whether the language server
 * runs (busy while it starts, an error when it stopped) and opens the log.
 */
function languageStatus(language: BnasLanguageClient): vscode.Disposable {
  const item = vscode.languages.createLanguageStatusItem('bnas.languageServer', { language: BNAS_LANGUAGE_ID });
  item.name = 'BNAS Language Server';
  item.command = { title: 'Open Log', command: 'bnas.showLog' };
  const show = (state: State): void => {
    item.busy = state === State.Starting;
    item.severity = state === State.Stopped ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    item.text = state === State.Running ? 'BNAS' : state === State.Starting ? 'BNAS: starting' : 'BNAS: language server stopped';
    item.detail = state === State.Running ? 'validation, completion and formatting are on' : state === State.Stopped ? 'see the log' : undefined;
  };
  show(language.client.state);
  const sub = language.client.onDidChangeState((e) => show(e.newState));
  language.ready.catch(() => show(State.Stopped));
  return vscode.Disposable.from(sub, item);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
