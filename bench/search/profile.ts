/**
 * Where a search step's time goes: one architecture step and one weight
 * step of the supernet of a space, with every op alive and with one op left per edge (the state
 * of the last epoch of a pruned search), split into parts:
 * - forward, by part of the network: stem, pre-processing, mixed edges (the fused cell: candidate
 *   ops, partial channels, bypass, shuffle, β mix), softmax of α/β and head;
 * - backward, by the part whose forward recorded it (each tape node's gradient is timed under the
 *   label that was active when its forward ran);
 * - the optimizer (SGD / Adam update, gradient clipping);
 * - with `--candidates`, one pruning candidate's evaluation (its single path trained for 2 batches
 *   and measured on 1, as the search runs it), under `candidate` and the labels of its parts.
 * Kernels are timed exclusively (a kernel that runs other kernels is charged only its own time).
 * The two variants alternate on the same batches; medians over `--steps`.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/search/profile.ts
 *   [--space bench/search/space-paper.bnas] [--set key=value]... [--steps 5] [--k 1] [--batch N] [--candidates] [--kernels] [--keep one|conv|free|minus1] [--json FILE]
 * `--k N` overrides the space's K (1 = the DARTS mode's supernet), `--batch N` its batch. `--keep`: which op stays on each edge in the one-op variant: `one` (default) rotates through the
 * non-`none` ops edge by edge (a mix as a real search leaves); `conv` keeps the first binary conv,
 * `free` the first parameter-free op (pool or skip); `minus1` is not one op per edge but the space after
 * the first pruning round: every edge loses one non-`none` op, a different one edge by edge.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../runtime/data/index.js';
import { initBackend } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { Optimizer } from '../../runtime/search/optimizers.js';
import { evaluatePath } from '../../runtime/search/replica-protocol.js';
import { Rng } from '../../runtime/random/rng.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('bench/search/space-paper.bnas'),
    steps: { type: 'string', default: '5' },
    keep: { type: 'string', default: 'one' },
    k: { type: 'string' },
    batch: { type: 'string' },
    candidates: { type: 'boolean', default: false },
    kernels: { type: 'boolean', default: false },
    json: { type: 'string', default: '' },
  },
});
const file = values.space as string;
const steps = Number(values.steps);
const keep = values.keep as 'one' | 'conv' | 'free' | 'minus1';
if (!['one', 'conv', 'free', 'minus1'].includes(keep)) throw new Error(`--keep must be one, conv, free or minus1, got ${keep}`);
const withCandidates = values.candidates as boolean;
/** `--kernels`: every part split by kernel name. */
const byKernel = values.kernels as boolean;

await initBackend('wasm');
const loaded = loadBenchSpace(file, values.set);
// `--k 1`: the DARTS mode's supernet (all channels through the mixed ops).
const space = { ...loaded.space, sampling: { ...loaded.space.sampling, k: Number(values.k ?? loaded.space.sampling.k) }, train: { ...loaded.space.train, batch: Number(values.batch ?? loaded.space.train.batch) } };
const size = space.data.image ?? 16;
const classes = 10;

// ------------------------------------------------------------------ kernel timing with labels

