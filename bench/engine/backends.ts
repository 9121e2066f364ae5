/**
 * Every backend that loads here (wasm with the engine's SIMD kernels; native TensorFlow from
 * tfjs-node; WebGPU, on a software adapter only with --webgpu, labelled as such) against wasm, in
 * one process, on the same inputs: each kernel family of the fused cell forward and backward
 * (docs/design.md, "Backends and kernels"), then a whole supernet weight step and a
 * derived-network training step of a space (the samples `auto` times,
 * runtime/search/backend-probe.ts). Every run reads its results back (a GPU's queue is included).
 * The backends take turns rep by rep so a slow phase of a shared machine hits all; medians are
 * reported, and each backend's ratio to wasm (above 1: wasm is faster).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/backends.ts
 *   [--space examples/quick.bnas] [--set key=value]... [--reps 7] [--webgpu] [--out FILE.json]
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../runtime/data/index.js';
import { avgPool, batchNormFast, composedReluConvBn, conv2d, depthwiseFast, initBackend, maxPool, pointwiseBn, releaseBackend, reluConvBn, signSte, type BackendInfo } from '../../runtime/engine/index.js';
import { kernelChoice } from '../../runtime/engine/kernel-choice.js';
import { evaluateStepProbe, searchStepProbe } from '../../runtime/search/backend-probe.js';
import { randomGenotype } from '../../runtime/supernet/random-cells.js';
import { Rng } from '../../runtime/random/rng.js';
import { writeRecord } from '../record.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('examples/quick.bnas'),
    reps: { type: 'string', default: '7' },
    out: { type: 'string' },
    webgpu: { type: 'boolean', default: false },
  },
});
const reps = Number(values.reps);
const infos: BackendInfo[] = [];
for (const choice of ['node', ...(values.webgpu ? ['webgpu' as const] : []), 'wasm'] as const) {
  try {
    infos.push(await initBackend(choice));
  } catch (err) {
    if (choice === 'wasm' || (choice === 'webgpu' && values.webgpu)) throw err;
    console.log(`${choice}: skipped (${(err as Error).message.split('.')[0]})`);
  }
}
const BACKENDS = infos.map((i) => i.name);
const LABEL: Record<string, string> = { wasm: 'wasm', tensorflow: 'native' };
for (const i of infos) if (i.adapter) LABEL[i.name] = i.adapter.software ? 'webgpu (software)' : 'webgpu';
console.log(infos.map((i) => `${LABEL[i.name]}: ${i.reason}`).join('\n'));

/** A kernel family's forward and backward on fixed inputs: the search's shapes (batch 32, 16×16, 8 channels). */
interface Case {
  readonly name: string;
  /** Builds the inputs on the active backend and returns the timed work (disposes what it makes). */
  setup(): { run: () => Promise<void>; dispose: () => void };
}
const shape = [32, 16, 16, 8] as [number, number, number, number];
const grad = (f: (x: tf.Tensor4D, w?: tf.Tensor) => tf.Tensor, withW?: number[]): Case['setup'] => () => {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = withW ? tf.randomNormal(withW, 0, 0.3, 'float32', 2) : undefined;
  const g = w ? tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(f(a as tf.Tensor4D, b))) : tf.grads((a: tf.Tensor) => tf.sum(f(a as tf.Tensor4D)));
  return {
    run: async () => {
      const out = g(w ? [x, w] : [x]);
      await Promise.all(out.map((t) => t.data()));
      tf.dispose(out);
    },
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
    await run(); // warm-up: kernels, shader compilation, allocations
    const t = performance.now();
    await run();
    return performance.now() - t;
  } finally {
    dispose();
  }
}

const rows: { name: string; ms: Record<string, number>; ratio: Record<string, number> }[] = [];
const measure = async (name: string, setup: Case['setup']) => {
  const ms: Record<string, number[]> = Object.fromEntries(BACKENDS.map((b) => [b, []]));
  for (let r = 0; r < reps; r++) for (const b of r % 2 ? [...BACKENDS].reverse() : BACKENDS) ms[b].push(await timeOn(b, setup));
  const m = Object.fromEntries(BACKENDS.map((b) => [b, median(ms[b])]));
  const ratio = Object.fromEntries(BACKENDS.filter((b) => b !== 'wasm').map((b) => [b, m[b] / m.wasm]));
  rows.push({ name, ms: m, ratio });
  console.log(`${name.padEnd(48)} ${BACKENDS.map((b) => `${LABEL[b]} ${m[b].toFixed(2).padStart(8)} ms${b === 'wasm' ? '' : ` (÷ wasm ${ratio[b].toFixed(2)})`}`).join('   ')}`);
};
for (const c of CASES) await measure(c.name, c.setup);

// Whole steps of a space, as `auto` measures them.
const { space, label } = loadBenchSpace(values.space as string, values.set);
const dataset = await loadDataset(space.data, { seed: space.train.seed });
const probe = (p: { run(): Promise<number> }) => () => ({ run: async () => void (await p.run()), dispose: () => undefined });
await measure(`supernet weight step (${space.name})`, probe(searchStepProbe(space, dataset)));
await measure(`derived-network training step (${space.name})`, probe(evaluateStepProbe(space, randomGenotype(space, Rng.stream(1, 'bench')), dataset)));

const versionOf = (pkg: string): string | undefined => {
  try {
    return (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
};
const packages = Object.fromEntries(['webgpu', '@tensorflow/tfjs-backend-webgpu'].map((p) => [p, versionOf(p)]));
const backends = infos.map((i) => ({ name: i.name, label: LABEL[i.name], reason: i.reason, adapter: i.adapter, ...(i.name === 'webgpu' ? { packages } : {}) }));
if (values.out) writeRecord(values.out, { space: label, reps, backends, rows }, { backend: BACKENDS.map((b) => LABEL[b]).join(', ') });
releaseBackend();
