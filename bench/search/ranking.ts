/**
 * Ranking credibility of the one-shot supernet (docs/method.md, "Evaluating a cell"): does the
 * supernet's estimate of a cell rank cells as training them from scratch does? A supernet is
 * trained as the search trains it (no pruning, so every op stays comparable); then N cells sampled
 * uniformly from the space are (a) estimated by the supernet, every edge the cell does not use set
 * to `none` and each used edge restricted to the cell's op, as accuracy on fixed architecture-split
 * batches, and (b) trained from scratch under one protocol (trainGenotype) and tested. Reported:
 * Kendall's τ-b between (a) and (b) with a bootstrap 95 % interval and a permutation p-value.
 *
 * `--recorded FILE` takes the cells and their stand-alone accuracies from a recorded evaluation
 * file (`evaluations.json` of bench/quality, trained under its protocol) instead of sampling and
 * training cells here: each distinct genotype once, its accuracy the mean over its evaluations
 * (`--groups` keeps some groups; `--subset NAME=G,G` also reports τ on those groups alone). Two
 * estimates are reported: accuracy (the primary one) and the negated loss on the same batches.
 *
 * `--estimates RECORD` takes each cell's supernet estimates from an earlier record of this script
 * (matched by genotype; every cell must be there) instead of training a supernet: the same
 * supernet judged against accuracies measured again, such as a re-evaluation of its cells at a
 * later engine (bench/quality/reevaluate.ts).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/search/ranking.ts
 *   [--space examples/quick.bnas] [--set key=value]... [--cells 10] [--epochs 4] [--eval-epochs 3] [--batches 4]
 *   [--recorded evaluations.json [--groups R,Q] [--subset random=R,Q]... [--estimates RECORD.json]]
 *   [--seed 7] [--backend wasm] [--out FILE.json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataset } from '../../runtime/data/index.js';
import type { Dataset } from '../../runtime/data/types.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind, type Genotype } from '../../runtime/protocol/genotype.js';
import { paramFreeShare } from '../../runtime/search/collapse.js';
import { trainGenotype } from '../../runtime/search/evaluate.js';
import { Rng } from '../../runtime/random/rng.js';
import { stat } from '../../runtime/sweep/stats.js';
import { randomGenotype } from '../../runtime/supernet/random-cells.js';
import type { PathChoice } from '../../runtime/supernet/supernet.js';
import { trainedSupernet } from './trained-supernet.js';
import { cellEdges } from '../../runtime/supernet/topology.js';
import { writeRecord } from '../record.js';
import { bootstrapCi, kendallTau, permutationP, shuffled, stratifiedTau } from '../rank-stats.js';
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
    recorded: { type: 'string' },
    estimates: { type: 'string' },
    groups: { type: 'string' },
    subset: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
});
const file = values.space as string;
const { text, space: loaded, label } = loadBenchSpace(file, values.set);
const seed = Number(values.seed);
const space: SearchSpace = { ...loaded, train: { ...loaded.train, epochs: Number(values.epochs) }, pruning: { ...loaded.pruning, criterion: 'none' } };
const none = space.ops.findIndex((o) => o.kind === 'zero');
if (none < 0) throw new Error(`${file}: the supernet estimate of a cell sets unused edges to \`none\`; add none to ops`);
if (values.estimates && !values.recorded) throw new Error('--estimates goes with --recorded: the accuracies to rank the earlier estimates against');
const earlier = values.estimates ? (JSON.parse(readFileSync(values.estimates, 'utf8')) as EarlierRanking) : undefined;
const backend = earlier ? { name: earlier.provenance?.versions?.backend ?? 'unknown' } : await initBackend(values.backend as BackendChoice);
const dataset = earlier ? undefined : await loadDataset(space.data, { seed });
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

/** An earlier record of this script (the fields `--estimates` reads). */
interface EarlierRanking {
  readonly cells: readonly Genotype[];
  readonly estimates: readonly number[];
  readonly losses: readonly number[];
  readonly seed: number;
  readonly provenance?: { readonly versions?: { readonly backend?: string } };
}

/** A recorded evaluation (bench/quality's `evaluations.json`: the fields this script reads). */
interface Recorded {
  readonly group: string;
  readonly accuracy: number;
  readonly genotype: Genotype;
}

