/**
 * What the engine's fused cell buys a real search: the supernet's weight step (forward, backward,
 * SGD with the search's own optimizer) and architecture step on a space file, with the mixed edges
 * computed op by op (the tests' reference, test/unit/engine/reference/op-cell.ts) and by the
 * FusedCell (the runtime's only path), the
 * two alternating in one process on the same batches. Reports median wall and CPU ms per step.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/supernet-step.ts
 *   [--space examples/quick.bnas] [--set key=value]... [--steps 6] [--backend wasm] [--out bench/engine/results]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/index.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { benchArgs, benchSpace } from './space-bench.js';
import { OpByOpSupernet } from '../../test/unit/engine/reference/op-cell.js';

const { file, sets, steps, out, backend } = benchArgs({ space: 'examples/quick.bnas', steps: 6 });

const info = await initBackend(backend);
const { space, label, size, classes, batch } = benchSpace(file, sets);

const modes = ['op', 'cell'] as const;
const rigs = modes.map((engine) => {
  const options = { input: [size, size, 3] as const, numClasses: classes, seed: 1 };
  const net = engine === 'op' ? new OpByOpSupernet(space, options) : new Supernet(space, options);
  return { engine, net, trainer: new Trainer(net, space, classes), wall: [] as number[], cpu: [] as number[], arch: [] as number[] };
});
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const measure = async (f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
  const c0 = process.cpuUsage();
  const t = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t, cpu: (c.user + c.system) / 1000 };
};

for (const r of rigs) await r.trainer.weightStep(batch(), 0.01); // warm-up: kernels, optimizer slots
for (let s = 0; s < steps; s++) {
  const b = batch();
  const a = batch();
  for (const r of rigs) {
    const w = await measure(() => r.trainer.weightStep(b, 0.01));
    r.wall.push(w.wall);
    r.cpu.push(w.cpu);
    r.arch.push((await measure(() => r.trainer.archStep(a, 1))).cpu);
  }
}
const rows = rigs.map((r) => ({
  engine: r.engine,
  weightStepMs: Math.round(median(r.wall)),
  weightStepCpuMs: Math.round(median(r.cpu)),
  archStepCpuMs: Math.round(median(r.arch)),
  stepsWallMs: r.wall.map(Math.round),
}));
for (const r of rigs) {
  r.trainer.dispose();
  r.net.dispose();
}
const name = basename(file, '.bnas');
const meta = { date: new Date().toISOString(), backend: info.name, space: label, batch: space.train.batch, steps, tfjs: tf.version_core };
mkdirSync(out, { recursive: true });
writeFileSync(join(out, `supernet-step-${name}.json`), JSON.stringify({ meta, rows }, null, 2) + '\n');
const base = rows[0];
const lines = [
  `# Supernet step: op by op vs fused cell (${meta.date.slice(0, 16)}Z, ${info.name}, ${label}, batch ${space.train.batch})`,
  '',
  '| engine | weight step ms | CPU ms | CPU vs op | arch step CPU ms | arch CPU vs op | steps (ms) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.engine} | ${r.weightStepMs} | ${r.weightStepCpuMs} | ${(base.weightStepCpuMs / r.weightStepCpuMs).toFixed(2)}× | ${r.archStepCpuMs} | ${(base.archStepCpuMs / r.archStepCpuMs).toFixed(2)}× | ${r.stepsWallMs.join(' ')} |`,
  ),
];
writeFileSync(join(out, `supernet-step-${name}.md`), lines.join('\n') + '\n');
console.log(lines.join('\n'));
