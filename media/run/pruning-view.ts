/**
 * The pruning timeline: a chart of the ops left over the epochs, and per cell kind a table with a
 * row per edge and a column per pruning round saying which op left, when, and with what score.
 * A table rather than a drawing because the content is text users read and copy.
 */
import type { CellKind } from '../../runtime/protocol/genotype.js';
import type { RunModel } from './run-model.js';
import { edgeName } from '../../runtime/protocol/mermaid.js';
import { fmt, h } from '../shared/dom.js';
import { lineChart } from '../shared/line-chart.js';

/** Chart of the ops left (both cell kinds) after each epoch. */
export function opsLeftChart(model: RunModel): SVGSVGElement {
  const points = model.epochs.map((e) => ({ x: e.epoch, y: e.ops_left }));
  const planned = model.started ? model.started.edges * 2 * model.started.ops.length : undefined;
  return lineChart({
    title: 'Ops left (both cells)',
    series: [{ name: 'ops left', points: planned && points.length ? [{ x: 0, y: planned }, ...points] : points, cls: 'series-4', markers: true }],
    xLabel: 'epoch',
    yLabel: 'ops',
    xMax: model.started?.epochs,
    yDomain: planned ? [0, planned] : undefined,
  });
}

/** Table of pruned ops for one cell kind. */
export function pruningTable(model: RunModel, cell: CellKind): HTMLElement {
  const events = model.pruned.filter((p) => p.cell === cell);
  const rounds = [...new Set(events.map((p) => p.round))].sort((a, b) => a - b);
  const kindName = cell === 'normal' ? 'normal' : 'reduction';
  const table = h('table', { class: 'pruning-table', 'data-cell': cell, 'aria-label': `Pruning timeline of the ${kindName} cell` });
  const epochOf = (r: number) => events.find((p) => p.round === r)?.epoch;
  table.append(
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'edge'),
      ...rounds.map((r) => h('th', { scope: 'col' }, `round ${r}`, h('span', { class: 'sub' }, `epoch ${epochOf(r)}`))),
      h('th', { scope: 'col' }, 'left'),
    )),
  );
  const last = model.alphas[cell].at(-1);
  const body = h('tbody');
  for (let e = 0; e < model.edges; e++) {
    const row = h('tr', {}, h('th', { scope: 'row' }, edgeName(e)));
    for (const r of rounds) {
      const here = events.filter((p) => p.edge === e && p.round === r);
      row.append(h('td', {}, ...here.map((p) => h('span', { class: 'pruned-op', title: `${p.op} left ${kindName} ${edgeName(e)} in round ${r} (epoch ${p.epoch}), score ${fmt(p.score)}` }, p.op, h('span', { class: 'score' }, fmt(p.score))))));
    }
    const left = last?.weights[e] ? Object.entries(last.weights[e]!).sort((a, b) => b[1] - a[1]) : [];
    row.append(h('td', { class: 'left' }, left.map(([op, w]) => `${op} ${fmt(w)}`).join(', ')));
    body.append(row);
  }
  table.append(body);
  return table;
}
