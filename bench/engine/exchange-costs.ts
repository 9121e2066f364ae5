/**
 * What a data-parallel search step adds to the work and what it cannot split, on one thread (CPU
 * ms, medians of 7): the weights packed, cloned and loaded into a replica, shard gradients
 * combined and applied, and the weight and architecture steps at the batch and at half of it
 * (the fixed part of a step, which every shard pays again: runtime/engine/cores.ts's model), and
 * the same for a derived network's training step (`bnas evaluate`).
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/exchange-costs.ts [SPACE.bnas] [--set key=value]...
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/index.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { loadVariables, packVariables, syncedNames } from '../../runtime/search/replica-protocol.js';
import { combine, gradArrays, shardOf } from '../../runtime/search/shards.js';
import { setsIn } from '../space-args.js';
import { benchSpace } from './space-bench.js';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { adaptGenotype, trainStep } from '../../runtime/search/evaluate.js';
import { Optimizer } from '../../runtime/search/optimizers.js';
import { DiscreteNetwork } from '../../runtime/supernet/discrete.js';

await initBackend('wasm');
const file = process.argv[2]?.startsWith('--') === false ? process.argv[2] : 'bench/search/space-paper.bnas';
const { space, label, size, classes, batch } = benchSpace(file, setsIn(process.argv));
const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
const replica = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
const trainer = new Trainer(net, space, classes);
const b = batch();
const half = shardOf(b, 0, 2);
const cpu = async (f: () => unknown): Promise<number> => {
  const c = process.cpuUsage();
  await f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};
const row = async (label: string, f: () => unknown): Promise<void> => {
  const xs: number[] = [];
  for (let i = 0; i < 7; i++) xs.push(await cpu(f));
  xs.sort((x, y) => x - y);
  console.log(`${label.padEnd(44)} ${xs[3].toFixed(2).padStart(8)} ms`);
};
const names = syncedNames(net).weights;
const shapes = new Map(names.map((n) => [n, net.weights.get(n).shape]));
let arrays: Float32Array[] = [];
console.log(`${label}: batch ${b.n}, ${net.weights.count()} weights in ${names.length} variables; load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
await row('pack the weights (dataSync)', () => (arrays = packVariables(net)));
await row('clone them (postMessage)', () => structuredClone(arrays));
await row('load them into a replica (assign)', () => loadVariables(replica, arrays));
const g = await gradArrays(await trainer.weightGrads(half), names, half.n);
await row('combine 2 shards\' gradients', () => tf.dispose([...combine([{ loss: 1, grads: g }, { loss: 1, grads: g }], names, shapes).grads.values()]));
await row('weight gradients, batch', async () => gradArrays(await trainer.weightGrads(b), names, b.n));
await row('weight gradients, half batch', async () => gradArrays(await trainer.weightGrads(half), names, half.n));
await row('architecture gradients, batch', async () => tf.dispose([...(await trainer.archGrads(b, space.train.warmup)).grads.values()]));
await row('architecture gradients, half batch', async () => tf.dispose([...(await trainer.archGrads(half, space.train.warmup)).grads.values()]));
// `bnas evaluate`'s step on the derived network of a reference cell adapted to the space.
const genotype = adaptGenotype(readGenotype('bench/search/reference-cells/pc-darts-cifar.json'), space).genotype;
const derived = new DiscreteNetwork(space, genotype, { input: [size, size, 3], numClasses: classes, seed: 1 });
const opt = new Optimizer(space.optimizers.weights, 'opt.bench');
await row('derived-network training step, batch', () => trainStep(derived, opt, b, 0.01, classes));
await row('derived-network training step, half batch', () => trainStep(derived, opt, half, 0.01, classes));
for (const x of [trainer, net, replica, derived, opt]) x.dispose();
