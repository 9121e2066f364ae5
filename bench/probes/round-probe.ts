/**
 * Does a search step get slower after a pruning round than its op count says? (bench/probes/README.md)
 * In one process, on one supernet as a search has it: median ms of a search step (architecture
 * step + weight step) on the full space, then after each of `--rounds` rounds that drop one random non-`none` op per edge (different ops on different edges, as a real
 * round leaves them) and evaluate `--candidates` single-path candidates as a pruning round does,
 * each against a fresh supernet pruned the same way without that history (same seed, same ops).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/probes/round-probe.ts
 *   [--space bench/search/space-paper.bnas] [--set key=value]... [--steps 6] [--rounds 3] [--candidates 8]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../runtime/data/index.js';
import { initBackend } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { Optimizer } from '../../runtime/search/optimizers.js';
import type { PathChoice } from '../../runtime/search/pruning.js';
import { evaluatePath } from '../../runtime/search/replica-protocol.js';
import { Rng } from '../../runtime/random/rng.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('bench/search/space-paper.bnas'),
    steps: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    candidates: { type: 'string', default: '8' },
  },
});
const file = values.space as string;
const steps = Number(values.steps);
await initBackend('wasm');
const { space, label } = loadBenchSpace(file, values.set);
const size = space.data.image ?? 16;
const classes = 10;
const rng = new Rng(1);
const batches: Batch[] = Array.from({ length: 6 }, () => {
  const n = space.train.batch;
  return { x: new Float32Array(n * size * size * 3).map(() => rng.normal()), y: Int32Array.from({ length: n }, () => rng.int(classes)), n, shape: [n, size, size, 3] };
});
const build = () => {
  const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
  return { net, trainer: new Trainer(net, space, classes) };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** ms of one search step (architecture step + weight step) on batches i and i + 3. */
async function stepMs(trainer: Trainer, i: number): Promise<number> {
  const t = performance.now();
  const a = await trainer.archGrads(batches[i % 6], 5);
  trainer.applyArchGrads(a.grads);
  const w = await trainer.weightGrads(batches[(i + 3) % 6]);
  trainer.applyWeightGrads(w.grads, 0.01);
  return performance.now() - t;
}
/** Median ms a step of each trainer, their steps interleaved so a changing load hits both alike (one untimed step each first). */
async function interleaved(...trainers: Trainer[]): Promise<number[]> {
  const times = trainers.map(() => [] as number[]);
  for (let i = -1; i < steps; i++) {
    // Who goes first alternates, so neither always runs on a cache the other warmed.
    const order = trainers.map((_, k) => k);
    if (i % 2) order.reverse();
    for (const k of order) {
      const ms = await stepMs(trainers[k], i + 6);
      if (i >= 0) times[k].push(ms);
    }
  }
  return times.map(median);
}

const searched = build();
const dropRng = new Rng(5);
/** Drops on every edge of every cell kind: round r's op per edge, drawn once and replayed on the fresh net. */
const drops: Record<CellKind, number>[][] = [];
const sgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune');
const rows: string[] = [`full space: ${(await interleaved(searched.trainer))[0].toFixed(1)} ms a step, ${searched.net.opsLeft()} ops`];
for (let r = 0; r < Number(values.rounds); r++) {
  const round: Record<CellKind, number>[] = [];
  for (let e = 0; e < searched.net.edges; e++) {
    const d = {} as Record<CellKind, number>;
    for (const kind of CELL_KINDS) {
      const alive = searched.net.alive[kind][e].flatMap((a, o) => (a && space.ops[o].kind !== 'zero' ? [o] : []));
      d[kind] = alive[dropRng.int(alive.length)];
      for (const prefix of searched.net.prune(kind, e, d[kind])) searched.trainer.forget(prefix);
    }
    round.push(d);
  }
  drops.push(round);
  // The round's candidate evaluations, each on a single path (c-th alive real op of every edge).
  const t0 = performance.now();
  for (let c = 0; c < Number(values.candidates); c++) {
    const pick = (row: readonly boolean[]) => {
      const alive = row.flatMap((a, o) => (a && space.ops[o].kind !== 'zero' ? [o] : []));
      return alive[c % alive.length];
    };
    const choice: PathChoice = { normal: searched.net.alive.normal.map(pick), reduce: searched.net.alive.reduce.map(pick) };
    await evaluatePath(searched.trainer, choice, { train: [batches[0], batches[1]], eval: [batches[2]] }, 0.01, sgd);
  }
  const evalMs = (performance.now() - t0) / Number(values.candidates);
  const fresh = build();
  for (const past of drops) past.forEach((d, e) => CELL_KINDS.forEach((kind) => fresh.net.prune(kind, e, d[kind])));
  const [afterRound, freshMs] = await interleaved(searched.trainer, fresh.trainer);
  fresh.trainer.weightOpt.dispose();
  fresh.trainer.archOpt.dispose();
  fresh.net.dispose();
  rows.push(`round ${r + 1} (${searched.net.opsLeft()} ops): after the round ${afterRound.toFixed(1)} ms a step; fresh supernet, same ops ${freshMs.toFixed(1)} ms; candidates ${evalMs.toFixed(1)} ms each; tensors ${tf.memory().numTensors}`);
}
console.log(`Space \`${label}\`, wasm, 1 thread, median of ${steps} steps\n${rows.join('\n')}`);
