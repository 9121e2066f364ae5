/**
 * Why a second search thread pays little (bench/probes/README.md): times one weight
 * gradient of a supernet (a) on the main thread for the full batch and for half of it, (b) in a
 * search worker alone for half of it (the variables already there, as in a search after the first
 * step), and (c) the two halves at the same time (worker and main thread), as `--threads 2` runs
 * a step. CPU time of the process and wall time, medians of `--steps` alternating rounds.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/probes/threads-probe.ts
 *   [--space bench/search/space.bnas] [--set key=value]... [--steps 5]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../runtime/data/index.js';
import { DataParallelGroup } from '../../runtime/engine/data-parallel.js';
import { initBackend } from '../../runtime/engine/index.js';
import { replicaModulePath } from '../../runtime/search/parallel.js';
import { packVariables, type ReplicaConfig } from '../../runtime/search/replica-protocol.js';
import { shardOf } from '../../runtime/search/shards.js';
import { Rng } from '../../runtime/random/rng.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

const { values } = parseArgs({
  options: { ...spaceOptions('bench/search/space.bnas'), steps: { type: 'string', default: '5' } },
});
const file = values.space as string;
const steps = Number(values.steps);
const info = await initBackend('wasm');
const { space, label } = loadBenchSpace(file, values.set);
const size = space.data.image ?? 16;
const classes = 6;
const config: ReplicaConfig = { space, input: [size, size, 3], numClasses: classes, seed: 1, backend: 'wasm' };
const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
const trainer = new Trainer(net, space, classes);
const group = await DataParallelGroup.start({ module: replicaModulePath(), config, shards: [1], totalShards: 2, backend: 'wasm' });
const rng = new Rng(1);
const n = space.train.batch;
const batch: Batch = {
  x: new Float32Array(n * size * size * 3).map(() => rng.normal()),
  y: Int32Array.from({ length: n }, () => rng.int(classes)),
  n,
  shape: [n, size, size, 3],
};
const half = shardOf(batch, 0, 2);
const noSync = { weights: false, arch: false };
const remote = (sync = noSync) => group.gradients(packVariables(net, sync), 0, { kind: 'weights', batch, alive: net.alive, sync });
const local = async (b: Batch) => tf.dispose([...(await trainer.weightGrads(b)).grads.values()]);

/** Wall and process CPU ms of `f`. */
async function timed(f: () => Promise<unknown> | unknown): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

await remote({ weights: true, arch: true }); // the worker gets the variables once, as in a search
await local(batch);
const cases: Record<string, () => Promise<unknown> | unknown> = {
  'main thread, full batch': () => local(batch),
  'main thread, half batch': () => local(half),
  'worker alone, half batch': () => remote(),
  'worker + main thread at once, half each': async () => {
    const r = remote();
    await local(half);
    await r;
  },
};
const samples = new Map<string, { wall: number; cpu: number }[]>(Object.keys(cases).map((k) => [k, []]));
for (let s = 0; s < steps; s++) for (const [k, f] of Object.entries(cases)) samples.get(k)?.push(await timed(f));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`Space \`${label}\`, ${info.reason}, batch ${n}, median of ${steps}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
console.log('| case | wall ms | process CPU ms |\n|---|---|---|');
for (const [k, xs] of samples) console.log(`| ${k} | ${median(xs.map((x) => x.wall)).toFixed(0)} | ${median(xs.map((x) => x.cpu)).toFixed(0)} |`);
await group.close();
trainer.dispose();
net.dispose();