/** ms per label (exclusive kernel time). */
let totals = new Map<string, number>();
const labels: string[] = ['other'];
const label = (): string => labels[labels.length - 1];
const withLabel = <T>(name: string, f: () => T): T => {
  labels.push(name);
  try {
    return f();
  } finally {
    labels.pop();
  }
};
interface EngineInternals {
  runKernelFunc(p: unknown): unknown;
  addTapeNode(...args: unknown[]): void;
  state: { activeTape: { gradient?: (dys: unknown) => Record<string, () => unknown> }[] };
}
const engine = tf.engine() as unknown as EngineInternals;
const runKernelFunc = engine.runKernelFunc.bind(engine);
let childMs = 0;
engine.runKernelFunc = (p: unknown) => {
  const outer = childMs;
  childMs = 0;
  const t = performance.now();
  try {
    return runKernelFunc(p);
  } finally {
    const dt = performance.now() - t;
    const own = dt - childMs;
    const key = byKernel ? `${label()} · ${(p as { kernelName?: string }).kernelName ?? 'custom'}` : label();
    totals.set(key, (totals.get(key) ?? 0) + own);
    childMs = outer + dt;
  }
};
const addTapeNode = engine.addTapeNode.bind(engine);
engine.addTapeNode = (...args: unknown[]) => {
  addTapeNode(...args);
  const node = engine.state.activeTape.at(-1);
  const gradient = node?.gradient;
  if (!node || !gradient) return;
  // The gradient of a forward kernel is charged to the part that ran the forward.
  const part = `backward: ${label().replace(/^forward: /, '')}`;
  node.gradient = (dys) => {
    const thunks = withLabel(part, () => gradient(dys));
    return Object.fromEntries(Object.entries(thunks).map(([k, f]) => [k, () => withLabel(part, f)]));
  };
};

// ------------------------------------------------------------------ the two supernets

const rng = new Rng(1);
const batch = (): Batch => {
  const n = space.train.batch;
  return { x: new Float32Array(n * size * size * 3).map(() => rng.normal()), y: Int32Array.from({ length: n }, () => rng.int(classes)), n, shape: [n, size, size, 3] };
};

interface Part { apply: (...a: never[]) => unknown }
/** Wraps method `name` of `obj` so the kernels it runs are charged to `part`. */
function tag(obj: unknown, name: string, part: string): void {
  const o = obj as Record<string, Part['apply']>;
  const f = o[name].bind(obj);
  o[name] = ((...a: never[]) => withLabel(`forward: ${part}`, () => f(...a))) as Part['apply'];
}

function rig(onePerEdge: boolean): { net: Supernet; trainer: Trainer; name: string } {
  const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
  const s = space;
  if (onePerEdge) {
    const real = s.ops.flatMap((op, o) => (op.kind !== 'zero' ? [o] : []));
    const convs = s.ops.flatMap((op, o) => (op.kind === 'sep_conv' || op.kind === 'dil_conv' || op.kind === 'conv' ? [o] : []));
    const free = s.ops.flatMap((op, o) => (op.kind === 'max_pool' || op.kind === 'avg_pool' || op.kind === 'skip' ? [o] : []));
    for (const kind of CELL_KINDS) {
      for (let e = 0; e < net.edges; e++) {
        const turn = real[(e + (kind === 'reduce' ? 3 : 0)) % real.length];
        if (keep === 'minus1') {
          net.prune(kind as CellKind, e, turn);
          continue;
        }
        const kept = keep === 'conv' ? convs[0] : keep === 'free' ? free[0] : turn;
        s.ops.forEach((_, o) => o !== kept && net.prune(kind as CellKind, e, o));
      }
    }
  }
  const inner = net as unknown as { stem: unknown; stemBn: unknown; cells: { pre0: unknown; pre1: unknown; cell?: unknown }[] };
  tag(inner, 'forward', 'softmax α/β, head');
  tag(inner.stem, 'apply', 'stem');
  tag(inner.stemBn, 'apply', 'stem');
  for (const c of inner.cells) {
    tag(c.pre0, 'apply', 'pre-processing');
    tag(c.pre1, 'apply', 'pre-processing');
    if (c.cell) tag(c.cell, 'apply', 'mixed edges (fused cell)');
  }
  return { net, trainer: new Trainer(net, s, classes), name: onePerEdge ? (keep === 'minus1' ? 'one op fewer per edge' : 'one op per edge') : 'all ops' };
}

