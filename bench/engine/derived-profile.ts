/**
 * Where a derived-network training step spends its time, per kernel name: one `bnas evaluate`
 * step (forward, backward, update; one thread) under `tf.profile`, after `--warmup` untimed steps.
 * A kernel that runs other kernels inside (a custom gradient) counts them too, so the rows overlap.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/derived-profile.ts
 *   [--space bench/engine/space-derived-28.bnas] [--set key=value]... [--genotype FILE]
 *   [--backend node|wasm] [--warmup 1] [--top 30]
 * Prints the step's wall and profiled time, then the kernels by total time.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { microBatchPlan } from '../../runtime/dsl/memory.js';
import type { Batch } from '../../runtime/data/index.js';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { adaptGenotype, trainStep } from '../../runtime/search/evaluate.js';
import { Optimizer, scheduledLr } from '../../runtime/search/optimizers.js';
import { partSize } from '../../runtime/search/shards.js';
import { Rng } from '../../runtime/random/rng.js';
import { DiscreteNetwork } from '../../runtime/supernet/discrete.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('bench/engine/space-derived-28.bnas'),
    genotype: { type: 'string', default: 'bench/search/reference-cells/darts-v2.json' },
    backend: { type: 'string', default: 'node' },
    warmup: { type: 'string', default: '1' },
    top: { type: 'string', default: '30' },
  },
});
const { space } = loadBenchSpace(values.space as string, values.set ?? []);
const info = await initBackend(values.backend as BackendChoice);
const size = space.data.image ?? 28;
const numClasses = 10;
const batch = space.train.batch;
const genotype = adaptGenotype(readGenotype(values.genotype as string), space).genotype;
const microBatch = partSize(microBatchPlan(space, info.name, 1, { image: size, inChannels: 1, classes: numClasses }));
const net = new DiscreteNetwork(space, genotype, { input: [size, size, 1], numClasses, seed: 1 });
const opt = new Optimizer(space.optimizers.weights, 'opt.eval');
const rng = new Rng(1);
const b: Batch = {
  x: new Float32Array(batch * size * size).map(() => rng.normal()),
  y: Int32Array.from({ length: batch }, () => rng.int(numClasses)),
  n: batch,
  shape: [batch, size, size, 1],
};
const lr = scheduledLr(space.optimizers.weights, 0, space.train.epochs);
const step = () => trainStep(net, opt, b, lr, numClasses, microBatch);
for (let i = 0; i < Number(values.warmup); i++) await step();
const t0 = performance.now();
const c0 = process.cpuUsage();
await step();
const c = process.cpuUsage(c0);
const wall = performance.now() - t0;
const profile = await tf.profile(step);
const rows = new Map<string, { n: number; ms: number }>();
let total = 0;
for (const k of profile.kernels) {
  const ms = k.kernelTimeMs as number;
  const shape = k.inputShapes.map((s) => (s ? `[${s}]` : '-')).join(' ');
  for (const key of [k.name, `${k.name} ${shape}`]) {
    const r = rows.get(key) ?? { n: 0, ms: 0 };
    r.n++;
    r.ms += ms;
    rows.set(key, r);
  }
  total += ms;
}
const fmt = (entries: [string, { n: number; ms: number }][]) =>
  entries.sort((x, y) => y[1].ms - x[1].ms).slice(0, Number(values.top)).map(([k, r]) => `${r.ms.toFixed(1).padStart(8)} ms ${String(r.n).padStart(5)}×  ${k}`).join('\n');
console.log(`backend ${info.name}, micro-batch ${microBatch}: step ${wall.toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU; kernels ${profile.kernels.length}, ${total.toFixed(0)} ms summed`);
console.log('by kernel:\n' + fmt([...rows].filter(([k]) => !k.includes(' '))));
console.log('by kernel and input shapes:\n' + fmt([...rows].filter(([k]) => k.includes(' '))));
opt.dispose();
net.dispose();
process.exit(0);
