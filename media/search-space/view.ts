/**
 * The search-space view: macro network and supernet cell (Mermaid), op list, estimates, problems
 * (click → jump to the range) and controls that ask the extension to edit the document.
 * When the text has errors the last valid drawing stays, marked as out of date.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { BUILTIN_OPS, PRUNING_CRITERIA, type SpaceEdit, type SpaceOutline, type SpaceViewData } from '../../runtime/protocol/webview.js';
import { custom, fmt, fmtSeconds, h } from '../shared/dom.js';
import type { Host } from '../shared/host.js';
import { cellChannels, macroMermaid, supernetCellMermaid } from '../../runtime/protocol/mermaid.js';
import { renderMermaid } from '../shared/mermaid-view.js';

export class SpaceView {
  private data: SpaceViewData | undefined;
  private lastSpace: SpaceOutline | undefined;
  private readonly title = h('h1', {}, 'Search space');
  private readonly status = h('p', { class: 'muted', role: 'status' });
  private readonly notice = h('div', { class: 'messages', 'aria-live': 'polite' });
  private readonly estimates = h('dl', { class: 'facts', 'aria-label': 'Estimates' });
  private readonly controls = h('div', { class: 'controls' });
  private readonly macro = h('div', { class: 'mermaid-box', 'data-diagram': 'macro' });
  private readonly cell = h('div', { class: 'mermaid-box', 'data-diagram': 'cell' });
  private readonly ops = h('div', { class: 'scroll-x' });
  private readonly problems = h('ul', { class: 'problems', 'aria-label': 'Problems' });

  constructor(root: HTMLElement, private readonly host: Host) {
    root.replaceChildren(
      h('header', {}, this.title, this.status),
      this.notice,
      h('section', { id: 'problems', 'aria-labelledby': 'problems-h' }, h('h2', { id: 'problems-h' }, 'Problems'), this.problems),
      h('section', { id: 'estimates', 'aria-labelledby': 'estimates-h' }, h('h2', { id: 'estimates-h' }, 'Estimates'), this.estimates),
      h('section', { id: 'controls', 'aria-labelledby': 'controls-h' }, h('h2', { id: 'controls-h' }, 'Controls'), this.controls),
      h('section', { id: 'macro', 'aria-labelledby': 'macro-h' }, h('h2', { id: 'macro-h' }, 'Network'), this.macro),
      h('section', { id: 'cell', 'aria-labelledby': 'cell-h' }, h('h2', { id: 'cell-h' }, 'Supernet cell (every candidate edge)'), this.cell),
      h('section', { id: 'ops', 'aria-labelledby': 'ops-h' }, h('h2', { id: 'ops-h' }, 'Candidate ops'), this.ops),
    );
  }

  /** Shows a new state of the document. */
  update(data: SpaceViewData): void {
    this.data = data;
    this.notice.replaceChildren();
    if (data.space) this.lastSpace = data.space;
    const space = this.lastSpace;
    this.title.textContent = space ? `${space.name} · ${data.fileName}` : data.fileName;
    const errors = data.diagnostics.filter((d) => d.severity === 'error').length;
    this.status.textContent = data.space
      ? data.diagnostics.length ? `${data.diagnostics.length} problem(s), no errors` : 'Valid'
      : space
        ? `${errors} error(s): the drawings show the last valid version`
        : `${errors} error(s): nothing to draw until the file is valid`;
    this.renderProblems();
    this.renderEstimates();
    if (space) {
      this.renderControls(space, data.space !== undefined);
      this.renderOps(space);
      void renderMermaid(this.macro, macroMermaid(space.supernet), `Network of ${space.name}: stem, ${space.supernet.cells} cells, head`);
      void renderMermaid(this.cell, supernetCellMermaid(space.supernet.nodes, space.ops.map((o) => o.name), space.sampling.k), `Supernet cell with ${space.supernet.nodes} nodes`);
      this.macro.classList.toggle('stale', !data.space);
      this.cell.classList.toggle('stale', !data.space);
    }
  }

  /** Shows a notice from the extension. */
  showNotice(level: 'info' | 'error', message: string): void {
    this.notice.replaceChildren(h('ul', {}, h('li', { class: level, role: level === 'error' ? 'alert' : 'status' }, message)));
  }

  private renderProblems(): void {
    const d = this.data!;
    if (!d.diagnostics.length) {
      this.problems.replaceChildren(h('li', { class: 'muted' }, 'No problems.'));
      return;
    }
    this.problems.replaceChildren(
      ...d.diagnostics.map((p) => {
        const at = `${p.range.start.line + 1}:${p.range.start.character + 1}`;
        const b = h('button', { class: `problem ${p.severity}`, type: 'button', title: `Go to line ${at}` }, h('span', { class: 'sev' }, p.severity), h('span', { class: 'msg' }, p.message), h('span', { class: 'at' }, at));
        b.addEventListener('click', () => this.host.post({ type: 'reveal', uri: d.uri, range: p.range }));
        return h('li', {}, b);
      }),
    );
  }

  private renderEstimates(): void {
    const e = this.data?.estimates;
    if (!e) {
      this.estimates.replaceChildren(h('dt', {}, 'estimates'), h('dd', {}, 'need a valid file'));
      return;
    }
    const over = e.budgetMb !== undefined && e.memoryMb > e.budgetMb;
    this.estimates.replaceChildren(
      // Same label and definition as the run's count; the estimate leaves out the stem and the
      // batch-norm scales, so it says it is one.
      h('dt', {}, 'parameters'), h('dd', { title: `about ${e.parameters.toLocaleString('en')} trainable weights of the whole supernet, every candidate op (not α, β); a run reports the exact count` }, `≈ ${e.parameters.toLocaleString('en')}`),
      h('dt', {}, 'memory per step'), h('dd', { class: over ? 'over-budget' : undefined, title: e.budgetMb !== undefined ? `budget.memory_mb = ${e.budgetMb}` : undefined }, `${fmt(e.memoryMb)} MB${over ? ` (over the ${e.budgetMb} MB budget)` : ''}`),
      h('dt', {}, 'time per epoch'), h('dd', { title: e.timeSource }, `${e.secondsPerEpoch !== undefined ? `≈ ${fmtSeconds(e.secondsPerEpoch)}` : '–'}`),
      ...(e.macsPerImage !== undefined ? [
        h('dt', {}, 'arithmetic'),
        h('dd', { title: 'multiply-adds of one forward pass of one image with every candidate op; the fixed part (stem, pre-processing, partial-channel mix, head) stays whatever pruning abandons' },
          `${fmt(e.macsPerImage)} multiply-adds per image${e.fixedShare !== undefined ? `, ${Math.round(100 * e.fixedShare)} % fixed` : ''}`),
      ] : []),
      ...(e.pruningRange ? [h('dt', {}, 'pruning saves'), h('dd', { title: 'of the whole search\'s arithmetic against the same search without pruning: the best case abandons the costliest op of each edge first, the worst case the cheapest; what each round measures (per-edge probes or candidate sub-networks) is counted' }, pruningSaves(e.pruningRange))] : []),
      h('dt', {}, 'backend'), h('dd', {}, e.backend),
      ...(e.threads ? [h('dt', {}, 'threads'), h('dd', {}, e.threads)] : []),
      ...(e.timeSource ? [h('dt', {}, 'time estimate'), h('dd', { class: 'note' }, e.timeSource)] : []),
    );
  }

  private edit(edit: SpaceEdit): void {
    const d = this.data;
    if (!d) return;
    this.host.post({ type: 'edit', uri: d.uri, version: d.version, edit });
  }

  private renderControls(space: SpaceOutline, enabled: boolean): void {
    const disabled = !enabled;
    const inUse = new Set(space.ops.map((o) => o.name));
    const names = [...BUILTIN_OPS, ...space.ops.filter((o) => !o.builtin).map((o) => o.name)];
    const opBoxes = names.map((name) => {
      const box = custom('vscode-checkbox', { label: name, checked: inUse.has(name), disabled, 'data-op': name, 'aria-label': `candidate op ${name}` });
      box.addEventListener('change', () => this.edit({ kind: 'toggleOp', op: name, enabled: (box as HTMLElement & { checked: boolean }).checked }));
      return box;
    });
    const channels = cellChannels(space.supernet);
    const divisors = [1, 2, 4, 8, 16].filter((k) => channels.every((c) => c % k === 0));
    if (!divisors.includes(space.sampling.k)) divisors.push(space.sampling.k);
    const kSelect = this.select('k', divisors.map(String), String(space.sampling.k), disabled, (v) => this.edit({ kind: 'setNumber', block: 'sampling', attribute: 'k', value: Number(v) }));
    const criterion = this.select('pruning criterion', [...PRUNING_CRITERIA], space.pruning.criterion, disabled, (v) => this.edit({ kind: 'setCriterion', value: v as (typeof PRUNING_CRITERIA)[number] }));
    const num = (label: string, block: 'supernet' | 'train', attribute: 'cells' | 'channels' | 'nodes' | 'epochs', value: number, min: number, max: number) => {
      const f = custom('vscode-textfield', { type: 'number', value, min, max, disabled, 'aria-label': label, 'data-control': `${block}.${attribute}` });
      f.addEventListener('change', () => {
        const v = Number((f as HTMLElement & { value: string }).value);
        if (Number.isInteger(v) && v >= min && v <= max && v !== value) this.edit({ kind: 'setNumber', block, attribute, value: v } as SpaceEdit);
      });
      return h('label', { class: 'control' }, h('span', {}, label), f);
    };
    this.controls.replaceChildren(
      h('fieldset', { class: 'ops-control' }, h('legend', {}, 'Candidate ops'), ...opBoxes),
      h('div', { class: 'control-row' },
        num('cells', 'supernet', 'cells', space.supernet.cells, 1, 32),
        num('channels', 'supernet', 'channels', space.supernet.channels, 1, 4096),
        num('nodes', 'supernet', 'nodes', space.supernet.nodes, 1, 8),
        num('epochs', 'train', 'epochs', space.train.epochs, 1, 4096),
        h('label', { class: 'control' }, h('span', {}, 'k (1/k channels)'), kSelect),
        h('label', { class: 'control' }, h('span', {}, 'pruning criterion'), criterion),
      ),
    );
  }

  private select(label: string, values: readonly string[], current: string, disabled: boolean, onChange: (v: string) => void): HTMLElement {
    const sel = custom('vscode-single-select', { 'aria-label': label, disabled, 'data-control': label }, ...values.map((v) => custom('vscode-option', { value: v, selected: v === current }, v)));
    sel.addEventListener('change', () => {
      const v = (sel as HTMLElement & { value: string }).value;
      if (v !== current) onChange(v);
    });
    return sel;
  }

  private renderOps(space: SpaceOutline): void {
    this.ops.replaceChildren(
      h('table', { class: 'ops-table' },
        h('thead', {}, h('tr', {}, ...['op', 'kind', 'kernel', 'dilation', 'repeat', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...space.ops.map((o) => h('tr', {}, h('th', { scope: 'row' }, o.name), h('td', {}, o.kind), h('td', {}, `${o.kernel}×${o.kernel}`), h('td', {}, String(o.dilation)), h('td', {}, String(o.repeat)), h('td', { class: 'muted' }, o.builtin ? 'built-in' : 'user-defined')))),
      ),
    );
  }
}

/** What a pruning schedule can save of a search's arithmetic, from its best and worst case (fractions of the unpruned search). */
export function pruningSaves(r: { readonly best: number; readonly worst: number }): string {
  const pct = (x: number) => Math.round(100 * (1 - x));
  if (r.best >= 1) return `nothing: the rounds' evaluations cost ${Math.round(100 * (r.best - 1))}–${Math.round(100 * (r.worst - 1))} % more than the abandoned ops save (more images an epoch or fewer samples would pay off)`;
  if (r.worst >= 1) return `up to ${pct(r.best)} % of the search's arithmetic, or nothing if the cheap ops go first`;
  return `${pct(r.worst)}–${pct(r.best)} % of the search's arithmetic, depending on which ops the rounds abandon`;
}
