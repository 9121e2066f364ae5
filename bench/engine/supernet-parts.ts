/**
 * Where a search's weight step goes, part by part, and how much of it pruning can save.
 * Three supernets of one space, alternating in one process on the same batches:
 *  - `all ops`: every candidate op alive (the start of a search);
 *  - `1 op`: one op per edge alive (`--keep`, default the space's first op; the end of pruning);
 *  - `none only`: every edge computes nothing but the partial-channel bypass — what is left is
 *    the step's fixed cost (stem, pre-processing, bypass/shuffle/mix, classifier, loss).
 * Per net: forward + backward (CPU ms), the optimizer (clipping + update, CPU ms), and the kernel
 * profile of forward + backward split into parts by kernel (the `none only` net runs no candidate
 * op kernels, so its profile splits cleanly into fixed parts). Candidate-op cost = (net) −
 * (none only). Runs on any commit that has Supernet/Trainer (copy the file to compare commits).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/supernet-parts.ts
 *   [--space examples/quick.bnas] [--set key=value]... [--steps 5] [--keep sep_conv_3x3] [--label after] [--out bench/engine/results]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/index.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { benchArgs, benchSpace } from './space-bench.js';
import { CELL_KINDS, type CellKind } from '../../runtime/protocol/genotype.js';

const { values, file, sets, steps, out, backend } = benchArgs(
  { space: 'examples/quick.bnas', steps: 5 },
  { label: { type: 'string', default: 'current' }, keep: { type: 'string' }, kernels: { type: 'boolean', default: false } },
);
const label = values.label as string;

const info = await initBackend(backend);
const { space, label: spaceLabel, size, classes, batch } = benchSpace(file, sets);
const keep = space.ops.findIndex((o) => o.name === ((values.keep as string | undefined) ?? space.ops.find((o) => o.kind !== 'zero')?.name ?? ''));
const noneIndex = space.ops.findIndex((o) => o.kind === 'zero');
if (keep < 0) throw new Error(`--keep must name one of the space's ops: ${space.ops.map((o) => o.name).join(', ')}`);
if (noneIndex < 0) throw new Error('the space needs a `none` op for the fixed-cost net');

/** alive[kind][edge][op] with only op `o` alive on every edge. */
function only(o: number, edges: number): Record<CellKind, boolean[][]> {
  const rows = (): boolean[][] => Array.from({ length: edges }, () => space.ops.map((_, i) => i === o));
  return Object.fromEntries(CELL_KINDS.map((k) => [k, rows()])) as Record<CellKind, boolean[][]>;
}

const edges = (space.supernet.nodes * (space.supernet.nodes + 3)) / 2;
const computed = space.ops.filter((o) => o.kind !== 'zero').length;
const nets = [
  { name: `all ops (${computed} computed)`, alive: undefined },
  { name: `1 op (${space.ops[keep].name})`, alive: only(keep, edges) },
  { name: 'none only (fixed cost)', alive: only(noneIndex, edges) },
].map((n) => {
  const net = new Supernet(space, { input: [size, size, 3], numClasses: classes, seed: 1, alive: n.alive });
  return { ...n, net, trainer: new Trainer(net, space, classes), grad: [] as number[], opt: [] as number[], wall: [] as number[] };
});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuOf = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

for (const n of nets) await n.trainer.weightStep(batch(), 0.01); // warm-up: kernels, optimizer slots
for (let s = 0; s < steps; s++) {
  const b = batch();
  for (const n of nets) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    const { grads } = await n.trainer.weightGrads(b);
    const c = process.cpuUsage(c0);
    n.grad.push((c.user + c.system) / 1000);
    n.opt.push(cpuOf(() => n.trainer.applyWeightGrads(grads, 0.01)));
    n.wall.push(performance.now() - t);
  }
}

/** Part of a step a kernel belongs to, by name (see the header for why this is clean on `none only`). */
function partOf(kernel: string): string {
  if (/^BnasChannelMix/.test(kernel)) return 'partial-channel bypass, shuffle, mix (channel mix)';
  if (/^Bnas(Depthwise|PointwiseBn|PackWeights|Sign|ToGroups|FromGroups)|Pool|^DepthwiseConv2d/.test(kernel)) return 'candidate ops';
  return 'stem, pre-processing, BN, classifier, loss, tape';
}
const profiles: Record<string, Record<string, number>> = {};
for (const n of nets) {
  const b = batch();
  const prof = await tf.profile(async () => {
    const { grads } = await n.trainer.weightGrads(b);
    tf.dispose([...grads.values()]);
  });
  const parts: Record<string, number> = {};
  const byKernel = new Map<string, number>();
  for (const k of prof.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  if (values.kernels) console.error(n.name, [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
  for (const k of prof.kernels) parts[partOf(k.name)] = (parts[partOf(k.name)] ?? 0) + Number(k.kernelTimeMs);
  profiles[n.name] = parts;
}

// Kernel wall times swing with the machine's load; their shares are steadier, so each part's
// CPU ms is the forward + backward CPU time times the part's share of the profiled kernel time.
const rows = nets.map((n) => {
  const cpu = median(n.grad);
  const total = Object.values(profiles[n.name]).reduce((a, b) => a + b, 0) || 1;
  return {
    net: n.name,
    computedOps: n.net.computedOps(),
    stepWallMs: Math.round(median(n.wall)),
    forwardBackwardCpuMs: Math.round(cpu),
    optimizerCpuMs: Math.round(median(n.opt) * 10) / 10,
    cpuMsByPart: Object.fromEntries(Object.entries(profiles[n.name]).map(([k, v]) => [k, Math.round((cpu * v) / total)])),
  };
});
for (const n of nets) {
  n.trainer.dispose();
  n.net.dispose();
}
const fixed = rows[2];
const partNames = [...new Set(rows.flatMap((r) => Object.keys(r.cpuMsByPart)))].sort();
const meta = { date: new Date().toISOString(), label, backend: info.name, space: spaceLabel, batch: space.train.batch, steps };
mkdirSync(out, { recursive: true });
const base = `supernet-parts-${label}`;
writeFileSync(join(out, `${base}.json`), JSON.stringify({ meta, rows }, null, 2) + '\n');
const lines = [
  `# Supernet weight step by part (${label}; ${meta.date.slice(0, 16)}Z, ${info.name}, ${spaceLabel}, batch ${space.train.batch}, median of ${steps})`,
  '',
  '| net | ops computed | step wall ms | forward+backward CPU ms | candidate ops CPU ms (vs none only) | optimizer CPU ms |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.net} | ${r.computedOps} | ${r.stepWallMs} | ${r.forwardBackwardCpuMs} | ${r.forwardBackwardCpuMs - fixed.forwardBackwardCpuMs} | ${r.optimizerCpuMs} |`,
  ),
  '',
  'Forward + backward CPU ms by part (CPU time × the part’s share of one profiled step’s kernel time):',
  '',
  '| net | ' + partNames.join(' | ') + ' |',
  '|---|' + partNames.map(() => '---|').join(''),
  ...rows.map((r) => `| ${r.net} | ` + partNames.map((k) => r.cpuMsByPart[k] ?? 0).join(' | ') + ' |'),
];
writeFileSync(join(out, `${base}.md`), lines.join('\n') + '\n');
console.log(lines.join('\n'));
