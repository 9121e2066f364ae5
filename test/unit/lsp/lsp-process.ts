/**
 * Drives a real `.bnas` language server process over stdio with the Language Server Protocol,
 * as an editor would: used by the end-to-end test and by `bench/language-server/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentFormattingRequest,
  ExitNotification,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Hover,
  type InitializeResult,
  type Position,
  type ProtocolConnection,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';

/** Project root (this file is test/unit/lsp/). */
export const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * Bundles the language server like `scripts/build.mjs` does (CommonJS, groupBy polyfill first)
 * into a temporary folder, so tests exercise the shipped form without a full build.
 * @returns the path of the bundle.
 */
export async function bundleServer(): Promise<string> {
  const esbuild = await import('esbuild');
  const { readFileSync } = await import('node:fs');
  const outfile = join(mkdtempSync(join(tmpdir(), 'bnas-ls-')), 'language-server.cjs');
  await esbuild.build({
    entryPoints: [join(ROOT, 'runtime/dsl/server/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    external: ['vscode', '@tensorflow/*'],
    banner: { js: readFileSync(join(ROOT, 'scripts/polyfills.cjs'), 'utf8') },
  });
  return outfile;
}

/** A running server and a client connection to it. */
export class LspProcess {
  readonly connection: ProtocolConnection;
  private readonly diagnosticWaiters = new Map<string, ((d: Diagnostic[]) => void)[]>();
  private readonly stderr: string[] = [];
  private version = 0;

  private constructor(readonly child: ChildProcess) {
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    child.stderr!.on('data', (b: Buffer) => this.stderr.push(b.toString()));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const waiters = this.diagnosticWaiters.get(p.uri) ?? [];
      this.diagnosticWaiters.delete(p.uri);
      for (const w of waiters) w(p.diagnostics);
    });
    this.connection.listen();
  }

  /** Starts `node <bundle> --stdio`. */
  static start(bundle: string): LspProcess {
    return new LspProcess(spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Sends `initialize` and `initialized`; resolves with the server's capabilities. */
  async initialize(rootDir = ROOT): Promise<InitializeResult> {
    const result = await this.withTimeout(
      this.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: pathToFileURL(rootDir).href,
        workspaceFolders: null,
        capabilities: {
          textDocument: {
            completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown'] } },
            hover: { contentFormat: ['markdown'] },
            publishDiagnostics: {},
          },
        },
      }),
      'initialize',
    );
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  /** Opens a document and resolves with the first diagnostics the server publishes for it. */
  async open(uri: string, text: string): Promise<Diagnostic[]> {
    const published = this.nextDiagnostics(uri);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'bnas', version: ++this.version, text },
    });
    return this.withTimeout(published, `diagnostics of ${uri}`);
  }

  /** Replaces a document's text; resolves with the diagnostics published for the new version. */
  async change(uri: string, text: string): Promise<Diagnostic[]> {
    const published = this.nextDiagnostics(uri);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: ++this.version },
      contentChanges: [{ text }],
    });
    return this.withTimeout(published, `diagnostics of ${uri}`);
  }

  /** Completion items at a position. */
  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const r = await this.withTimeout(this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position }), 'completion');
    return Array.isArray(r) ? r : ((r as CompletionList | null)?.items ?? []);
  }

  /** Hover at a position. */
  async hover(uri: string, position: Position): Promise<Hover | null> {
    return this.withTimeout(this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position }), 'hover');
  }

  /** Formatting edits for a document. */
  async format(uri: string): Promise<TextEdit[]> {
    const r = await this.withTimeout(
      this.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }),
      'formatting',
    );
    return r ?? [];
  }

  private nextDiagnostics(uri: string): Promise<Diagnostic[]> {
    return new Promise<Diagnostic[]>((res) => {
      const list = this.diagnosticWaiters.get(uri) ?? [];
      list.push(res);
      this.diagnosticWaiters.set(uri, list);
    });
  }

  /** Shuts the server down politely, then makes sure the process is gone. */
  async stop(): Promise<void> {
    try {
      await this.withTimeout(this.connection.sendRequest(ShutdownRequest.type), 'shutdown', 5000);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // The process may already be gone; it is killed below either way.
    }
    const exited = new Promise<void>((res) => (this.child.exitCode !== null ? res() : this.child.once('exit', () => res())));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }

  /** What the server wrote on stderr (for failure messages). */
  get errorOutput(): string {
    return this.stderr.join('');
  }

  private withTimeout<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`language server: no answer to ${what} within ${ms} ms. stderr:\n${this.errorOutput}`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}