/** Distinct genotypes of a recorded evaluation file, each with its group and mean accuracy over its evaluations. */
function recordedCells(path: string, groups?: readonly string[]): { cells: Genotype[]; groups: string[]; standalone: number[]; seedStd?: number; spread: number } {
  const all = (JSON.parse(readFileSync(path, 'utf8')) as { evaluations: Recorded[] }).evaluations;
  const byCell = new Map<string, { genotype: Genotype; group: string; accuracies: number[] }>();
  for (const e of all.filter((x) => !groups || groups.includes(x.group))) {
    const key = JSON.stringify(e.genotype);
    const cell = byCell.get(key) ?? { genotype: e.genotype, group: e.group, accuracies: [] };
    cell.accuracies.push(e.accuracy);
    byCell.set(key, cell);
  }
  const list = [...byCell.values()];
  if (list.length < 3) throw new Error(`${path}: ${list.length} distinct cells in the chosen groups; a rank correlation needs more`);
  const each = list.map((c) => stat(c.accuracies));
  const standalone = each.map((x) => x.mean);
  // The noise a cell's accuracy carries: the pooled within-cell std of the cells evaluated on several seeds.
  const df = each.reduce((a, x) => a + x.n - 1, 0);
  const ss = each.reduce((a, x) => a + (x.n - 1) * x.std ** 2, 0);
  const spread = stat(standalone).std;
  return { cells: list.map((c) => c.genotype), groups: list.map((c) => c.group), standalone, ...(df ? { seedStd: Math.sqrt(ss / df) } : {}), spread };
}

/**
 * τ-b of two lists with its bootstrap 95 % interval, the one-sided permutation p (τ above chance:
 * the estimate ranks as training does) and the two-sided one (|τ|: it ranks, either way).
 */
function agreement(estimate: readonly number[], truth: readonly number[]): { tau: number; ci95: [number, number]; permutation_p: number; two_sided_p: number; n: number } {
  const n = estimate.length;
  const tau = kendallTau(estimate, truth);
  const ci95 = bootstrapCi(n, (pick) => kendallTau(estimate.map((_, i) => estimate[pick(i)]), truth.map((_, i) => truth[pick(i)])));
  const permuted = (r: Rng): number => kendallTau(estimate, shuffled(truth, r));
  return { tau, ci95, permutation_p: permutationP(tau, permuted, 10000), two_sided_p: permutationP(Math.abs(tau), (r) => Math.abs(permuted(r)), 10000), n };
}

const recorded = values.recorded ? recordedCells(values.recorded, values.groups?.split(',')) : undefined;
const rng = Rng.stream(seed, 'ranking-cells');
const cells = recorded?.cells ?? Array.from({ length: Number(values.cells) }, () => randomGenotype(space, rng));
const estimates: number[] = [];
const losses: number[] = [];
if (earlier) {
  const at = new Map(earlier.cells.map((g, i) => [JSON.stringify(g), i]));
  for (const g of cells) {
    const i = at.get(JSON.stringify(g));
    if (i === undefined) throw new Error(`${values.estimates} has no estimate of the cell ${JSON.stringify(g)}`);
    estimates.push(earlier.estimates[i]);
    losses.push(earlier.losses[i]);
  }
} else {
  await estimate(dataset!);
}

/** Trains the supernet and estimates every cell with it on fixed architecture-split batches. */
async function estimate(dataset: Dataset): Promise<void> {
  const { trainer, dispose } = await trainedSupernet(space, text, dataset, seed);
  try {
    const it = dataset.arch.iterator();
    const batches = Array.from({ length: Number(values.batches) }, () => it.next(space.train.batch));
    for (const g of cells) {
      let correct = 0, n = 0, loss = 0;
      for (const b of batches) {
        const s = await trainer.evaluate(b, pathOf(g));
        correct += s.correct;
        loss += s.loss * s.n;
        n += s.n;
      }
      estimates.push(correct / n);
      losses.push(loss / n);
    }
  } finally {
    dispose();
  }
}

