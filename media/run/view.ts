/**
 * The run view: facts, curves, derived cells (Mermaid), architecture-weight heat maps and the
 * pruning timeline of one run. Events are queued and applied once per animation frame, and only
 * the sections an event batch touched are redrawn, so thousands of events do not freeze the page.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { RunEvent } from '../../runtime/protocol/events.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { formatGenotypeDarts, formatGenotypeJson, formatGenotypeMermaid } from '../../runtime/protocol/genotype-format.js';
import type { ExportFormat, RunEvaluation, RunInfo } from '../../runtime/protocol/webview.js';
import { evaluationsTable } from './evaluations-view.js';
import { custom, fmtSeconds, h, pct } from '../shared/dom.js';
import { download, type Host } from '../shared/host.js';
import { lineChart } from '../shared/line-chart.js';
import { formatCellMermaid } from '../../runtime/protocol/mermaid.js';
import { mermaidIdle, renderMermaid, renderedSvg } from '../shared/mermaid-view.js';
import { opsLeftChart, pruningLegend, pruningTable } from './pruning-view.js';
import { applyEvents, emptyModel, epochLabel, opsLeft, runStatus, type RunModel, type Section } from './run-model.js';
import { weightsChart, weightsLegend } from './weights-chart.js';

const KIND_NAME: Record<CellKind, string> = { normal: 'Normal cell', reduce: 'Reduction cell' };
/** Sections that are costly to draw (thousands of SVG nodes, Mermaid) are redrawn at most this often while live. */
const SLOW_SECTION_MS = 500;
const SLOW_SECTIONS: ReadonlySet<Section> = new Set(['weights', 'pruning', 'cells']);

export class RunView {
  private model: RunModel = emptyModel();
  private run: RunInfo | undefined;
  private queue: RunEvent[] = [];
  private frame = 0;
  private slowDirty = new Set<Section>();
  private slowTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSlow = 0;
  /** True while drawing from live batches (not from `init`). */
  private streaming = false;
  /** Wall time of the last heavy redraw; the next one waits at least 4× this (≤ 20 % of the time). */
  private slowCost = 0;
  private readonly parts: Record<Section, HTMLElement>;
  private readonly title = h('h1', { id: 'run-title' }, 'Run');
  private readonly status = h('span', { class: 'badge', role: 'status' }, 'waiting');
  private readonly cellBoxes: Record<CellKind, HTMLElement>;
  private readonly cellCaptions: Record<CellKind, HTMLElement>;
  private readonly exportButtons: HTMLElement[] = [];
  /** The trainings from scratch of the derived cells (not run events: records the extension reads). */
  private readonly evaluations = h('div', { class: 'evaluations' });
  /** Counts of frames and events applied, read by the benchmark. */
  readonly stats = { frames: 0, applied: 0, lastFrameMs: 0, maxFrameMs: 0, totalFrameMs: 0 };

