/**
 * What the two webview panels share: options that keep the page to `dist/media`, the HTML shell,
 * validated messages in both directions and the ready handshake (data is only posted after the
 * page said `ready`; a reloaded page says it again and gets everything again).
 */
import * as vscode from 'vscode';
import { checkFromWebviewMessage, viewScripts, type FromWebviewMessage, type ToWebviewMessage } from '../../runtime/protocol/webview.js';
import type { BnasContext } from '../context.js';
import { webviewHtml } from './webview-html.js';

/** Folder of the webview bundles, relative to the extension root. */
export const MEDIA_FOLDER = ['dist', 'media'] as const;


/** Webview options: scripts on, resources only from `dist/media`. */
export function webviewOptions(ctx: BnasContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, ...MEDIA_FOLDER)],
    // The page keeps its state through getState/setState and re-asks with `ready`, so it need not
    // be kept alive (and use memory) while hidden.
    retainContextWhenHidden: false,
    enableFindWidget: true,
  };
}

/** Base class: owns the panel's disposables and the handshake. */
export abstract class PanelBase implements vscode.Disposable {
  protected readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  private readyWaiters: ((ready: boolean) => void)[] = [];

  constructor(
    protected readonly ctx: BnasContext,
    readonly panel: vscode.WebviewPanel,
    bundle: 'run' | 'search-space',
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(ctx);
    const mediaRoot = vscode.Uri.joinPath(ctx.extension.extensionUri, ...MEDIA_FOLDER);
    const media = vscode.Uri.joinPath(mediaRoot, bundle);
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUris: viewScripts(bundle).map((path) => webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, ...path.split('/'))).toString()),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'main.css')).toString(),
      title: panel.title,
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const checked = checkFromWebviewMessage(raw);
        if (!checked.ok) {
          ctx.log.warn(`${panel.viewType}: ignored a malformed message from the webview (${checked.reason})`, raw);
          return;
        }
        const message = checked.value;
        if (message.type === 'ready') {
          this.ready = true;
          for (const w of this.readyWaiters.splice(0)) w(true);
        }
        Promise.resolve(this.onMessage(message)).catch((e: unknown) => {
          ctx.log.error(`${panel.viewType}: handling ${message.type} failed`, e);
          void this.post({ type: 'notice', level: 'error', message: `BNAS: ${e instanceof Error ? e.message : String(e)}` });
        });
      }),
      // A hidden page is torn down (no retained context): wait for its next `ready`.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** True once the page has said `ready` (it may reload later and say it again). */
  protected get isReady(): boolean {
    return this.ready;
  }

  /** Resolves true at the page's next `ready` (or now if ready), false after `timeoutMs` or on close. */
  protected whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.disposed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (ok: boolean) => {
        clearTimeout(timer);
        this.readyWaiters = this.readyWaiters.filter((w) => w !== settle);
        resolve(ok);
      };
      this.readyWaiters.push(settle);
    });
  }

  /** Posts a message if the page is ready; returns whether it was delivered. */
  protected async post(message: ToWebviewMessage): Promise<boolean> {
    if (!this.ready || this.disposed) return false;
    return this.panel.webview.postMessage(message);
  }

  protected abstract onMessage(message: FromWebviewMessage): void | Promise<void>;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.readyWaiters.splice(0)) w(false);
    this.onDispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  protected onDispose(): void {}

  get isDisposed(): boolean {
    return this.disposed;
  }
}
