/**
 * Ranking credibility of the one-shot supernet (docs/method.md, "Evaluating a cell"): does the
 * supernet's estimate of a cell rank cells as training them from scratch does? A supernet is
 * trained as the search trains it (no pruning, so every op stays comparable); then N cells sampled
 * uniformly from the space are (a) estimated by the supernet, every edge the cell does not use set
 * to `none` and each used edge restricted to the cell's op, as accuracy on fixed architecture-split
 * batches, and (b) trained from scratch under one protocol (trainGenotype) and tested. Reported:
 * Kendall's τ-b between (a) and (b) with a bootstrap 95 % interval and a permutation p-value.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/search/ranking.ts
 *   [--space examples/quick.bnas] [--set key=value]... [--cells 10] [--epochs 4] [--eval-epochs 3] [--batches 4]
 *   [--seed 7] [--backend wasm] [--out FILE.json]
 */
import { parseArgs } from 'node:util';
import { loadDataset } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind, type Genotype } from '../../runtime/protocol/genotype.js';
import { trainGenotype } from '../../runtime/search/evaluate.js';
import { Rng } from '../../runtime/random/rng.js';
import { randomGenotype } from '../../runtime/supernet/discrete.js';
import type { PathChoice } from '../../runtime/supernet/supernet.js';
import { trainedSupernet } from './trained-supernet.js';
import { cellEdges } from '../../runtime/supernet/topology.js';
import { writeRecord } from '../record.js';
import { bootstrapCi, kendallTau, permutationP, shuffled } from '../rank-stats.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('examples/quick.bnas'),
    cells: { type: 'string', default: '10' },
    epochs: { type: 'string', default: '4' },
    'eval-epochs': { type: 'string', default: '3' },
    batches: { type: 'string', default: '4' },
    seed: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
  },
});
const file = values.space as string;
const { text, space: loaded, label } = loadBenchSpace(file, values.set);
const seed = Number(values.seed);
const space: SearchSpace = { ...loaded, train: { ...loaded.train, epochs: Number(values.epochs) }, pruning: { ...loaded.pruning, criterion: 'none' } };
const none = space.ops.findIndex((o) => o.kind === 'zero');
if (none < 0) throw new Error(`${file}: the supernet estimate of a cell sets unused edges to \`none\`; add none to ops`);
const backend = await initBackend(values.backend as BackendChoice);
const dataset = await loadDataset(space.data, { seed });
const t0 = performance.now();

/** The single path of a genotype: its edges with their ops, every other edge `none`. */
function pathOf(g: Genotype): PathChoice {
  const edges = cellEdges(space.supernet.nodes);
  const out = {} as Record<CellKind, number[]>;
  for (const cell of CELL_KINDS) {
    const path = edges.map(() => none);
    g[cell].forEach(([op, from], i) => {
      const node = Math.floor(i / 2);
      const e = edges.find((x) => x.node === node && x.from === from);
      if (!e) throw new Error(`no edge from ${from} into node ${node}`);
      path[e.index] = space.ops.findIndex((o) => o.name === op);
    });
    out[cell] = path;
  }
  return out;
}

const rng = Rng.stream(seed, 'ranking-cells');
const cells = Array.from({ length: Number(values.cells) }, () => randomGenotype(space, rng));
const estimates: number[] = [];
const { trainer, dispose } = await trainedSupernet(space, text, dataset, seed);
try {
  const it = dataset.arch.iterator();
  const batches = Array.from({ length: Number(values.batches) }, () => it.next(space.train.batch));
  for (const g of cells) {
    let correct = 0, n = 0;
    for (const b of batches) {
      const s = await trainer.evaluate(b, pathOf(g));
      correct += s.correct;
      n += s.n;
    }
    estimates.push(correct / n);
  }
} finally {
  dispose();
}

const standalone: number[] = [];
for (const [i, g] of cells.entries()) {
  const r = await trainGenotype(space, g, dataset, { epochs: Number(values['eval-epochs']), seed: Rng.stream(seed, 'eval').seed() });
  standalone.push(r.accuracy);
  process.stderr.write(`cell ${i + 1}: supernet ${(100 * estimates[i]).toFixed(1)} %, from scratch ${(100 * r.accuracy).toFixed(1)} %\n`);
}
const tau = kendallTau(estimates, standalone);
const ci = bootstrapCi(cells.length, (pick) => kendallTau(cells.map((_, i) => estimates[pick(i)]), cells.map((_, i) => standalone[pick(i)])));
const p = permutationP(tau, (r) => kendallTau(estimates, shuffled(standalone, r)), 10000);
console.log(
  `${space.name}: ${cells.length} random cells, supernet trained ${values.epochs} epochs, cells trained ${values['eval-epochs']} epochs from scratch (${backend.name})\n` +
    `Kendall τ-b (supernet estimate vs stand-alone accuracy): ${tau.toFixed(3)}, bootstrap 95 % CI [${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}], permutation p = ${p.toPrecision(2)}`,
);
if (values.out) {
  writeRecord(values.out, { space: space.name, file: label, seed, cells, estimates, standalone, tau, ci95: ci, permutation_p: p, seconds: (performance.now() - t0) / 1000 }, { backend: backend.name });
}
