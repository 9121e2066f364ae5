/**
 * The pruning timeline: a chart of the ops left over the epochs, and per cell kind a table with a
 * row per edge and a column per pruning round: the ops the round weighed on that edge with the
 * measured value and the score of each, the abandoned op marked (see docs/method.md, "Per-edge
 * evidence"); with `derive.edges = removal` a first column with the loss the supernet gained
 * without the edge and the edges the cell keeps (docs/method.md, "Derivation"); and a legend
 * saying what the numbers are. A table rather than a drawing because the
 * content is text users read and copy.
 */
import type { PrunedEvent } from '../../runtime/protocol/events.js';
import type { CellKind } from '../../runtime/protocol/genotype.js';
import type { RunModel } from './run-model.js';
import { edgeIndex, edgeName } from '../../runtime/protocol/mermaid.js';
import { pruningBasis, type PruningBasis } from '../../runtime/protocol/pruning-evidence.js';
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

/** What each measure of a round's evidence is, as a person reads it; `better` says which way is good. */
const MEASURES: Readonly<Record<string, { readonly name: string; readonly short: string; readonly text: string; readonly better: 'lower' | 'higher' }>> = {
  valid_loss_delta: { name: 'Δ valid loss', short: 'Δloss', text: 'change of the validation loss (nats) when only this edge is restricted to the op, against the whole supernet', better: 'lower' },
  mean_accuracy: { name: 'mean accuracy', short: 'acc', text: 'running mean accuracy of the sampled single paths that used the op on this edge', better: 'higher' },
  alpha_weight: { name: 'α weight', short: 'α', text: 'the op\'s architecture weight softmax(α) on this edge', better: 'higher' },
};

/** The measures the pruned events of a run carry (none for runs of versions without evidence). */
function measuresOf(model: RunModel): string[] {
  return [...new Set(model.pruned.flatMap((p) => (p.evidence ? [p.evidence.measure] : [])))];
}

const signed = (x: number) => (x > 0 ? `+${fmt(x)}` : fmt(x));

/** Legend of the pruning tables: what a cell shows, what the numbers are, how the abandoned op is marked. */
export function pruningLegend(model: RunModel): HTMLElement {
  const measures = measuresOf(model);
  const items = [
    h('li', {}, 'Each round abandons, on each edge, the op with the lowest ', h('b', {}, 'score'), ' (the pruning criterion\'s running score; the lowest goes first).'),
    h('li', {}, h('span', { class: 'pruned-op-swatch' }, 'struck-out, marked ✕'), ': the op abandoned on that edge in that round.'),
    ...measures.map((m) => {
      const d = MEASURES[m];
      return h('li', {}, h('b', {}, d?.name ?? m), `: ${d ? `${d.text}; ${d.better} is better` : 'the measured value per op'}. Ops are listed by score, best first.`);
    }),
  ];
  const thresholds = [...new Set(model.pruned.flatMap((p) => (p.evidence?.confidence !== undefined ? [p.evidence.confidence] : [])))];
  if (thresholds.length) {
    const z = thresholds.map(fmt).join(' / ');
    items.push(
      h('li', { class: 'confidence-legend' }, h('b', {}, `pruning.confidence = ${z}`), `: the measured op with the largest Δloss and every measured op whose per-example losses it does not exceed by ${z} standard errors are `,
        h('span', { class: 'role role-candidate' }, 'candidates'), ': the evidence cannot tell them apart, so the one with the smallest α weight goes. An op the evidence separated is ',
        h('span', { class: 'role role-kept' }, 'kept (z)'), ', where z is how many standard errors the worst op\'s losses exceed its own; the larger-α half is ',
        h('span', { class: 'role role-promising' }, 'promising'), ' and not measured. The score is the α weight for a candidate, 1 + α weight for a kept op and 2 + α weight for a promising one.'),
    );
  }
  if (model.edgeEvidence) {
    items.push(h('li', {}, h('b', {}, 'without the edge'), ': how much the validation loss (nats) of the trained supernet rose when only this edge was removed, measured at the end of the search; each node kept the two inputs it could least do without (', h('span', { class: 'kept-edge' }, '✓ kept'), ').'));
  }
  if (!measures.length && model.pruned.length) items.push(h('li', { class: 'muted' }, 'This run recorded only the abandoned op and its score: runs of earlier versions carry no per-op evidence.'));
  return h('ul', { class: 'pruning-legend legend-text' }, ...items);
}

