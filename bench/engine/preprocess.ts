/**
 * The search's pre-processing alone: every cell input's ReLU → 1×1 → BN (or factorized reduce)
 * of a space, at the space's shapes, as the supernet's composition (`composed`,
 * runtime/supernet/candidate-ops.ts) and as the engine's fused op (`fused`,
 * runtime/engine/preprocess.ts), alternating in one process on the same inputs and weights.
 * Per variant: forward + backward of a weight step (gradients of the inputs and the filters) and
 * of an architecture step (inputs only: what flows back to α, β), median wall and CPU ms, and
 * the kernel calls of one weight step (tf.profile) by kernel name.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/preprocess.ts
 *   [--space bench/search/space-paper.bnas] [--set key=value]... [--steps 15] [--out bench/engine/results]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/index.js';
import { ParamStore } from '../../runtime/engine/params.js';
import { FusedPreprocess } from '../../runtime/engine/preprocess.js';
import { REAL } from '../../runtime/engine/quantize.js';
import { FactorizedReduce, ReluConvBn, type Op } from '../../runtime/supernet/candidate-ops.js';
import { planCells, SEARCH_BN } from '../../runtime/supernet/supernet.js';
import { benchArgs, benchSpace } from './space-bench.js';

const { file, sets, steps, out, backend } = benchArgs({ space: 'bench/search/space-paper.bnas', steps: 15 });

const info = await initBackend(backend);
const { space, label, size } = benchSpace(file, sets);
const batch = space.train.batch;
const plans = planCells(space, size);

/** One unit per cell input: its input shape, and the two builds on their own stores (same seed). */
interface Unit {
  readonly name: string;
  readonly x: tf.Tensor4D;
  /** Weights of the output in the loss (not uniform: a uniform one has a zero BN gradient). */
  readonly r: tf.Tensor4D;
  readonly ops: Record<Variant, Op>;
}
type Variant = 'composed' | 'fused';
const VARIANTS: Variant[] = ['composed', 'fused'];
const stores: Record<Variant, ParamStore> = { composed: new ParamStore(3), fused: new ParamStore(3) };

const units: Unit[] = [];
const sizes = [size, size];
for (const plan of plans) {
  // c_{k-2} arrives at the size before the previous reduction; c_{k-1} at the previous cell's size.
  const inputs: [string, number, number, boolean][] = [
    ['pre0', plan.inPrevPrev, sizes[0], plan.reductionPrev],
    ['pre1', plan.inPrev, sizes[1], false],
  ];
  for (const [which, ci, s, reduce] of inputs) {
    const prefix = `c${plan.index}.${which}.`;
    const ctx = (store: ParamStore) => ({ store, prefix, channels: plan.channels, stride: (reduce ? 2 : 1) as 1 | 2, binarize: REAL, bn: SEARCH_BN });
    const composed = reduce ? new FactorizedReduce(ctx(stores.composed), ci, plan.channels) : new ReluConvBn(ctx(stores.composed), ci, plan.channels);
    const fused = new FusedPreprocess(stores.fused, prefix, reduce ? 'factorized-reduce' : 'relu-conv-bn', ci, plan.channels);
    const so = reduce ? Math.ceil(s / 2) : s;
    units.push({
      name: `${prefix.slice(0, -1)} ${reduce ? 'FR' : 'RCB'} ${batch}×${s}×${s}×${ci}→${plan.channels}`,
      x: tf.randomNormal([batch, s, s, ci], 0, 1, 'float32', units.length) as tf.Tensor4D,
      r: tf.randomNormal([batch, so, so, plan.channels], 0, 1, 'float32', 100 + units.length) as tf.Tensor4D,
      ops: { composed, fused },
    });
  }
  sizes[0] = sizes[1];
  sizes[1] = plan.size;
}

