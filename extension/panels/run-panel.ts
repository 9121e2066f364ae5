/**
 * The run view panel: one per run (live or read from disk). Sends everything known after each
 * `ready`, then live events in batches (one message per 100 ms rather than one per event), and
 * answers export requests. Restored after a window reload by the serializer in `register.ts`.
 */
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { RunEvent } from '../../runtime/protocol/events.js';
import type { CellKind } from '../../runtime/protocol/genotype.js';
import { isRunInfo, type ExportFormat, type FromWebviewMessage, type RunInfo } from '../../runtime/protocol/webview.js';
import { readRunEvaluations } from '../../runtime/report/run-evaluations.js';
import type { BnasContext } from '../context.js';
import { ACTIVE_STATES } from '../runs/run-summary.js';
import { PanelBase } from './panel-base.js';

export const RUN_VIEW_TYPE = 'bnas.runView';
/** Live events are sent at most this often (ms). */
const BATCH_MS = 100;
/** How long an SVG request may take before it fails (a first Mermaid render can be slow). */
const SVG_TIMEOUT_MS = 20_000;

interface PendingSvg {
  resolve(svg: string | undefined): void;
  timer: ReturnType<typeof setTimeout>;
}

export class RunPanel extends PanelBase {
  private static readonly panels = new Map<string, RunPanel>();
  private subscription: vscode.Disposable | undefined;
  private pending: RunEvent[] = [];
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private nextRequest = 1;
  private readonly svgRequests = new Map<number, PendingSvg>();

  /** Opens (or reveals) the run view of `runId` (the absolute run folder). */
  static show(ctx: BnasContext, runId: string, opts: { preserveFocus?: boolean } = {}): RunPanel {
    const existing = RunPanel.panels.get(runId);
    if (existing && !existing.isDisposed) {
      existing.panel.reveal(undefined, opts.preserveFocus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RUN_VIEW_TYPE, RunPanel.title(ctx, runId), { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus }, {});
    return new RunPanel(ctx, panel, runId);
  }

  /** Restores a panel VS Code kept across a reload; `state` is what the page saved. */
  static revive(ctx: BnasContext, panel: vscode.WebviewPanel, state: unknown): RunPanel | undefined {
    const run = typeof state === 'object' && state !== null ? (state as { run?: unknown }).run : undefined;
    if (!isRunInfo(run)) {
      panel.dispose();
      return undefined;
    }
    return new RunPanel(ctx, panel, run.dir ?? run.id);
  }

  private static title(ctx: BnasContext, runId: string): string {
    return `Run: ${ctx.tryGet('runs')?.get(runId)?.name ?? basename(runId)}`;
  }

  private constructor(
    ctx: BnasContext,
    panel: vscode.WebviewPanel,
    readonly runId: string,
  ) {
    super(ctx, panel, 'run');
    RunPanel.panels.get(runId)?.dispose();
    RunPanel.panels.set(runId, this);
    const runs = ctx.tryGet('runs');
    if (runs) {
      this.disposables.push(
        toVscode(runs.onDidChangeRuns((change) => {
          if (change.run.id !== this.runId) return;
          if (change.kind === 'removed') this.dispose();
          else void this.post({ type: 'runLive', live: ACTIVE_STATES.has(change.run.state) });
        })),
      );
    }
  }

  private info(): RunInfo {
    const run = this.ctx.tryGet('runs')?.get(this.runId);
    return { id: this.runId, dir: this.runId, title: run?.name ?? basename(this.runId), live: run ? ACTIVE_STATES.has(run.state) : false };
  }

  protected async onMessage(m: FromWebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.sendAll();
      case 'export':
        return this.export(m.format, m.cell, m.svg);
      case 'svg': {
        const p = this.svgRequests.get(m.requestId);
        if (!p) return;
        this.svgRequests.delete(m.requestId);
        clearTimeout(p.timer);
        if (m.error) this.ctx.log.warn(`run view: no SVG (${m.error})`);
        p.resolve(m.svg);
        return;
      }
      default:
        this.ctx.log.warn(`run view: unexpected message ${m.type}`);
    }
  }

