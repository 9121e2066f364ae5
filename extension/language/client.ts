/**
 * The language client of the `.bnas` search-space language: starts the language server bundle
 * (`dist/language-server.cjs`, Langium, no TensorFlow.js) as a Node child process over IPC and
 * connects every open `.bnas` document (files and untitled editors) to it.
 *
 * Editing and validation work in untrusted workspaces: the server only reads the documents and,
 * for `path` checks, the file system; it never runs user code.
 */
import { createRequire } from 'node:module';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { BnasContext } from '../context.js';
import type * as ClientImpl from './client-impl.js';

/** Language id declared in package.json (`contributes.languages`). */
export const BNAS_LANGUAGE_ID = 'bnas';

/** Path of the server bundle inside the extension. */
export const LANGUAGE_SERVER_BUNDLE = 'dist/language-server.cjs';

/**
 * The client half that needs `vscode-languageclient` (about 900 KB), built on its own by
 * scripts/build.mjs from `client-impl.ts`. Loading it is most of what activation used to cost,
 * so activation schedules it instead of bundling it.
 */
export const LANGUAGE_CLIENT_BUNDLE = 'dist/language-client.cjs';

/** The documents the server handles: `.bnas` files on disk and untitled `.bnas` editors. */
export const BNAS_DOCUMENT_SELECTOR = [
  { scheme: 'file', language: BNAS_LANGUAGE_ID },
  { scheme: 'untitled', language: BNAS_LANGUAGE_ID },
] as const;

/** How long activation waits for the server's first answer before reporting it as stuck. */
const START_TIMEOUT_MS = 30_000;

/** The running language client, as other features see it. */
export interface BnasLanguageClient extends vscode.Disposable {
  /**
   * The vscode-languageclient instance (for custom requests, state events), once its bundle is
   * loaded (shortly after activation); undefined before, or when loading it failed.
   */
  readonly client: LanguageClient | undefined;
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

/**
 * Loads `dist/language-client.cjs` beside the extension bundle with a real run-time `require`
 * (through `createRequire`, which esbuild leaves alone), so it is not bundled into extension.cjs.
 */
export function loadClientImpl(ctx: BnasContext): typeof ClientImpl {
  const bundle = ctx.asAbsolutePath(LANGUAGE_CLIENT_BUNDLE);
  return createRequire(bundle)(bundle) as typeof ClientImpl;
}

/**
 * Creates and starts the language client. Activation does not wait for the server: a slow or
 * broken server must not hold up the rest of the extension. A start failure is logged and
 * shown once with an "Open Log" action.
 */
export function startLanguageClient(ctx: BnasContext, load: () => typeof ClientImpl = () => loadClientImpl(ctx)): BnasLanguageClient {
  let client: LanguageClient | undefined;
  let disposed = false;
  // The client bundle is loaded on the next tick: activation returns first, the server starts
  // right after, and the user sees no difference except a faster activation.
  const created = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
    if (disposed) throw new Error('the BNAS extension was deactivated before the language server started');
    client = load().createLanguageClient(ctx.asAbsolutePath(LANGUAGE_SERVER_BUNDLE), ctx.log);
    return client;
  });

  const start = async (): Promise<void> =>
    withTimeout((await created).start(), START_TIMEOUT_MS, 'the BNAS language server did not answer within 30 s');

  const ready = start().catch((e: unknown) => {
    // Deactivated before the server started: nothing failed that the user should hear about.
    if (disposed) throw e;
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
    get client() {
      return client;
    },
    ready,
    async restart() {
      const c = await created;
      if (c.isRunning()) await c.stop();
      await start();
    },
    async dispose() {
      disposed = true;
      // dispose() stops the server and waits for it, with the client's own shutdown timeout.
      await client?.dispose();
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
  const show = (state: 'starting' | 'running' | 'stopped'): void => {
    item.busy = state === 'starting';
    item.severity = state === 'stopped' ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    item.text = state === 'running' ? 'BNAS' : state === 'starting' ? 'BNAS: starting' : 'BNAS: language server stopped';
    item.detail = state === 'running' ? 'validation, completion and formatting are on' : state === 'stopped' ? 'see the log' : undefined;
  };
  // Until the client bundle is loaded the server is, as far as the user is concerned, starting.
  show('starting');
  const subs: vscode.Disposable[] = [item];
  let disposed = false;
  let following = false;
  const follow = (): void => {
    const c = language.client;
    if (!c || disposed || following) return;
    following = true;
    // vscode-languageclient's State enum: Stopped = 1, Running = 2, Starting = 3.
    const name = (s: number): 'starting' | 'running' | 'stopped' => (s === 2 ? 'running' : s === 3 ? 'starting' : 'stopped');
    show(name(c.state));
    subs.push(c.onDidChangeState((e) => show(name(e.newState))));
  };
  language.ready.then(follow, () => {
    follow();
    show('stopped');
  });
  // Also follow the states before `ready` settles (the client exists once its bundle is loaded).
  setImmediate(() => setImmediate(follow));
  return {
    dispose() {
      disposed = true;
      for (const d of subs) d.dispose();
    },
  };
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
