/**
 * Where the time of a data-parallel cell step goes (main thread + 1 worker): per-part timings
 * of the benchmark cell's step on 1 thread at the full batch and at half the batch, and of the
 * 2-thread step (weights out, worker's load and gradients, main's shard, wait, average, apply).
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/threads-profile.ts [--config binary-k4] [--batch 32] [--steps 8]
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/backend.js';
import { averageShards, DataParallelGroup, type Replica } from '../../runtime/engine/data-parallel.js';
import { BenchCell, DEFAULT_CELL, type CellConfig } from './cell.js';

const now = (): number => performance.now();

export function createReplica(config: unknown, shard: number, shards: number): Replica {
  const c = config as CellConfig;
  const cell = new BenchCell({ ...c, batch: c.batch / shards, seed: c.seed + shard * 7919 });
  return {
    weightNames: () => cell.store.names().filter((n) => cell.store.get(n).trainable),
    gradients: (weights, _step, input) => {
      const t0 = now();
      cell.setWeights(weights);
      const t1 = now();
      const r = cell.gradientArrays();
      const t2 = now();
      const sent = (input as { sent: number }).sent;
      return { loss: r.loss, grads: [...r.grads, Float64Array.from([t0 - (performance.timeOrigin + 0), t1 - t0, t2 - t1, performance.timeOrigin + t0 - sent, performance.timeOrigin + t2]) as unknown as Float32Array] };
    },
    dispose: () => cell.dispose(),
  };
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (n: string, d: string): string => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
  const m = /^(binary|float)-k(\d+)$/.exec(get('config', 'binary-k4')) as RegExpExecArray;
  const steps = Number(get('steps', '8'));
  const config: CellConfig = { ...DEFAULT_CELL, variant: 'cell', fusedSgd: true, binary: m[1] === 'binary', k: Number(m[2]), batch: Number(get('batch', '32')) };
  await initBackend('wasm');
  const full = new BenchCell(config);
  const half = new BenchCell({ ...config, batch: config.batch / 2 });
  const main0 = new BenchCell({ ...config, batch: config.batch / 2 });
  const group = await DataParallelGroup.start({ module: fileURLToPath(import.meta.url), config, shards: [1], totalShards: 2, backend: 'wasm' });
  const rows: Record<string, number[]> = {};
  const add = (k: string, v: number): void => void (rows[k] ??= []).push(v);
  for (let s = 0; s < steps + 2; s++) {
    let t = now();
    full.step();
    const tFull = now() - t;
    t = now();
    const g = half.gradientArrays();
    const tHalfGrad = now() - t;
    t = now();
    half.applyGradientArrays(g.grads);
    const tApply = now() - t;
    t = now();
    half.setWeights(half.weightArrays());
    const tLoad = now() - t;
    // 2-thread step, by part
    const c0 = process.cpuUsage();
    const t0 = now();
    const w = main0.weightArrays();
    const t1 = now();
    const remote = group.gradients(w, s, { sent: performance.timeOrigin + now() });
    const t2 = now();
    const local = main0.gradientArrays();
    const t3 = now();
    const rs = await remote;
    const t4 = now();
    const info = rs[0].grads.pop() as unknown as Float64Array;
    const avg = averageShards([local, ...rs]);
    const t5 = now();
    main0.applyGradientArrays(avg.grads);
    const t6 = now();
    const cpu = process.cpuUsage(c0);
    if (s < 2) continue;
    add('1 thread: full-batch step (grads + SGD)', tFull);
    add('1 thread: half-batch gradients', tHalfGrad);
    add('1 thread: apply gradients (SGD)', tApply);
    add('1 thread: load weights (assign)', tLoad);
    add('2 threads: step wall', t6 - t0);
    add('2 threads: step CPU (all threads)', (cpu.user + cpu.system) / 1000);
    add('2 threads: read weights (dataSync)', t1 - t0);
    add('2 threads: postMessage (clone)', t2 - t1);
    add('2 threads: main shard gradients', t3 - t2);
    add('2 threads: wait for worker after own shard', t4 - t3);
    add('2 threads: worker: message latency', info[3]);
    add('2 threads: worker: load weights', info[1]);
    add('2 threads: worker: gradients', info[2]);
    add('2 threads: reply latency', performance.timeOrigin + t4 - info[4]);
    add('2 threads: average', t5 - t4);
    add('2 threads: apply', t6 - t5);
  }
  console.log(`config ${JSON.stringify(config)} tensors ${tf.memory().numTensors}`);
  for (const [k, v] of Object.entries(rows)) console.log(`${k.padEnd(48)} ${med(v).toFixed(1).padStart(8)} ms   [${v.map((x) => x.toFixed(0)).join(' ')}]`);
  await group.close();
  for (const c of [full, half, main0]) c.dispose();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