const standalone: number[] = recorded ? [...recorded.standalone] : [];
for (const [i, g] of (recorded ? [] : cells).entries()) {
  const r = await trainGenotype(space, g, dataset!, { epochs: Number(values['eval-epochs']), seed: Rng.stream(seed, 'eval').seed() });
  standalone.push(r.accuracy);
  process.stderr.write(`cell ${i + 1}: supernet ${(100 * estimates[i]).toFixed(1)} %, from scratch ${(100 * r.accuracy).toFixed(1)} %\n`);
}
const byAccuracy = agreement(estimates, standalone);
const { tau, ci95: ci, permutation_p: p } = byAccuracy;
const byLoss = agreement(losses.map((l) => -l), standalone);
const subsets = (values.subset ?? []).map((text) => {
  const [name, list] = text.split('=');
  const keep = new Set((list ?? '').split(','));
  const idx = cells.map((_, i) => i).filter((i) => keep.has(recorded?.groups[i] ?? ''));
  if (idx.length < 3) throw new Error(`--subset ${text}: ${idx.length} cells; name groups of --recorded with at least 3 cells`);
  return { name, groups: [...keep], accuracy: agreement(idx.map((i) => estimates[i]), idx.map((i) => standalone[i])), loss: agreement(idx.map((i) => -losses[i]), idx.map((i) => standalone[i])) };
});
// What the supernet's estimate follows: the cells' parameter-free share (both cells' mean), against
// which the stand-alone accuracy is ranked too.
const freeShare = cells.map((g) => {
  const f = paramFreeShare(g, space.ops);
  return (f.normal + f.reduce) / 2;
});
const byFree = { estimate: agreement(estimates, freeShare), standalone: agreement(standalone, freeShare) };
// Whether the estimate ranks cells at all once their parameter-free share is held fixed.
const withinFree = stratifiedTau(estimates, standalone, freeShare);
const show = (a: ReturnType<typeof agreement>): string =>
  `${a.tau.toFixed(3)}, bootstrap 95 % CI [${a.ci95[0].toFixed(3)}, ${a.ci95[1].toFixed(3)}], permutation p = ${a.permutation_p.toPrecision(2)} (two-sided ${a.two_sided_p.toPrecision(2)}; ${a.n} cells)`;
const source = (recorded ? `recorded under ${values.recorded}` : `trained ${values['eval-epochs']} epochs from scratch`) + (earlier ? `; the supernet's estimates from ${values.estimates}` : '');
console.log(
  `${space.name}: ${cells.length} ${recorded ? 'recorded' : 'random'} cells, ${earlier ? `the supernet of seed ${earlier.seed}` : `supernet trained ${values.epochs} epochs`}, cells ${source} (${backend.name})\n` +
    `Kendall τ-b (supernet estimate vs stand-alone accuracy): ${show(byAccuracy)}\n` +
    `the same with the supernet's loss as the estimate: ${show(byLoss)}` +
    `\nagainst the cells' parameter-free share: the supernet's estimate ${show(byFree.estimate)}; stand-alone accuracy ${show(byFree.standalone)}` +
    (withinFree ? `\nwithin cells of equal parameter-free share (${withinFree.groups} groups of 3 or more): τ-b ${withinFree.tau.toFixed(3)}, permutation p = ${withinFree.permutation_p.toPrecision(2)}` : '') +
    subsets.map((x) => `\n${x.name} (${x.groups.join(', ')}): accuracy ${show(x.accuracy)}; loss ${show(x.loss)}`).join('') +
    (recorded ? `\nstand-alone accuracy: std across the cells ${(100 * recorded.spread).toFixed(2)} points, a cell's seed std ${recorded.seedStd === undefined ? 'unknown (every cell once)' : `${(100 * recorded.seedStd).toFixed(2)} points`}` : ''),
);
if (values.out) {
  writeRecord(
    values.out,
    {
      space: space.name, file: label, seed: earlier?.seed ?? seed, cells, ...(recorded ? { recorded: values.recorded, groups: recorded.groups, spread: recorded.spread, seed_std: recorded.seedStd } : {}),
      ...(earlier && { estimates_from: values.estimates }),
      estimates, losses, standalone, tau, ci95: ci, permutation_p: p, two_sided_p: byAccuracy.two_sided_p, loss_estimate: byLoss, subsets, param_free_share: freeShare, against_param_free: byFree, within_param_free: withinFree, seconds: (performance.now() - t0) / 1000,
    },
    { backend: backend.name },
  );
}
