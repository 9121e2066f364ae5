/**
 * One implementation of the benchmark cell in its own process: prints one JSON line with the
 * median step time. Used by peer-compare.ts to alternate with the PyTorch peer.
 * Usage: node --import tsx bench/engine/step-json.ts naive|fused|cell|cell-sgd K BINARY(0|1) STEPS [backend]
 */
import { initBackend, type BackendChoice } from '../../runtime/engine/backend.js';
import { useZeroCopyIdentity } from '../../runtime/engine/tfjs-patches.js';
import { BenchCell, DEFAULT_CELL } from './cell.js';

const [variant = 'fused', k = '4', binary = '1', steps = '5', backend = 'wasm'] = process.argv.slice(2);
if (!['naive', 'fused', 'cell', 'cell-sgd'].includes(variant)) throw new Error(`variant must be naive, fused, cell or cell-sgd, got ${variant}`);
await initBackend(backend as BackendChoice);
// naive is the straightforward version on stock kernels, as in run.ts.
useZeroCopyIdentity(variant !== 'naive');
const cell = new BenchCell({
  ...DEFAULT_CELL,
  variant: variant === 'cell-sgd' ? 'cell' : (variant as 'naive' | 'fused' | 'cell'),
  fusedSgd: variant === 'cell-sgd',
  k: Number(k),
  binary: binary === '1',
});
cell.step();
const times: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < Number(steps); i++) {
  const t = performance.now();
  const c0 = process.cpuUsage();
  cell.step();
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  times.push(performance.now() - t);
}
cell.dispose();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({ median_ms: Math.round(median(times)), times_ms: times.map(Math.round), cpu_ms: Math.round(median(cpu)), variant, k: Number(k), binary: Number(binary) }),
);
