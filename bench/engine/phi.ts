/**
 * φ, the share of a full search step that a one-op-per-edge step still costs
 * (bench/search/README.md, "Verdict per target": a step with n of 8 ops costs φ + (1 − φ)(n − 1)/7),
 * measured as CPU time: the architecture step and the weight step (gradients and update, as the
 * search runs them) of the supernet with every op alive and with one op per edge (the kept op
 * rotating through the real ops edge by edge, as bench/search/profile.ts does), alternating in
 * one process, medians. CPU time of a single-threaded step is what it costs on an idle core, so
 * it moves less with the neighbours' load than wall time. Copy the file into an older checkout
 * to measure "before".
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/phi.ts
 *   [--space bench/search/space-paper.bnas] [--set key=value]... [--steps 15]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../../runtime/engine/index.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { spaceOptions } from '../space-args.js';
import { benchSpace } from './space-bench.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('bench/search/space-paper.bnas'),
    steps: { type: 'string', default: '15' },
  },
});
const file = values.space as string;
const steps = Number(values.steps);

await initBackend('wasm');
const { space, label, size, classes, batch } = benchSpace(file, values.set);

/** A supernet with every op, or with one op per edge. */
function rig(onePerEdge: boolean): Trainer {
  const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
  if (onePerEdge) {
    const real = space.ops.flatMap((op, o) => (op.kind !== 'zero' ? [o] : []));
    for (const kind of CELL_KINDS) {
      for (let e = 0; e < net.edges; e++) {
        const kept = real[(e + (kind === 'reduce' ? 3 : 0)) % real.length];
        space.ops.forEach((_, o) => o !== kept && net.prune(kind as CellKind, e, o));
      }
    }
  }
  return new Trainer(net, space, classes);
}

const rigs = { all: rig(false), one: rig(true) };
const b = batch();
const cpu: Record<string, number[]> = {};
for (let i = 0; i < steps + 2; i++) {
  for (const [name, trainer] of Object.entries(rigs)) {
    for (const phase of ['arch', 'weights'] as const) {
      const c0 = process.cpuUsage();
      if (phase === 'arch') trainer.applyArchGrads((await trainer.archGrads(b, 1)).grads);
      else trainer.applyWeightGrads((await trainer.weightGrads(b)).grads, 0.01);
      const c = process.cpuUsage(c0);
      if (i >= 2) (cpu[`${name} ${phase}`] ??= []).push((c.user + c.system) / 1000);
    }
  }
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
const phi = (m['one arch'] + m['one weights']) / (m['all arch'] + m['all weights']);
const load = (await import('node:os')).loadavg()[0];
console.log(`\`${label}\`, median CPU ms of ${steps} alternating steps, load ${load.toFixed(1)}`);
console.log('| supernet | arch step | weight step |');
console.log('|---|---|---|');
for (const name of ['all', 'one']) console.log(`| ${name === 'all' ? 'all ops' : 'one op per edge'} | ${m[`${name} arch`].toFixed(1)} | ${m[`${name} weights`].toFixed(1)} |`);
console.log(`φ = (one arch + one weights) / (all arch + all weights) = ${phi.toFixed(3)}`);