/** Table of pruned ops for one cell kind: per edge and round, the evidence behind the decision. */
export function pruningTable(model: RunModel, cell: CellKind): HTMLElement {
  const events = model.pruned.filter((p) => p.cell === cell);
  const removal = model.edgeEvidence?.[cell];
  const kept = new Set((model.genotype?.final ? model.genotype.genotype[cell] : []).map(([, from], i) => edgeIndex(Math.floor(i / 2), from)));
  const rounds = [...new Set(events.map((p) => p.round))].sort((a, b) => a - b);
  const kindName = cell === 'normal' ? 'normal' : 'reduction';
  const table = h('table', { class: 'pruning-table', 'data-cell': cell, 'aria-label': `Pruning timeline of the ${kindName} cell` });
  const epochOf = (r: number) => events.find((p) => p.round === r)?.epoch;
  table.append(
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'edge'),
      ...(removal ? [h('th', { scope: 'col' }, 'without the edge', h('span', { class: 'sub' }, 'Δ valid loss, at the end'))] : []),
      ...rounds.map((r) => h('th', { scope: 'col' }, `round ${r}`, h('span', { class: 'sub' }, `after epoch ${epochOf(r)}`), ...basisOf(events.filter((p) => p.round === r)))),
      h('th', { scope: 'col' }, 'left (α weight)'),
    )),
  );
  const last = model.alphas[cell].at(-1);
  const body = h('tbody');
  for (let e = 0; e < model.edges; e++) {
    const row = h('tr', {}, h('th', { scope: 'row' }, edgeName(e)));
    if (removal) {
      const delta = removal[e];
      row.append(h('td', { class: 'removal' }, delta === undefined ? '–' : signed(delta), ...(kept.has(e) ? [' ', h('span', { class: 'kept-edge', title: `the ${kindName} cell keeps ${edgeName(e)}` }, '✓ kept')] : [])));
    }
    for (const r of rounds) {
      const here = events.filter((p) => p.edge === e && p.round === r);
      row.append(h('td', {}, roundCell(here, kindName, edgeName(e))));
    }
    const left = last?.weights[e] ? Object.entries(last.weights[e]!).sort((a, b) => b[1] - a[1]) : [];
    row.append(h('td', { class: 'left' }, left.map(([op, w]) => `${op} ${fmt(w)}`).join(', ')));
    body.append(row);
  }
  table.append(body);
  return table;
}

/** Under `pruning.confidence`: how many of a round's decisions rested on evidence and how many on α, as a header line. */
function basisOf(round: readonly PrunedEvent[]): HTMLElement[] {
  const basis = round.map((p) => pruningBasis(p.evidence));
  if (!basis.length || basis.some((b) => b === undefined)) return [];
  const on = (b: PruningBasis) => basis.filter((x) => x === b).length;
  return [h('span', { class: 'sub basis' }, `${on('evidence')} on evidence, ${on('alpha')} by α`)];
}

/** One edge in one round: every op the round weighed, best score first, the abandoned one marked; or only the abandoned op for runs without evidence. */
function roundCell(here: readonly PrunedEvent[], kindName: string, edge: string): HTMLElement {
  const first = here[0];
  if (!first) return h('span');
  const title = (p: PrunedEvent) => `${p.op} was abandoned on the ${kindName} cell's ${edge} in round ${p.round} (after epoch ${p.epoch}), score ${fmt(p.score)}`;
  const ev = first.evidence;
  if (!ev) return h('div', {}, ...here.map((p) => h('span', { class: 'pruned-op', title: title(p) }, h('span', { class: 'op' }, `✕ ${p.op}`), h('span', { class: 'score', title: 'score' }, fmt(p.score)))));
  const abandoned = new Map(here.map((p) => [p.op, p]));
  const d = MEASURES[ev.measure];
  const ops = Object.keys(ev.scores).sort((a, b) => (ev.scores[b] ?? -Infinity) - (ev.scores[a] ?? -Infinity));
  const list = h('ol', { class: 'evidence', 'aria-label': `Evidence on ${edge}` });
  for (const op of ops) {
    const p = abandoned.get(op);
    const value = ev.values[op];
    const score = ev.scores[op];
    list.append(h('li', { class: p ? 'pruned-op' : 'kept-op', title: p ? title(p) : `${op} stays on ${edge}` },
      h('span', { class: 'op' }, p ? `✕ ${op}` : op),
      h('span', { class: 'value', title: d?.name ?? ev.measure }, value === null || value === undefined ? 'not measured' : `${d?.short ?? ''} ${ev.measure === 'valid_loss_delta' ? signed(value) : fmt(value)}`.trim()),
      h('span', { class: 'score', title: 'score' }, `score ${score === null || score === undefined ? '–' : fmt(score)}`),
      ...(ev.roles?.[op] ? [roleTag(ev.roles[op], ev.z?.[op] ?? null, ev.confidence)] : []),
    ));
  }
  return list;
}

/** What the paired-z rule made of an op on its edge (see the legend). */
function roleTag(role: 'candidate' | 'kept' | 'promising', z: number | null, threshold: number | undefined): HTMLElement {
  const text = role === 'candidate' ? 'candidate: α decides' : role === 'kept' ? `kept: z ${z === null ? `> ${fmt(threshold ?? 0)}` : fmt(z)}` : 'promising';
  const title = role === 'candidate'
    ? 'the evidence cannot tell this op from the worst measured one; the smallest α weight of the candidates goes'
    : role === 'kept' ? 'the worst measured op\'s per-example losses exceed this op\'s by this many standard errors: kept on evidence' : 'in the larger-α half: not measured, stays this round';
  return h('span', { class: `role role-${role}`, title }, text);
}
