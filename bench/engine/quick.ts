// Scratch timing: node --import tsx bench/engine/quick.ts VARIANT K BINARY STEPS
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/backend.js';
import { BenchCell, DEFAULT_CELL } from './cell.js';
const [variant = 'fused', k = '4', binary = '1', steps = '3'] = process.argv.slice(2);
await initBackend((process.env.BACKEND as 'wasm') ?? 'wasm');
const cell = new BenchCell({ ...DEFAULT_CELL, variant: variant as 'fused', k: Number(k), binary: binary === '1' });
cell.step();
const times: number[] = [];
for (let i = 0; i < Number(steps); i++) {
  const t = performance.now();
  cell.step();
  times.push(performance.now() - t);
}
console.log(variant, 'K', k, 'binary', binary, times.map((t) => t.toFixed(0)).join(' '), 'tensors', tf.memory().numTensors);
if (process.env.PROFILE) {
  const prof = await tf.profile(() => { cell.step(); });
  const by = new Map<string, number>();
  for (const kk of prof.kernels) by.set(kk.name, (by.get(kk.name) ?? 0) + (kk.kernelTimeMs as number));
  const tot = [...by.values()].reduce((a, b) => a + b, 0);
  console.log('kernel total', tot.toFixed(0), [...by].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([n, v]) => `${n} ${v.toFixed(0)}`).join(', '));
}