  /** Subscribes to the run and sends every event known so far (after each `ready`). */
  private async sendAll(): Promise<void> {
    this.subscription?.dispose();
    this.pending = [];
    const runs = this.ctx.tryGet('runs');
    const replayed: RunEvent[] = [];
    let live = false;
    // Replay first (synchronous, from memory), then live events go to the batch: none is lost or doubled.
    this.subscription = runs
      ? toVscode(runs.onEvent(this.runId, (e) => (live ? this.queue(e) : replayed.push(e)), { replay: true }))
      : undefined;
    live = true;
    let events = replayed;
    if (!events.length) events = runs ? await runs.readEvents(this.runId) : await readEventsFromDisk(this.runId);
    await this.post({ type: 'runInit', run: this.info(), events });
    await this.sendEvaluations();
  }

  /** Sends the run's evaluations from scratch (records in `evaluations/`; unreadable ones are left out and logged). */
  async sendEvaluations(): Promise<void> {
    const { evaluations, unreadable } = readRunEvaluations(this.runId);
    for (const why of unreadable) this.ctx.log.warn(`run view: ${why}`);
    await this.post({ type: 'runEvaluations', evaluations });
  }

  private queue(e: RunEvent): void {
    this.pending.push(e);
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      const events = this.pending;
      this.pending = [];
      void this.post({ type: 'runEvents', events });
    }, BATCH_MS);
  }

  /**
   * The SVG drawing of one derived cell, rendered by the page (Mermaid runs only in the webview).
   * @returns undefined when the page cannot draw it (no derivation yet, hidden too long, closed).
   */
  async renderSvg(cell: CellKind): Promise<string | undefined> {
    if (!this.isReady) {
      // A hidden page has no content: show it (without focus) and wait for its handshake.
      this.panel.reveal(undefined, true);
      if (!(await this.whenReady(SVG_TIMEOUT_MS))) return undefined;
    }
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.svgRequests.delete(requestId);
        this.ctx.log.warn(`run view: the ${cell} cell drawing timed out after ${SVG_TIMEOUT_MS} ms`);
        resolve(undefined);
      }, SVG_TIMEOUT_MS);
      this.svgRequests.set(requestId, { resolve, timer });
      void this.post({ type: 'renderSvg', requestId, cell }).then((sent) => {
        if (sent) return;
        clearTimeout(timer);
        this.svgRequests.delete(requestId);
        resolve(undefined);
      });
    });
  }

  private async export(format: ExportFormat, cell: CellKind | undefined, svg: string | undefined): Promise<void> {
    if (format !== 'svg') {
      // The export command owns the text formats, the PyTorch file and where they go.
      await vscode.commands.executeCommand('bnas.exportGenotype', this.runId, format);
      return;
    }
    if (!svg) return;
    const name = this.info().title;
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(this.runId, `${name}-${cell ?? 'cell'}.svg`)),
      filters: { SVG: ['svg'] },
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(svg));
    void vscode.window.showInformationMessage(`BNAS: saved ${vscode.workspace.asRelativePath(uri)}.`);
  }

  protected override onDispose(): void {
    if (RunPanel.panels.get(this.runId) === this) RunPanel.panels.delete(this.runId);
    this.subscription?.dispose();
    if (this.batchTimer) clearTimeout(this.batchTimer);
    for (const p of this.svgRequests.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.svgRequests.clear();
  }

  /** The open panel of a run, if any. */
  static get(runId: string): RunPanel | undefined {
    return RunPanel.panels.get(runId);
  }

  /** Closes every run panel (deactivation). */
  static disposeAll(): void {
    for (const p of [...RunPanel.panels.values()]) p.dispose();
  }
}

function toVscode(d: { dispose(): unknown }): vscode.Disposable {
  return { dispose: () => void d.dispose() };
}

/** Events of a run folder when no run manager is present (e.g. a folder opened without the runs feature). */
async function readEventsFromDisk(dir: string): Promise<RunEvent[]> {
  const { readRunEvents } = await import('../runs/run-folder.js');
  return readRunEvents(dir);
}