  constructor(
    root: HTMLElement,
    private readonly host: Host,
  ) {
    this.cellBoxes = { normal: h('div', { class: 'mermaid-box', 'data-cell': 'normal' }), reduce: h('div', { class: 'mermaid-box', 'data-cell': 'reduce' }) };
    this.cellCaptions = { normal: h('figcaption'), reduce: h('figcaption') };
    this.parts = {
      facts: h('dl', { class: 'facts', 'aria-label': 'Run facts' }),
      curves: h('div', { class: 'charts' }),
      cells: h('div', { class: 'cells' }),
      weights: h('div', { class: 'heatmaps' }),
      pruning: h('div', { class: 'pruning' }),
      messages: h('div', { class: 'messages', 'aria-live': 'polite' }),
    };
    const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Export the derived genotype' },
      this.exportButton('json', 'Genotype JSON'),
      this.exportButton('darts', 'DARTS Python'),
      this.exportButton('mermaid', 'Mermaid text'),
      this.exportButton('pytorch', 'PyTorch model'),
    );
    for (const kind of CELL_KINDS) {
      this.parts.cells.append(
        h('figure', { class: 'cell' }, this.cellCaptions[kind], this.cellBoxes[kind], h('div', { class: 'figure-actions' }, this.exportButton('svg', `SVG of the ${kind === 'normal' ? 'normal' : 'reduction'} cell`, kind))),
      );
    }
    root.replaceChildren(
      h('header', {}, h('div', { class: 'title-row' }, this.title, this.status), this.parts.facts, toolbar),
      this.parts.messages,
      section('curves', 'Training curves', this.parts.curves),
      section('cells', 'Derived cells', this.parts.cells),
      section('evaluations', 'Trained from scratch', this.evaluations),
      section('weights', 'Architecture weights', this.parts.weights),
      section('pruning', 'Pruning timeline', this.parts.pruning),
    );
    this.renderAll();
    this.setEvaluations([]);
  }

  /** Shows the run's evaluations from scratch (after `runInit` and after each new one). */
  setEvaluations(evaluations: readonly RunEvaluation[]): void {
    this.evaluations.replaceChildren(evaluationsTable(evaluations));
  }

  /** Replaces the run shown (after each `ready`, the extension sends everything again). */
  init(run: RunInfo, events: readonly RunEvent[]): void {
    this.run = run;
    this.model = emptyModel();
    this.queue = [];
    this.slowDirty.clear();
    this.streaming = false;
    applyEvents(this.model, events);
    this.stats.applied += events.length;
    this.renderAll();
  }

  /** Queues live events; they are applied at the next animation frame. */
  push(events: readonly RunEvent[]): void {
    this.queue.push(...events);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Marks the run as no longer live (its process ended). */
  setLive(live: boolean): void {
    if (this.run) this.run = { ...this.run, live };
    this.renderSections(new Set(['facts']));
  }

  private flush(): void {
    this.frame = 0;
    const t0 = performance.now();
    const batch = this.queue;
    this.queue = [];
    const dirty = applyEvents(this.model, batch);
    this.stats.applied += batch.length;
    // Curves and facts follow every frame; heavy sections catch up at most every SLOW_SECTION_MS
    // (and at once when the run ends), so a fast event stream cannot starve the page.
    const fast = new Set<Section>();
    for (const d of dirty) (SLOW_SECTIONS.has(d) ? this.slowDirty : fast).add(d);
    this.streaming = true;
    this.renderSections(fast);
    this.scheduleSlow(this.model.end !== undefined);
    this.stats.frames++;
    this.stats.lastFrameMs = performance.now() - t0;
    this.stats.maxFrameMs = Math.max(this.stats.maxFrameMs, this.stats.lastFrameMs);
    this.stats.totalFrameMs += this.stats.lastFrameMs;
  }

  private scheduleSlow(now: boolean): void {
    if (!this.slowDirty.size) return;
    const wait = now ? 0 : this.lastSlow + Math.max(SLOW_SECTION_MS, 4 * this.slowCost) - performance.now();
    if (wait <= 0) {
      if (this.slowTimer) clearTimeout(this.slowTimer);
      this.slowTimer = undefined;
      const t0 = performance.now();
      const dirty = this.slowDirty;
      this.slowDirty = new Set();
      this.renderSections(dirty);
      this.lastSlow = performance.now();
      this.slowCost = this.lastSlow - t0;
      return;
    }
    this.slowTimer ??= setTimeout(() => {
      this.slowTimer = undefined;
      this.scheduleSlow(true);
    }, wait);
  }

  private renderAll(): void {
    this.renderSections(new Set<Section>(['facts', 'curves', 'cells', 'weights', 'pruning', 'messages']));
  }

  private renderSections(dirty: ReadonlySet<Section>): void {
    if (dirty.has('facts')) this.renderFacts();
    if (dirty.has('curves')) this.renderCurves();
    if (dirty.has('cells')) this.renderCells();
    if (dirty.has('weights')) this.renderWeights();
    if (dirty.has('pruning')) this.renderPruning();
    if (dirty.has('messages')) this.renderMessages();
  }

  private renderFacts(): void {
    const m = this.model;
    const st = m.started;
    const status = runStatus(m, this.run?.live ?? false);
    this.title.textContent = this.run?.title ?? st?.space ?? 'Run';
    this.status.textContent = status;
    this.status.className = `badge status-${status}`;
    const lastEpoch = m.epochs.at(-1);
    const best = m.epochs.reduce<number | undefined>((b, e) => (b === undefined || e.valid_acc > b ? e.valid_acc : b), undefined);
    const fin = m.end?.type === 'finished' ? m.end : undefined;
    const facts: [string, string, string?][] = [
      ['space', st?.space ?? '–'],
      ['backend', st?.backend ?? '–', st?.backend_reason],
      ['seed', st ? String(st.seed) : '–'],
      ['parameters', m.parameters !== undefined ? m.parameters.toLocaleString('en') : '–', m.parameters !== undefined ? `${m.parameters.toLocaleString('en')} trainable weights of the whole supernet, every candidate op (not α, β)` : undefined],
      ['epoch', epochLabel(m, status === 'running')],
      ['time', fmtSeconds(m.seconds)],
      ['ops left', opsLeftLabel(m)],
      ['valid acc', `${pct(lastEpoch?.valid_acc)}${best !== undefined ? ` (best ${pct(best)})` : ''}`, 'Accuracy of the supernet on the validation split (the part of the training images that updates α and β; "valid (arch split)" in the charts)'],
    ];
    if (m.aliveParameters !== undefined) facts.splice(4, 0, ['parameters alive', m.aliveParameters.toLocaleString('en'), `${m.aliveParameters.toLocaleString('en')} weights of the ops still alive when the run resumed`]);
    if (fin?.test_acc !== undefined) facts.push(['test acc', pct(fin.test_acc), 'Accuracy of the derived network on the held-out test images']);
    if (fin?.reason) facts.push(['stopped', fin.reason]);
    // Each label and its value share one box, so a wrapping grid never parts them.
    this.parts.facts.replaceChildren(...facts.map(([k, v, title]) => h('div', { class: 'fact' }, h('dt', {}, k), h('dd', { title }, v))));
    const enabled = m.genotype !== undefined;
    for (const b of this.exportButtons) b.toggleAttribute('disabled', !enabled);
  }

  private renderCurves(): void {
    const m = this.model;
    const ep = (f: (e: (typeof m.epochs)[number]) => number) => m.epochs.map((e) => ({ x: e.epoch, y: f(e) }));
    const xMax = m.started?.epochs;
    const loss = lineChart({
      title: 'Loss',
      xLabel: 'epoch',
      yLabel: 'cross-entropy',
      xMax,
      series: [
        { name: 'step (train)', points: m.stepLoss, cls: 'series-0', faint: true },
        { name: 'train', points: ep((e) => e.train_loss), cls: 'series-0', markers: true },
        { name: 'valid (arch split)', points: ep((e) => e.valid_loss), cls: 'series-1', markers: true, dashed: true },
      ],
    });
    const acc = lineChart({
      title: 'Accuracy',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      xMax,
      yDomain: [0, 1],
      yFormat: (y) => `${Math.round(y * 100)}%`,
      series: [
        { name: 'train', points: ep((e) => e.train_acc), cls: 'series-0', markers: true },
        { name: 'valid (arch split)', points: ep((e) => e.valid_acc), cls: 'series-1', markers: true, dashed: true },
      ],
    });
    loss.dataset.chart = 'loss';
    acc.dataset.chart = 'accuracy';
    this.parts.curves.replaceChildren(loss, acc);
  }

  private renderCells(): void {
    const g = this.model.genotype;
    for (const kind of CELL_KINDS) {
      const box = this.cellBoxes[kind];
      if (!g) {
        this.cellCaptions[kind].textContent = `${KIND_NAME[kind]}: not derived yet`;
        box.replaceChildren(h('p', { class: 'empty' }, 'The cell is derived after the first epoch.'));
        continue;
      }
      this.cellCaptions[kind].textContent = `${KIND_NAME[kind]} · ${g.final ? 'final' : `derived at epoch ${g.epoch}`}`;
      // Paced while events stream in; the final cell and a (re)opened view draw at once.
      void renderMermaid(box, formatCellMermaid(g.genotype, kind), `${KIND_NAME[kind]} (${g.final ? 'final' : `epoch ${g.epoch}`})`, this.streaming && !g.final);
    }
    this.renderFacts();
  }

  private renderWeights(): void {
    const m = this.model;
    if (!m.alphas.normal.length && !m.alphas.reduce.length) {
      this.parts.weights.replaceChildren(h('p', { class: 'empty' }, 'Architecture weights appear after the first epoch.'));
      return;
    }
    this.parts.weights.replaceChildren(
      ...CELL_KINDS.map((cell) => {
        const input = { cell, ops: m.ops, edges: m.edges, alphas: m.alphas[cell], epochs: m.started?.epochs ?? 0, pruned: m.pruned.filter((p) => p.cell === cell) };
        return h('figure', { class: 'heatmap-figure' }, h('figcaption', {}, KIND_NAME[cell]), h('div', { class: 'scroll-x' }, weightsChart(input)), h('p', { class: 'legend-text muted' }, weightsLegend(input)));
      }),
    );
  }

  private renderPruning(): void {
    const m = this.model;
    const tables = CELL_KINDS.map((cell) => h('figure', { class: 'pruning-figure' }, h('figcaption', {}, KIND_NAME[cell]), h('div', { class: 'scroll-x' }, pruningTable(m, cell))));
    const note = m.pruned.length || m.edgeEvidence ? undefined : h('p', { class: 'empty' }, m.started ? 'No op has been pruned yet.' : 'Waiting for the run to start.');
    this.parts.pruning.replaceChildren(h('div', { class: 'charts' }, opsLeftChart(m)), ...(note ? [note] : [pruningLegend(m), ...tables]));
  }

  private renderMessages(): void {
    const m = this.model;
    const items = m.warnings.map((w) => h('li', { class: 'warning' }, w));
    if (m.end?.type === 'failed') items.unshift(h('li', { class: 'error', role: 'alert' }, `The search failed: ${m.end.message}`));
    if (m.end?.type === 'cancelled') items.unshift(h('li', { class: 'info' }, `Stopped after epoch ${m.end.epoch}${m.started ? `/${m.started.epochs}` : ''}${m.end.checkpoint ? `; resume from ${m.end.checkpoint}` : ''}.`));
    this.parts.messages.replaceChildren(...(items.length ? [h('ul', {}, ...items)] : []));
  }

  private exportButton(format: ExportFormat, label: string, cell?: CellKind): HTMLElement {
    const b = custom('vscode-button', { secondary: true, disabled: true, 'data-export': format, 'data-cell': cell, 'aria-label': `Export ${label}` }, label);
    b.addEventListener('click', () => this.export(format, cell));
    this.exportButtons.push(b);
    return b;
  }

  private export(format: ExportFormat, cell?: CellKind): void {
    const g = this.model.genotype?.genotype;
    if (!g) return;
    const svg = cell ? renderedSvg(this.cellBoxes[cell]) : undefined;
    if (format === 'svg' && !svg) return;
    if (!this.host.standalone) {
      this.host.post({ type: 'export', format, ...(cell ? { cell } : {}), ...(svg ? { svg } : {}) });
      return;
    }
    const base = this.run?.id ?? 'genotype';
    if (format === 'svg') download(`${base}-${cell}.svg`, svg!, 'image/svg+xml');
    else if (format === 'json') download(`${base}-genotype.json`, formatGenotypeJson(g) + '\n', 'application/json');
    else if (format === 'darts') download(`${base}-genotype.py`, formatGenotypeDarts(g, 'lines') + '\n', 'text/x-python');
    else download(`${base}-cells.mmd`, formatGenotypeMermaid(g), 'text/plain');
  }

  /** The drawing of `cell` as SVG text once pending events and renders are done; undefined before a derivation. */
  async svgOf(cell: CellKind): Promise<string | undefined> {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.flush();
    }
    this.scheduleSlow(true);
    await mermaidIdle();
    return this.model.genotype ? renderedSvg(this.cellBoxes[cell]) : undefined;
  }

  /** The model, for tests and the benchmark. */
  get current(): Readonly<RunModel> {
    return this.model;
  }
}

/** Ops alive in both cells: from the last epoch, else the last `alphas`; a dash until either is known. */
function opsLeftLabel(m: RunModel): string {
  const last = m.epochs.at(-1);
  if (last) return String(last.ops_left);
  const counts = CELL_KINDS.map((c) => opsLeft(m, c));
  return counts.every((n) => n !== undefined) ? String(counts.reduce((a, b) => a! + b!, 0)) : '–';
}

function section(id: string, title: string, body: HTMLElement): HTMLElement {
  return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), body);
}