const rigs = [rig(false), rig(true)];
type Phase = 'arch' | 'weights' | 'candidate';
const PHASES: readonly Phase[] = ['arch', 'weights', 'candidate'];
const samples = rigs.map(() => ({ arch: [] as Map<string, number>[], weights: [] as Map<string, number>[], candidate: [] as Map<string, number>[] }));
/** The plain SGD of pruning candidates, as the search builds it. */
const pruneSgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune');
/** A single path as a pruning round forms it: one alive op per edge (the first alive one that is not `none`). */
const pathOf = (net: Supernet) => {
  const pick = (row: readonly boolean[]) => {
    const real = row.findIndex((a, o) => a && space.ops[o].kind !== 'zero');
    return real >= 0 ? real : row.indexOf(true);
  };
  return { normal: net.alive.normal.map(pick), reduce: net.alive.reduce.map(pick) };
};

async function run(r: (typeof rigs)[number], phase: Phase, b: Batch): Promise<Map<string, number>> {
  totals = new Map();
  const t0 = performance.now();
  if (phase === 'candidate') {
    // One pruning candidate as the search evaluates it: 2 SGD batches on its single path, 1
    // measured batch, its weights put back (the runtime's defaults).
    // Nothing else runs meanwhile, so the label holds across the read-backs' awaits.
    labels.push('candidate');
    try {
      await evaluatePath(r.trainer, pathOf(r.net), { train: [b, b], eval: [b] }, 0.01, pruneSgd);
    } finally {
      labels.pop();
    }
  } else if (phase === 'arch') {
    const g = await r.trainer.archGrads(b, 1);
    withLabel('optimizer', () => r.trainer.applyArchGrads(g.grads));
  } else {
    const g = await r.trainer.weightGrads(b);
    withLabel('optimizer', () => r.trainer.applyWeightGrads(g.grads, 0.01));
  }
  const total = performance.now() - t0;
  const kernels = [...totals.values()].reduce((a, x) => a + x, 0);
  totals.set('outside kernels (JS bookkeeping, tape)', total - kernels);
  totals.set('total', total);
  return totals;
}

for (const r of rigs) {
  await run(r, 'weights', batch()); // warm-up: kernels, optimizer slots
  await run(r, 'arch', batch());
}
for (let s = 0; s < steps; s++) {
  const a = batch();
  const w = batch();
  for (const [i, r] of rigs.entries()) {
    samples[i].arch.push(await run(r, 'arch', a));
    samples[i].weights.push(await run(r, 'weights', w));
    if (withCandidates) samples[i].candidate.push(await run(r, 'candidate', w));
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const parts = [...new Set(samples.flatMap((s) => [...s.arch, ...s.weights, ...s.candidate].flatMap((m) => [...m.keys()])))];
const order = (p: string) => (p === 'total' ? 2 : p.startsWith('outside') ? 1 : 0);
parts.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
const table = parts.map((p) => {
  const row: Record<string, number | string> = { part: p };
  rigs.forEach((r, i) => {
    for (const phase of PHASES) row[`${r.name} ${phase}`] = median(samples[i][phase].map((m) => m.get(p) ?? 0));
  });
  return row;
});
const f = (x: number | string) => (typeof x === 'number' ? x.toFixed(1) : x);
const cols = rigs.flatMap((r) => PHASES.filter((ph) => ph !== 'candidate' || withCandidates).map((ph) => `${r.name} ${ph}`));
const md = [
  `Space \`${loaded.label}\` (${space.ops.length} ops, ${space.supernet.cells} cells, ${space.supernet.channels} channels, K = ${space.sampling.k}, ${size}×${size}, batch ${space.train.batch}), wasm, 1 thread, median ms of ${steps} steps; one-op variant: \`${keep}\`, computed ops all / one: ${rigs.map((r) => r.net.computedOps()).join(' / ')}`,
  '',
  `| part | ${cols.join(' | ')} |`,
  `|---|${cols.map(() => '---').join('|')}|`,
  ...table.map((row) => `| ${row.part} | ${cols.map((c) => f(row[c])).join(' | ')} |`),
  '',
].join('\n');
console.log(md);
const json = values.json as string;
if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), space: loaded.label, steps, keep, table }, null, 2) + '\n');
pruneSgd.dispose();
for (const r of rigs) {
  r.trainer.dispose();
  r.net.dispose();
}
