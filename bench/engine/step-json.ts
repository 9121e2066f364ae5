/**
 * One implementation of the benchmark cell in its own process: prints one JSON line with the
 * median step time. Used by peer-compare.ts to alternate with the PyTorch peer.
 * Usage: node --import tsx bench/engine/step-json.ts naive|fused K BINARY(0|1) STEPS [backend]
 */
import { initBackend, type BackendChoice } from '../../runtime/engine/backend.js';
import { BenchCell, DEFAULT_CELL } from './cell.js';

const [variant = 'fused', k = '4', binary = '1', steps = '5', backend = 'wasm'] = process.argv.slice(2);
if (variant !== 'naive' && variant !== 'fused') throw new Error(`variant must be naive or fused, got ${variant}`);
await initBackend(backend as BackendChoice);
const cell = new BenchCell({ ...DEFAULT_CELL, variant, k: Number(k), binary: binary === '1' });
cell.step();
const times: number[] = [];
for (let i = 0; i < Number(steps); i++) {
  const t = performance.now();
  cell.step();
  times.push(performance.now() - t);
}
cell.dispose();
const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
console.log(JSON.stringify({ median_ms: Math.round(median), times_ms: times.map(Math.round), variant, k: Number(k), binary: Number(binary) }));
