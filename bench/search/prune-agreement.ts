/**
 * Does the `performance` criterion's per-edge evidence reflect the ops, or noise? Two searches of
 * one space that differ only by seed (initial weights, data order, the data itself when it is
 * generated) are trained as the search trains them up to a pruning round; then every alive op of
 * every edge is measured as the round measures its less promising half: Δ validation loss of the
 * supernet with only that edge restricted to the op, paired on fixed batches. Per edge the two
 * seeds' op rankings are compared with Kendall's τ-b; the mean over edges gets a permutation
 * p-value (op labels shuffled per edge for one seed) and a bootstrap 95 % interval over edges.
 * τ near 0 would mean a round's decisions are coin flips; τ > 0 with a small p, that they agree.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/search/prune-agreement.ts
 *   [--space examples/quick.bnas] [--set key=value]... [--seeds 7,8] [--epochs 1] [--batches 1] [--backend wasm] [--json FILE]
 * --epochs: training epochs before the measured round (the quick demo's first round follows epoch 1);
 * --batches: architecture-split batches each probe is measured on (a round uses pruning.samples).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataset } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { probeLosses } from '../../runtime/search/replica-protocol.js';
import { meanLoss } from '../../runtime/search/pruning.js';
import { Rng } from '../../runtime/random/rng.js';
import type { EdgeRestriction } from '../../runtime/supernet/supernet.js';
import { trainedSupernet } from './trained-supernet.js';
import { kendallTau, shuffled } from '../rank-stats.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('examples/quick.bnas'),
    seeds: { type: 'string', default: '7,8' },
    epochs: { type: 'string', default: '1' },
    batches: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    permutations: { type: 'string', default: '10000' },
    json: { type: 'string' },
  },
});
const file = values.space as string;
const seeds = (values.seeds as string).split(',').map(Number);
const epochs = Number(values.epochs);
const nBatches = Number(values.batches);
if (seeds.length !== 2 || !seeds.every(Number.isInteger)) throw new Error('--seeds takes two whole numbers, e.g. 7,8');
const { text, space: loaded, label } = loadBenchSpace(file, values.set);
// Train as the search does, without pruning, for the epochs before the measured round.
const space: SearchSpace = { ...loaded, train: { ...loaded.train, epochs }, pruning: { ...loaded.pruning, criterion: 'none' } };
const backend = await initBackend(values.backend as BackendChoice);

/** Δ validation loss [cell][edge][op] of every op of every edge after `epochs` epochs of a search at `seed`. */
async function evidence(seed: number): Promise<Record<CellKind, number[][]>> {
  const dataset = await loadDataset(space.data, { seed });
  const { net, trainer, dispose } = await trainedSupernet(space, text, dataset, seed);
  try {
    const it = dataset.arch.iterator();
    const batches = Array.from({ length: nBatches }, () => it.next(space.train.batch));
    const base = meanLoss(await probeLosses(trainer, undefined, batches));
    const out = {} as Record<CellKind, number[][]>;
    for (const cell of CELL_KINDS) {
      out[cell] = [];
      for (const [edge, alive] of net.alive[cell].entries()) {
        const row: number[] = [];
        for (const [op, a] of alive.entries()) {
          const probe: EdgeRestriction = { cell, edge, op };
          row.push(a ? meanLoss(await probeLosses(trainer, probe, batches)) - base : NaN);
        }
        out[cell].push(row);
      }
    }
    return out;
  } finally {
    dispose();
  }
}

const t0 = performance.now();
const [ea, eb] = [await evidence(seeds[0]), await evidence(seeds[1])];
const edges = CELL_KINDS.flatMap((cell) => ea[cell].map((row, e) => ({ cell, edge: e, a: row, b: eb[cell][e] })));
const taus = edges.map((x) => kendallTau(x.a, x.b));
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const observed = mean(taus);
const rng = new Rng(12345);
const shuffle = <T>(xs: readonly T[]): T[] => shuffled(xs, rng);
const perms = Number(values.permutations);
let atLeast = 0;
for (let p = 0; p < perms; p++) if (mean(edges.map((x) => kendallTau(x.a, shuffle(x.b)))) >= observed) atLeast++;
const pValue = (atLeast + 1) / (perms + 1);
const boots = Array.from({ length: 2000 }, () => mean(Array.from({ length: taus.length }, () => taus[rng.int(taus.length)]))).sort((x, y) => x - y);
const ci = [boots[Math.floor(0.025 * boots.length)], boots[Math.floor(0.975 * boots.length)]];
const argmax = (xs: readonly number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
const sameWorst = edges.filter((x) => argmax(x.a) === argmax(x.b)).length;
const ops = space.ops.length;
const report = {
  space: space.name, file: label, seeds, epochs_before_round: epochs, batches: nBatches, batch: space.train.batch, backend: backend.name,
  edges: edges.length, ops, forwards_per_seed: (1 + edges.length * ops) * nBatches,
  mean_tau: observed, ci95: ci, permutation_p: pValue, permutations: perms,
  same_worst_op: sameWorst, same_worst_chance: edges.length / ops,
  seconds: (performance.now() - t0) / 1000,
  per_edge: edges.map((x, i) => ({ cell: x.cell, edge: x.edge, tau: taus[i], delta_a: x.a, delta_b: x.b })),
};
const f = (x: number) => x.toFixed(3);
console.log(`${space.name}: seeds ${seeds.join(' vs ')}, evidence after ${epochs} epoch(s) on ${nBatches} batch(es) of ${space.train.batch}, ${backend.name}`);
console.log(`per-edge op ranking agreement (Kendall τ-b over ${ops} ops, mean of ${edges.length} edges): ${f(observed)}, bootstrap 95 % CI [${f(ci[0])}, ${f(ci[1])}], permutation p = ${pValue.toPrecision(2)} (${perms} permutations)`);
console.log(`edges where both seeds find the same worst op: ${sameWorst} of ${edges.length} (chance: ${f(edges.length / ops)})`);
console.log(`cost: ${report.forwards_per_seed} supernet forward passes of ${space.train.batch} images per seed; ${report.seconds.toFixed(0)} s in all`);
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
