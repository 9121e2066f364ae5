/**
 * The search step with and without the grad-needs patch of runtime/engine/tfjs-patches.ts (fused gradients computing only
 * what the pass differentiates), as CPU ms medians of the architecture and weight steps of the
 * supernet with all ops and with one op per edge (as phi.ts), the two modes alternating in one
 * process. AB_ONLY=on|off runs one mode per process (alternate processes by hand);
 * AB_ONE_ARCH=1 runs only the one-op architecture step (for --cpu-prof).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/grad-needs-ab.ts [steps] [space] [kernels] [--set key=value]...
 *   `kernels` also prints, per step, the kernels whose call count or time differs between modes.
 */
import { initBackend } from '../../runtime/engine/index.js';
import { useGradNeeds } from '../../runtime/engine/tfjs-patches.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { setsIn } from '../space-args.js';
import { benchSpace } from './space-bench.js';
await initBackend('wasm');
const { space, size, classes, batch } = benchSpace(process.argv[3] ?? 'bench/search/space-paper.bnas', setsIn(process.argv));
function rig(one: boolean): Trainer {
  const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1 });
  if (one) {
    const real = space.ops.flatMap((op, o) => (op.kind !== 'zero' ? [o] : []));
    for (const kind of CELL_KINDS) for (let e = 0; e < net.edges; e++) {
      const kept = real[(e + (kind === 'reduce' ? 3 : 0)) % real.length];
      space.ops.forEach((_, o) => o !== kept && net.prune(kind as CellKind, e, o));
    }
  }
  return new Trainer(net, space, classes);
}
const rigs = { all: rig(false), one: rig(true) };
const b = batch();
const steps = Number(process.argv[2] ?? 12);
const cpu: Record<string, number[]> = {};
for (let i = 0; i < steps + 2; i++) {
  const only = process.env.AB_ONLY;
  for (const mode of only ? [only === 'on'] : i % 2 ? [true, false] : [false, true]) {
    useGradNeeds(mode);
    for (const [name, t] of Object.entries(rigs)) for (const phase of ['arch', 'weights'] as const) {
      if (process.env.AB_ONE_ARCH && (name !== 'one' || phase !== 'arch')) continue;
      const c0 = process.cpuUsage();
      if (phase === 'arch') t.applyArchGrads((await t.archGrads(b, 1)).grads);
      else t.applyWeightGrads((await t.weightGrads(b)).grads, 0.01);
      const c = process.cpuUsage(c0);
      if (i >= 2) (cpu[`${mode ? 'on' : 'off'} ${name} ${phase}`] ??= []).push((c.user + c.system) / 1000);
    }
  }
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const [k, v] of Object.entries(cpu)) console.log(k, med(v).toFixed(1));
for (const m of process.env.AB_ONLY ? [] : ['on', 'off']) {
  const g = (k: string) => med(cpu[`${m} ${k}`]);
  console.log(m, 'phi', ((g('one arch') + g('one weights')) / (g('all arch') + g('all weights'))).toFixed(3));
}
if (process.argv[4] === 'kernels') {
  const tf = await import('@tensorflow/tfjs');
  for (const name of ['one', 'all'] as const) {
    for (const phase of ['arch', 'weights'] as const) {
      const counts: Record<string, Record<string, [number, number]>> = {};
      for (const mode of [true, false]) {
        useGradNeeds(mode);
        const t = rigs[name];
        const p = await tf.profile(async () => {
          if (phase === 'arch') t.applyArchGrads((await t.archGrads(b, 1)).grads);
          else t.applyWeightGrads((await t.weightGrads(b)).grads, 0.01);
        });
        const c: Record<string, [number, number]> = {};
        for (const k of p.kernels) {
          const e = (c[k.name] ??= [0, 0]);
          e[0]++;
          e[1] += Number(k.kernelTimeMs) || 0;
        }
        counts[mode ? 'on' : 'off'] = c;
      }
      const names = new Set([...Object.keys(counts.on), ...Object.keys(counts.off)]);
      for (const n of names) {
        const [a, b2] = [counts.on[n] ?? [0, 0], counts.off[n] ?? [0, 0]];
        if (a[0] !== b2[0] || Math.abs(a[1] - b2[1]) > 0.5) console.log(name, phase, n, 'on', a[0], a[1].toFixed(1), 'off', b2[0], b2[1].toFixed(1));
      }
    }
  }
}
