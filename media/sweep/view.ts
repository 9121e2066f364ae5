/**
 * The sweep view: what the sweep is (space, seeds, settings, executor), Cancel and Resume, the
 * trial table (sortable by any column), accuracy against search time, and the best trial's cells
 * drawn with the run view's Mermaid drawing. Every name and setting goes in as text
 * (media/shared/dom.ts): they come from files a user or a script wrote.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { formatCellMermaid } from '../../runtime/protocol/mermaid.js';
import type { FromSweepView, SweepViewData } from '../../runtime/protocol/sweep-view.js';
import { custom, fmt, fmtSeconds, h, pct } from '../shared/dom.js';
import { renderMermaid } from '../shared/mermaid-view.js';
import { bestTrial, COLUMNS, sortRows, trialRow, type ColumnKey, type Sort, type TrialRow } from './model.js';
import { scatter } from './scatter.js';

const NUMERIC: ReadonlySet<ColumnKey> = new Set(['seed', 'accuracy', 'evaluated', 'seconds', 'parameters', 'paramFree']);

function cellText(row: TrialRow, key: ColumnKey): string {
  switch (key) {
    case 'accuracy':
    case 'evaluated':
    case 'paramFree':
      return pct(row[key]);
    case 'seconds':
      return fmtSeconds(row.seconds);
    case 'parameters':
      return row.parameters === undefined ? '–' : fmt(row.parameters);
    case 'state':
      return row.progress ? `${row.state} · ${row.progress}` : row.state;
    default:
      return String(row[key]);
  }
}

export class SweepView {
  private data: SweepViewData | undefined;
  private sort: Sort | undefined;
  private readonly title = h('h1', { id: 'sweep-title' }, 'Sweep');
  private readonly status = h('p', { class: 'status', role: 'status' }, 'waiting for the sweep');
  private readonly facts = h('dl', { class: 'facts' });
  private readonly notice = h('p', { class: 'notice', role: 'alert', hidden: true });
  private readonly cancelButton = custom('vscode-button', { secondary: true, 'data-action': 'cancel' }, 'Cancel sweep');
  private readonly resumeButton = custom('vscode-button', { 'data-action': 'resume' }, 'Resume sweep');
  private readonly table = h('table', { class: 'trials' });
  private readonly plot = h('div', { class: 'plot' });
  private readonly bestCaption = h('p', { class: 'best-caption' });
  private readonly cells = { normal: h('div', { class: 'mermaid-box', 'data-diagram': 'normal' }), reduce: h('div', { class: 'mermaid-box', 'data-diagram': 'reduce' }) };

  private readonly cellNames = { normal: h('h3', { class: 'cell-name' }, 'Normal cell'), reduce: h('h3', { class: 'cell-name' }, 'Reduction cell') };

  constructor(root: HTMLElement, private readonly post: (m: FromSweepView) => void, sort?: Sort) {
    this.sort = sort;
    this.cancelButton.addEventListener('click', () => post({ type: 'cancel' }));
    this.resumeButton.addEventListener('click', () => post({ type: 'resume' }));
    root.append(
      h('header', {}, this.title, h('div', { class: 'actions' }, this.cancelButton, this.resumeButton)),
      this.status,
      this.notice,
      this.facts,
      h('section', {}, h('h2', {}, 'Trials'), h('div', { class: 'scroll-x' }, this.table)),
      h('section', { class: 'charts' }, h('div', {}, h('h2', {}, 'Accuracy against search time'), this.plot), h('div', {}, h('h2', {}, 'Best cell'), this.bestCaption, this.cellNames.normal, this.cells.normal, this.cellNames.reduce, this.cells.reduce)),
    );
    this.render();
  }

  get sortOrder(): Sort | undefined {
    return this.sort;
  }

  update(data: SweepViewData): void {
    this.data = data;
    this.render();
  }

  showNotice(message: string): void {
    this.notice.textContent = message;
    this.notice.hidden = false;
  }

  private open(id: string): void {
    this.post({ type: 'openTrial', trial: id });
  }

  private render(): void {
    const d = this.data;
    const sweep = d?.sweep;
    this.title.textContent = `Sweep ${d?.title ?? ''}`.trim();
    const trials = sweep?.trials ?? [];
    const count = (state: string) => trials.filter((t) => t.state === state).length;
    this.status.textContent = !d
      ? 'waiting for the sweep'
      : !sweep
        ? d.running ? 'starting…' : 'no sweep.json in this folder yet'
        : `${d.running ? 'running' : sweep.state} · ${count('finished')}/${trials.length} finished${count('failed') ? ` · ${count('failed')} failed` : ''}${count('running') ? ` · ${count('running')} running` : ''}`;
    if (d?.failure) this.showNotice(d.failure);
    this.cancelButton.hidden = !d?.running;
    this.resumeButton.hidden = !d || d.running || !sweep || sweep.state === 'finished';
    this.renderFacts();
    const progress = this.data?.progress ?? {};
    const rows = trials.map((t) => trialRow(t, progress[t.id]));
    this.renderTable(rows);
    const best = bestTrial(trials);
    this.plot.replaceChildren(scatter(rows, best?.id, (id) => this.open(id)));
    this.renderBest(best);
  }

  private renderFacts(): void {
    const sweep = this.data?.sweep;
    this.facts.replaceChildren();
    if (!sweep) return;
    const o = sweep.options;
    const rows: [string, string][] = [
      ['space', sweep.space],
      ['file', sweep.file],
      ['seeds', o.seeds.join(', ')],
      ...o.set.map((a): [string, string] => [a.key, a.values.join(', ')]),
      ['executor', `${o.executor}, ${o.parallel} at a time`],
      ['backend', o.backend],
    ];
    const rule = o.random_rule === 'caps' ? ' under the derivation caps' : ' drawn uniformly';
    if (o.evaluate) rows.push(['evaluate', `${o.epochs ?? 'train.epochs'} epochs${o.random ? `, ${o.random} random cells${rule}` : ''}`]);
    for (const [k, v] of rows) this.facts.append(h('dt', {}, k), h('dd', {}, v));
  }

  private renderTable(rows: TrialRow[]): void {
    const evaluate = this.data?.sweep?.options.evaluate ?? false;
    const columns = COLUMNS.filter((c) => c.key !== 'evaluated' || evaluate);
    const head = h(
      'tr',
      {},
      ...columns.map((c) => {
        const active = this.sort?.key === c.key;
        const button = h('button', { type: 'button', class: 'sort', 'data-sort': c.key }, c.label, active ? (this.sort!.descending ? ' ▼' : ' ▲') : '');
        button.addEventListener('click', () => {
          // A first click sorts numbers best first (descending) and text A to Z.
          this.sort = active ? { key: c.key, descending: !this.sort!.descending } : { key: c.key, descending: NUMERIC.has(c.key) };
          this.renderTable(rows);
          this.table.dispatchEvent(new CustomEvent('bnas-sort', { bubbles: true }));
        });
        return h('th', { scope: 'col', 'aria-sort': active ? (this.sort!.descending ? 'descending' : 'ascending') : 'none', class: NUMERIC.has(c.key) ? 'num' : undefined }, button);
      }),
    );
    const body = h('tbody');
    for (const row of sortRows(rows, this.sort)) {
      const tr = h('tr', { 'data-trial': row.id, class: `state-${row.state}` });
      for (const c of columns) {
        if (c.key === 'id') {
          const link = h('button', { type: 'button', class: 'link', title: 'Open the run view of this trial' }, row.id);
          link.addEventListener('click', () => this.open(row.id));
          tr.append(h('td', {}, link));
        } else tr.append(h('td', { class: NUMERIC.has(c.key) ? 'num' : c.key === 'state' ? 'state' : undefined, title: c.key === 'state' ? row.error : undefined }, cellText(row, c.key)));
      }
      body.append(tr);
    }
    if (!rows.length) body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'No trials yet.')));
    this.table.replaceChildren(h('thead', {}, head), body);
  }

  private renderBest(best: ReturnType<typeof bestTrial>): void {
    const g = best?.result?.genotype;
    this.bestCaption.textContent = best && g ? `${best.id}: ${pct(best.result!.test_acc ?? best.result!.valid_acc)}` : 'No trial has finished yet.';
    for (const kind of ['normal', 'reduce'] as const) {
      const el = this.cells[kind];
      el.hidden = !g;
      this.cellNames[kind].hidden = !g;
      if (g) void renderMermaid(el, formatCellMermaid(g, kind), `${kind === 'normal' ? 'Normal' : 'Reduction'} cell of the best trial`, true);
    }
  }
}
