/**
 * Native TensorFlow (tfjs-node) against wasm with the engine's SIMD kernels, in one process, on
 * the same inputs: each kernel family of the fused cell forward and backward (docs/design.md,
 * "Backends and kernels"), then a whole supernet weight step and a derived-network training step
 * of a space (the samples `auto` times, runtime/search/backend-probe.ts). The two backends
 * alternate rep by rep so a slow phase of a shared machine hits both; medians are reported, and
 * the ratio native ÷ wasm (above 1: wasm is faster).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/backends.ts
 *   [--space examples/quick.bnas] [--reps 7] [--out FILE.json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../runtime/data/index.js';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import { avgPool, batchNormFast, composedReluConvBn, conv2d, depthwiseFast, initBackend, maxPool, pointwiseBn, reluConvBn, signSte } from '../../runtime/engine/index.js';
import { kernelChoice } from '../../runtime/engine/kernel-choice.js';
import { evaluateStepProbe, searchStepProbe } from '../../runtime/search/backend-probe.js';
import { randomGenotype } from '../../runtime/supernet/discrete.js';
import { Rng } from '../../runtime/search/rng.js';
import { writeRecord } from '../record.js';

const { values } = parseArgs({
  options: {
    space: { type: 'string', default: 'examples/quick.bnas' },
    reps: { type: 'string', default: '7' },
    out: { type: 'string' },
  },
});
const reps = Number(values.reps);
const BACKENDS = ['wasm', 'tensorflow'] as const;
await initBackend('node');
await initBackend('wasm');

/** A kernel family's forward and backward on fixed inputs: the search's shapes (batch 32, 16×16, 8 channels). */
interface Case {
  readonly name: string;
  /** Builds the inputs on the active backend and returns the timed work (disposes what it makes). */
  setup(): { run: () => void; dispose: () => void };
}
const shape = [32, 16, 16, 8] as [number, number, number, number];
const grad = (f: (x: tf.Tensor4D, w?: tf.Tensor) => tf.Tensor, withW?: number[]): Case['setup'] => () => {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = withW ? tf.randomNormal(withW, 0, 0.3, 'float32', 2) : undefined;
  const g = w ? tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a as tf.Tensor4D, b))) : tf.grads((a: tf.Tensor) => tf.sum(f(a as tf.Tensor4D)));
  return {
    run: () => tf.tidy(() => void g(w ? [x, w] : [x]).map((t) => t.dataSync())),
    dispose: () => tf.dispose([x, ...(w ? [w] : [])]),
  };
};
const CASES: Case[] = [
  { name: 'sign with its straight-through gradient', setup: grad((x) => signSte(x)) },
  { name: 'batch norm (no affine)', setup: grad((x) => batchNormFast(x)) },
  { name: 'sign → grouped 1×1 conv → batch norm', setup: grad((x, w) => pointwiseBn(x, w as tf.Tensor3D, true), [1, 8, 8]) },
  { name: 'depthwise 3×3', setup: grad((x, w) => depthwiseFast(x, w as tf.Tensor4D, 1, 1), [3, 3, 8, 1]) },
  { name: 'depthwise 3×3, dilation 2', setup: grad((x, w) => depthwiseFast(x, w as tf.Tensor4D, 1, 2), [3, 3, 8, 1]) },
  { name: 'max pool 3×3', setup: grad((x) => maxPool(x, 3, 1)) },
  { name: 'average pool 3×3', setup: grad((x) => avgPool(x, 3, 1)) },
  { name: 'dense conv 3×3', setup: grad((x, w) => conv2d(x, w as tf.Tensor4D, 1), [3, 3, 8, 8]) },
  { name: 'pre-processing ReLU → 1×1 conv → BN', setup: grad((x, w) => (kernelChoice().fusedPreprocess ? reluConvBn : composedReluConvBn)(x, [w as tf.Tensor4D], 1), [1, 1, 8, 8]) },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timeOn(backend: string, setup: Case['setup']): Promise<number> {
  await tf.setBackend(backend);
  const { run, dispose } = setup();
  try {
    run(); // warm-up: kernels, compilation, allocations
    const t = performance.now();
    run();
    return performance.now() - t;
  } finally {
    dispose();
  }
}

const rows: { name: string; ms: Record<string, number>; ratio: number }[] = [];
const measure = async (name: string, setup: Case['setup']) => {
  const ms: Record<string, number[]> = { wasm: [], tensorflow: [] };
  for (let r = 0; r < reps; r++) for (const b of r % 2 ? [...BACKENDS].reverse() : BACKENDS) ms[b].push(await timeOn(b, setup));
  const m = { wasm: median(ms.wasm), tensorflow: median(ms.tensorflow) };
  rows.push({ name, ms: m, ratio: m.tensorflow / m.wasm });
  console.log(`${name.padEnd(48)} wasm ${m.wasm.toFixed(2).padStart(8)} ms   native ${m.tensorflow.toFixed(2).padStart(8)} ms   native ÷ wasm ${(m.tensorflow / m.wasm).toFixed(2)}`);
};
for (const c of CASES) await measure(c.name, c.setup);

// Whole steps of a space, as `auto` measures them.
const file = values.space as string;
const { space } = loadSearchSpace(readFileSync(file, 'utf8'), { filePath: file, checkFiles: true });
if (!space) throw new Error(`${file} does not validate`);
const dataset = await loadDataset(space.data, { seed: space.train.seed });
const probe = (p: { run(): number }) => () => ({ run: () => void p.run(), dispose: () => undefined });
await measure(`supernet weight step (${space.name})`, probe(searchStepProbe(space, dataset)));
await measure(`derived-network training step (${space.name})`, probe(evaluateStepProbe(space, randomGenotype(space, Rng.stream(1, 'bench')), dataset)));

if (values.out) writeRecord(values.out, { space: file, reps, rows }, { backend: 'wasm and tensorflow' });
