/**
 * The practical peak of this runtime: a 1024³ float32 matrix product on the wasm backend (one
 * thread), median of 5 after a warm-up; prints one JSON line as bench/peers/pytorch/matmul_peak.py
 * does, for bench/engine/peer-compare.ts --peak. The result is read with dataSync outside any tidy
 * (returning a typed array from tf.tidy walks it element by element: the artefact that once made
 * this peak look like 2 GFLOP/s).
 */
import { cpuUsage } from 'node:process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/backend.js';

await initBackend('wasm');
const n = 1024;
const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
const once = (): { ms: number; cpu: number } => {
  const c0 = cpuUsage();
  const t0 = performance.now();
  const c = tf.matMul(a, b);
  c.dataSync();
  const ms = performance.now() - t0;
  const used = cpuUsage(c0);
  c.dispose();
  return { ms, cpu: (used.user + used.system) / 1000 };
};
once();
const runs = Array.from({ length: 5 }, once);
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ms = median(runs.map((r) => r.ms));
console.log(
  JSON.stringify({ median_ms: Math.round(ms * 10) / 10, cpu_ms: Math.round(median(runs.map((r) => r.cpu)) * 10) / 10, gflops: Math.round((2 * n ** 3) / ms / 1e5) / 10, times_ms: runs.map((r) => Math.round(r.ms)) }),
);
a.dispose();
b.dispose();
