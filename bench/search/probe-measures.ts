/**
 * Which conv does each per-edge measure prefer at the first pruning round? A supernet is trained
 * as the search trains it up to its first round (no pruning; `--set optimizer.weights.schedule=constant`
 * keeps the rate of mid-search instead of annealing it to 0 over the shortened run). Then every
 * alive op of every edge is measured two ways on the same fixed architecture-split batches:
 * - `only`: the edge restricted to the op (the `performance` criterion's probe, lower Δ is better);
 * - `without`: the op taken out of the edge's mix, the rest renormalized (the mix the edge would
 *   have if pruning abandoned the op; higher Δ means the op mattered more).
 * Per cell kind it counts the edges on which each measure, and α, rank `--a` above `--b`.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/search/probe-measures.ts
 *   --space FILE [--set key=value]... [--seed 1] [--epochs 2] [--batches 2] [--a conv_3x3] [--b conv_1x1] [--backend wasm] [--json FILE]
 *   or --summarize FILE: the counts again from a saved record's per-edge values (written back unless --json)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataset } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { probeLosses } from '../../runtime/search/replica-protocol.js';
import { meanLoss } from '../../runtime/search/pruning.js';
import { trainedSupernet } from './trained-supernet.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions(),
    seed: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '2' },
    batches: { type: 'string', default: '2' },
    a: { type: 'string', default: 'conv_3x3' },
    b: { type: 'string', default: 'conv_1x1' },
    backend: { type: 'string', default: 'wasm' },
    json: { type: 'string' },
    summarize: { type: 'string' },
  },
});
type Row = { only: number[]; without: number[]; alpha: number[] };

/** Per cell kind: on how many edges each measure ranks op `ia` above op `ib`, and how often α puts each in the less promising half. */
function summarize(rows: Record<CellKind, Row[]>, ia: number, ib: number) {
  const lessHalf = (x: Row, o: number) => {
    const alive = x.alpha.flatMap((a, i) => (x.only[i] === null || Number.isNaN(x.only[i]) ? [] : [[a, i] as const]));
    const order = alive.sort((p, q) => p[0] - q[0] || q[1] - p[1]).map(([, i]) => i);
    return order.slice(0, Math.ceil(order.length / 2)).includes(o);
  };
  return CELL_KINDS.map((cell) => {
    const r = rows[cell];
    return {
      cell,
      edges: r.length,
      only_prefers_a: r.filter((x) => x.only[ia] < x.only[ib]).length,
      without_prefers_a: r.filter((x) => x.without[ia] > x.without[ib]).length,
      alpha_prefers_a: r.filter((x) => x.alpha[ia] > x.alpha[ib]).length,
      measures_agree: r.filter((x) => x.only[ia] < x.only[ib] === x.without[ia] > x.without[ib]).length,
      a_less_promising: r.filter((x) => lessHalf(x, ia)).length,
      b_less_promising: r.filter((x) => lessHalf(x, ib)).length,
    };
  });
}

let report;
if (values.summarize) {
  // Re-summarize a saved record (per_edge as measured), e.g. after a count was added here.
  const saved = JSON.parse(readFileSync(values.summarize, 'utf8'));
  const [ia, ib] = [saved.a, saved.b].map((name: string) => saved.ops.indexOf(name));
  report = { ...saved, summary: summarize(saved.per_edge, ia, ib) };
  if (!values.json) values.json = values.summarize;
} else {
  if (!values.space) throw new Error('--space FILE is required');
  const seed = Number(values.seed);
  const epochs = Number(values.epochs);
  const nBatches = Number(values.batches);
  const { text, space: loaded, label } = loadBenchSpace(values.space, values.set);
  const space: SearchSpace = { ...loaded, train: { ...loaded.train, epochs }, pruning: { ...loaded.pruning, criterion: 'none' } };
  const [ia, ib] = [values.a, values.b].map((name) => {
    const i = space.ops.findIndex((o) => o.name === name);
    if (i < 0) throw new Error(`the space has no op '${name}'`);
    return i;
  });
  const backend = await initBackend(values.backend as BackendChoice);
  const t0 = performance.now();
  const dataset = await loadDataset(space.data, { seed });
  const { net, trainer, dispose } = await trainedSupernet(space, text, dataset, seed);
  const rows = {} as Record<CellKind, Row[]>;
  try {
    const it = dataset.arch.iterator();
    const batches = Array.from({ length: nBatches }, () => it.next(space.train.batch));
    const base = meanLoss(await probeLosses(trainer, undefined, batches));
    const delta = async (cell: CellKind, edge: number, op: number, without: boolean) =>
      meanLoss(await probeLosses(trainer, { cell, edge, op, without }, batches)) - base;
    for (const cell of CELL_KINDS) {
      const alpha = (await net.arch.get(`alpha.${cell}`).array()) as number[][];
      rows[cell] = [];
      for (const [edge, alive] of net.alive[cell].entries()) {
        const row: Row = { only: [], without: [], alpha: alpha[edge] };
        for (const [op, a] of alive.entries()) {
          row.only.push(a ? await delta(cell, edge, op, false) : NaN);
          row.without.push(a ? await delta(cell, edge, op, true) : NaN);
        }
        rows[cell].push(row);
      }
    }
  } finally {
    dispose();
  }
  report = {
    space: space.name, file: label, seed, epochs_before_round: epochs, batches: nBatches, batch: space.train.batch, backend: backend.name,
    a: values.a, b: values.b, ops: space.ops.map((o) => o.name), summary: summarize(rows, ia, ib), seconds: (performance.now() - t0) / 1000, per_edge: rows,
  };
}
for (const s of report.summary) {
  console.log(`${report.space} seed ${report.seed}, ${s.cell}: of ${s.edges} edges, ${report.a} ranks above ${report.b} by only-Δ on ${s.only_prefers_a}, by without-Δ on ${s.without_prefers_a}, by α on ${s.alpha_prefers_a}; the two measures agree on ${s.measures_agree}; α puts ${report.a} in the less promising half on ${s.a_less_promising}, ${report.b} on ${s.b_less_promising}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