/** One step of every unit: Σ unit(x)·r differentiated w.r.t. the inputs (+ the filters in a weight step). */
function step(v: Variant, weights: boolean): void {
  const vars = Object.values(stores[v].trainableMap());
  tf.tidy(() => {
    const xs = units.map((u) => tf.variable(u.x, true));
    const loss = () => tf.addN(units.map((u, i) => tf.sum(tf.mul(u.ops[v].apply(xs[i], true), u.r)))) as tf.Scalar;
    const grads = tf.variableGrads(loss, weights ? [...xs, ...vars] : xs);
    // Read one value so the backend has finished (wasm runs synchronously; cheap either way).
    Object.values(grads.grads)[0].dataSync();
    xs.forEach((x) => x.dispose());
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Record<string, { wall: number[]; cpu: number[] }> = {};
for (const v of VARIANTS) for (const w of [true, false]) rows[`${v} ${w ? 'weight' : 'arch'}`] = { wall: [], cpu: [] };
for (let i = 0; i < steps + 2; i++) {
  for (const v of VARIANTS) {
    for (const w of [true, false]) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      step(v, w);
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i < 2) continue; // warm-up (JIT, XNNPACK operator caches)
      rows[`${v} ${w ? 'weight' : 'arch'}`].wall.push(wall);
      rows[`${v} ${w ? 'weight' : 'arch'}`].cpu.push((c.user + c.system) / 1000);
    }
  }
}

const kernels: Record<Variant, Record<string, { calls: number; ms: number }>> = { composed: {}, fused: {} };
for (const v of VARIANTS) {
  const profile = await tf.profile(() => step(v, true));
  for (const k of profile.kernels) {
    const e = (kernels[v][k.name] ??= { calls: 0, ms: 0 });
    e.calls++;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  }
}

const summary = Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, { wallMs: median(r.wall), cpuMs: median(r.cpu) }]));
const load = (await import('node:os')).loadavg()[0];
const lines = [
  `# Pre-processing alone: composition vs fused op`,
  '',
  `\`${label}\`, ${units.length} units (${units.map((u) => u.name).join('; ')}), backend ${info.name}, ${steps} alternating steps, medians, load ${load.toFixed(1)}`,
  '',
  '| variant | step | wall ms | CPU ms |',
  '|---|---|---|---|',
  ...Object.entries(summary).map(([k, s]) => `| ${k.split(' ')[0]} | ${k.split(' ')[1]} | ${s.wallMs.toFixed(2)} | ${s.cpuMs.toFixed(2)} |`),
  '',
  `Weight step ratio fused ÷ composed: wall ${(summary['fused weight'].wallMs / summary['composed weight'].wallMs).toFixed(2)}, CPU ${(summary['fused weight'].cpuMs / summary['composed weight'].cpuMs).toFixed(2)}; architecture step: wall ${(summary['fused arch'].wallMs / summary['composed arch'].wallMs).toFixed(2)}, CPU ${(summary['fused arch'].cpuMs / summary['composed arch'].cpuMs).toFixed(2)}`,
  '',
  '| variant | kernel calls in a weight step | kernel ms (tf.profile) | by kernel (calls, ms) |',
  '|---|---|---|---|',
  ...VARIANTS.map((v) => {
    const e = Object.entries(kernels[v]).sort((a, b) => b[1].ms - a[1].ms);
    const calls = e.reduce((n, [, k]) => n + k.calls, 0);
    const ms = e.reduce((n, [, k]) => n + k.ms, 0);
    return `| ${v} | ${calls} | ${ms.toFixed(1)} | ${e.map(([n, k]) => `${n} ${k.calls}, ${k.ms.toFixed(2)}`).join('; ')} |`;
  }),
];
console.log(lines.join('\n'));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'preprocess.md'), lines.join('\n') + '\n');
writeFileSync(join(out, 'preprocess.json'), JSON.stringify({ space: label, backend: info.name, steps, load, units: units.map((u) => u.name), summary, kernels }, null, 2) + '\n');
