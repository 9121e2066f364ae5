/**
 * The sweep view: one panel per sweep folder, live as the sweep manager re-reads `sweep.json`.
 * It shares the run view's page shell (strict CSP with a nonce, scripts and CSS only from
 * `dist/media`) and handshake (state is sent after each `ready`); its messages have their own
 * schemas (runtime/protocol/sweep-view.ts). Trials open in the ordinary run view.
 */
import { basename, resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import { checkFromSweepView, SWEEP_VIEW_SCRIPTS, type FromSweepView, type SweepViewData, type ToSweepView } from '../../runtime/protocol/sweep-view.js';
import type { BnasContext } from '../context.js';
import { MEDIA_FOLDER, webviewOptions } from './panel-base.js';
import { RunPanel } from './run-panel.js';
import { webviewHtml } from './webview-html.js';

export const SWEEP_VIEW_TYPE = 'bnas.sweepView';

export class SweepPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, SweepPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;

  /** Opens (or reveals) the view of the sweep folder `dir`. */
  static show(ctx: BnasContext, dir: string): SweepPanel {
    const key = resolve(dir);
    const existing = SweepPanel.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(SWEEP_VIEW_TYPE, `Sweep: ${basename(key)}`, vscode.ViewColumn.Active, {});
    return new SweepPanel(ctx, panel, key);
  }

  /** Restores a panel after a window reload; `state` is what the page saved (`{ dir }`). */
  static revive(ctx: BnasContext, panel: vscode.WebviewPanel, state: unknown): SweepPanel | undefined {
    const dir = typeof state === 'object' && state !== null ? (state as { dir?: unknown }).dir : undefined;
    if (typeof dir !== 'string') {
      panel.dispose();
      return undefined;
    }
    return new SweepPanel(ctx, panel, resolve(dir));
  }

  private constructor(
    private readonly ctx: BnasContext,
    readonly panel: vscode.WebviewPanel,
    readonly dir: string,
  ) {
    SweepPanel.panels.set(dir, this);
    const webview = panel.webview;
    webview.options = webviewOptions(ctx);
    const mediaRoot = vscode.Uri.joinPath(ctx.extension.extensionUri, ...MEDIA_FOLDER);
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUris: SWEEP_VIEW_SCRIPTS.map((p) => webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, ...p.split('/'))).toString()),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'sweep', 'main.css')).toString(),
      title: panel.title,
    });
    const sweeps = ctx.get('sweeps');
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const checked = checkFromSweepView(raw);
        if (!checked.ok) return void ctx.log.warn(`sweep view: ignored a malformed message (${checked.reason})`, raw);
        Promise.resolve(this.onMessage(checked.value)).catch((e: unknown) => {
          ctx.log.error(`sweep view: handling ${checked.value.type} failed`, e);
          void this.post({ type: 'notice', level: 'error', message: `BNAS: ${e instanceof Error ? e.message : String(e)}` });
        });
      }),
      // A hidden page is torn down (no retained context): it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
      toVscode(sweeps.onDidChange((s) => {
        if (s.dir === this.dir) void this.sendState();
      })),
    );
  }

  private data(): SweepViewData {
    const s = this.ctx.get('sweeps').get(this.dir);
    return { dir: this.dir, title: basename(this.dir), running: s?.running ?? false, failure: s?.failure, sweep: s?.sweep, progress: s?.progress };
  }

  private sendState(): Promise<boolean> {
    return this.post({ type: 'sweepState', data: this.data() });
  }

  private async onMessage(m: FromSweepView): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.sendState();
        return;
      case 'openTrial': {
        const trial = this.data().sweep?.trials.find((t) => t.id === m.trial);
        const runDir = trial && resolve(this.dir, trial.run);
        // Only folders inside the sweep: the id comes from the page, the path from sweep.json.
        if (!runDir || !runDir.startsWith(this.dir + sep)) return void this.post({ type: 'notice', level: 'error', message: 'BNAS: no such trial in this sweep.' });
        RunPanel.show(this.ctx, runDir);
        return;
      }
      case 'cancel':
        await vscode.commands.executeCommand('bnas.cancelSweep', this.dir);
        return;
      case 'resume':
        await vscode.commands.executeCommand('bnas.resumeSweep', this.dir);
        return;
    }
  }

  private async post(message: ToSweepView): Promise<boolean> {
    if (!this.ready || this.disposed) return false;
    return this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (SweepPanel.panels.get(this.dir) === this) SweepPanel.panels.delete(this.dir);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** Closes every sweep panel (deactivation). */
  static disposeAll(): void {
    for (const p of [...SweepPanel.panels.values()]) p.dispose();
  }
}

function toVscode(d: { dispose(): unknown }): vscode.Disposable {
  return { dispose: () => void d.dispose() };
}
