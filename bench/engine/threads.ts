/**
 * Images per second of the search step (an architecture step and a weight step, as the search
 * runs them: runtime/search/parallel.ts) and of derived-network training (`bnas evaluate`'s step:
 * runtime/search/evaluate.ts) on 1…N threads, in one process, with the rigs `--threads auto` times
 * (runtime/search/backend-probe.ts): every thread count keeps its workers for the whole run and
 * the counts take turns, round after round. Also where the CPU goes (main thread, workers, the
 * rest; and how long the threads waited for a CPU held by other processes: the load), what one
 * thread costs on a shard of the batch alone (the cost a shard does not save), and what `auto`
 * measures and picks on this machine, with the step model's prediction beside it.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/threads.ts
 *   [--space bench/search/space-paper.bnas] [--set key=value]... [--threads 1,2] [--steps 4] [--rounds 3] [--batch N]
 *   [--genotype bench/search/reference-cells/pc-darts-cifar.json] [--work search,evaluate] [--backend wasm|node|cpu] [--label NAME] [--out bench/engine/results]
 * `--work evaluate` leaves the supernet out (at 28×28 it needs gigabytes a thread).
 * Writes results/threads-LABEL.{json,md} (LABEL defaults to the host's core count, e.g. `2cpu`).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/index.js';
import { coresOnce, modelledGain, resolveThreads, type StepRig, type StepSampler } from '../../runtime/engine/cores.js';
import type { Batch } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { adaptGenotype } from '../../runtime/search/evaluate.js';
import { derivedStepSampler, supernetStepSampler, type SampleData } from '../../runtime/search/backend-probe.js';
import { shardOf } from '../../runtime/search/shards.js';
import { benchArgs, benchSpace } from './space-bench.js';
import { cpuSplit, newThreads, threadTimes, type CpuSplit } from './thread-cpu.js';
import { loadAverage } from '../record.js';

const { values, file, sets, steps, out, backend } = benchArgs(
  { space: 'bench/search/space-paper.bnas', steps: 4 },
  {
    threads: { type: 'string', default: Array.from({ length: availableParallelism() }, (_, i) => i + 1).join(',') },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string' },
    genotype: { type: 'string', default: 'bench/search/reference-cells/pc-darts-cifar.json' },
    label: { type: 'string', default: `${availableParallelism()}cpu` },
    work: { type: 'string', default: 'search,evaluate' },
  },
);
type Work = 'search' | 'evaluate';
const threadList = (values.threads as string).split(',').map(Number);
if (threadList[0] !== 1) throw new Error('--threads must start with 1 (the baseline)');
const rounds = Number(values.rounds);
const works = (values.work as string).split(',') as Work[];
if (!works.length || works.some((w) => w !== 'search' && w !== 'evaluate')) throw new Error(`--work takes search and/or evaluate, got ${values.work as string}`);
const command = `node --require ./scripts/polyfills.cjs --import tsx bench/engine/threads.ts ${process.argv.slice(2).join(' ')}`.trim();
const loadBefore = loadAverage();

const info = await initBackend(backend);
const loaded = benchSpace(file, sets);
const space: SearchSpace = values.batch ? { ...loaded.space, train: { ...loaded.space.train, batch: Number(values.batch) } } : loaded.space;
const { size, classes } = loaded;
const batchSize = space.train.batch;
// One batch for every step and thread count (a step's cost does not depend on the values).
const batch = ((): Batch => {
  const b = loaded.batch();
  if (b.n === batchSize) return b;
  const per = size * size * 3;
  const x = new Float32Array(batchSize * per), y = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    x.set(b.x.subarray((i % b.n) * per, ((i % b.n) + 1) * per), i * per);
    y[i] = b.y[i % b.n];
  }
  return { x, y, n: batchSize, shape: [batchSize, size, size, 3] };
})();
const genotype = adaptGenotype(readGenotype(values.genotype as string), space).genotype;
const data = (b: Batch): SampleData => ({ height: size, width: size, channels: 3, numClasses: classes, batch: b });
const samplerOf = (w: Work, b: Batch): StepSampler => (w === 'search' ? supernetStepSampler(space, data(b)) : derivedStepSampler(space, genotype, data(b)))();

const cores = await coresOnce();

/** A thread count on the whole batch, or one thread on a shard of it (`shards` > 1: what a shard costs alone). */
interface Rig {
  readonly work: Work;
  readonly threads: number;
  readonly shards: number;
  readonly images: number;
  readonly rig: StepRig;
  readonly workers: Set<number>;
  readonly rows: { wall: number[]; cpu: number[]; split: CpuSplit[] };
}
const samplers: StepSampler[] = [];
const rigs: Rig[] = [];
for (const work of works) {
  const whole = samplerOf(work, batch);
  samplers.push(whole);
  const add = async (s: StepSampler, threads: number, shards: number): Promise<void> => {
    const before = threadTimes();
    const rig = await s.start(threads);
    rigs.push({ work, threads, shards, images: Math.floor(batchSize / shards), rig, workers: newThreads(before, threadTimes()), rows: { wall: [], cpu: [], split: [] } });
  };
  for (const n of threadList) await add(whole, n, 1);
  for (const n of threadList.filter((x) => x > 1)) {
    const part = samplerOf(work, shardOf(batch, 0, n));
    samplers.push(part);
    await add(part, 1, n);
  }
}

for (let round = 0; round <= rounds; round++) {
  for (const r of rigs) {
    if (round === 0) {
      await r.rig.step(); // warm-up: kernels, optimizer slots, the workers' first request
      continue;
    }
    const t0 = threadTimes(), c0 = process.cpuUsage();
    let wall = 0;
    for (let s = 0; s < steps; s++) wall += await r.rig.step();
    const c = process.cpuUsage(c0), split = cpuSplit(t0, threadTimes(), r.workers);
    r.rows.wall.push(wall / steps);
    r.rows.cpu.push((c.user + c.system) / 1000 / steps);
    r.rows.split.push({ main: split.main / steps, workers: split.workers / steps, other: split.other / steps, waited: split.waited / steps });
  }
  if (round > 0) console.log(`round ${round}: ${rigs.map((r) => `${r.work} ${label(r)} ${((1000 * r.images) / (r.rows.wall.at(-1) as number)).toFixed(1)}`).join(', ')} images/s (load ${loadAverage()})`);
}
for (const r of rigs) await r.rig.close();
for (const s of samplers) s.dispose();

// What `--threads auto` does here: the cores probe, then the real step on 1 and n threads.
const auto = Object.fromEntries(await Promise.all(works.map(async (w) => [w, await resolveThreads('auto', batchSize, info.name, () => samplerOf(w, batch), async () => cores)] as const)));
const loadAfter = loadAverage();

function label(r: Rig): string {
  return r.shards > 1 ? `1 on 1/${r.shards} batch` : `${r.threads}`;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = rigs.map((r) => {
  const wallMs = median(r.rows.wall);
  const base = rigs.find((x) => x.work === r.work && x.threads === 1 && x.shards === 1) as Rig;
  const pick = (k: keyof CpuSplit): number => median(r.rows.split.map((s) => s[k]));
  return {
    work: r.work, threads: r.threads, shards: r.shards, images: r.images, imagesPerSecond: (1000 * r.images) / wallMs,
    vsOneThread: (r.images / wallMs) / (base.images / median(base.rows.wall)), wallMs, cpuMs: median(r.rows.cpu),
    mainMs: pick('main'), workersMs: pick('workers'), otherMs: pick('other'), waitedMs: pick('waited'),
    // What n threads could gain at most on n idle cores: the CPU of the images, n CPUs at once.
    cpuBound: r.shards > 1 ? NaN : (r.threads * (median(base.rows.cpu) / base.images)) / (median(r.rows.cpu) / r.images),
  };
});
type Row = (typeof summary)[number];
const row = (w: Work, threads: number, shards = 1): Row | undefined => summary.find((s) => s.work === w && s.threads === threads && s.shards === shards);
/** The step model (runtime/protocol/threads.ts) fitted to the 1-thread CPU ms at the batch and at half of it. */
const model = Object.fromEntries(works.flatMap((w) => {
  const full = row(w, 1), half = row(w, 1, 2), two = row(w, 2);
  if (!full || !half || !two) return [];
  const perImageMs = Math.max((full.cpuMs - half.cpuMs) / (full.images - half.images), 1e-6);
  const cost = { fixedMs: Math.max(full.cpuMs - perImageMs * full.images, 0), perImageMs };
  return [[w, { ...cost, predicted: modelledGain(2, cores.speedup, batchSize, cost), measured: two.vsOneThread }]];
}));

const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim() + (execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '');
  } catch {
    return 'unknown';
  }
})();
const tfjs = (JSON.parse(readFileSync('node_modules/@tensorflow/tfjs/package.json', 'utf8')) as { version: string }).version;
const record = {
  date: new Date().toISOString(), command, commit, node: process.version, tfjs, backend: info.name, cpu: cpus()[0]?.model, cores: availableParallelism(),
  loadBefore, loadAfter, space: loaded.label, batch: batchSize, genotype: values.genotype, steps, rounds,
  coresProbe: cores, auto, model, work: works,
  runs: rigs.map((r) => ({ work: r.work, threads: r.threads, shards: r.shards, images: r.images, ...r.rows })), summary,
};
mkdirSync(out, { recursive: true });
const name = `threads-${values.label as string}`;
writeFileSync(join(out, `${name}.json`), JSON.stringify(record, null, 2) + '\n');
const f = (x: number, d = 1): string => x.toFixed(d);
const md = [
  `# Threads: images/s of the search step and of derived-network training (${record.date.slice(0, 16)}Z)`,
  '',
  `Command: \`${command}\``,
  '',
  `Commit ${commit}; Node ${process.version}; TensorFlow.js ${tfjs} (${info.name}); ${record.cpu}, ${record.cores} CPU(s); load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after.`,
  '',
  `Space \`${loaded.label}\`, batch ${batchSize}, ${size}×${size}×3; derived network of \`${values.genotype as string}\` (adapted to the space). Medians over ${rounds} rounds of ${steps} steps a row, the rows alternating in one process; a search step is an architecture step and a weight step on the batch (images counted once). CPU ms is the process's; main, workers and other split it by thread (other: garbage collection, libuv, idle rigs); waited is the time the process's threads were ready but another process held the CPU (above a few ms the machine was loaded, and the wall times, 2 threads' most, are depressed). Rows "1 on 1/n batch" are one thread on one shard of the batch alone. "At most (CPU)" is n × (1 thread's CPU ms an image) ÷ (n threads' CPU ms an image): what n threads could gain on n idle cores if no thread ever waited for another; it depends little on the load, the wall-clock ratio ("vs 1 thread") much.`,
  '',
  `Cores probe: ${cores.threads} threads at once delivered ${f(cores.speedup, 2)}× one thread's throughput.`,
  '',
  ...works.map((w) => `**\`--threads auto\`, ${w}: ${auto[w].threads} thread(s).** ${auto[w].reason}.`),
  '',
  '| work | threads | images a step | images/s | vs 1 thread | at most (CPU) | wall ms/step | CPU ms/step | main | workers | other | waited ms/step | images/s per round |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...summary.map((s, i) => `| ${s.work} | ${label(rigs[i])} | ${s.images} | ${f(s.imagesPerSecond)} | ${f(s.vsOneThread, 2)}× | ${Number.isNaN(s.cpuBound) ? '' : `${f(s.cpuBound, 2)}×`} | ${f(s.wallMs)} | ${f(s.cpuMs)} | ${f(s.mainMs)} | ${f(s.workersMs)} | ${f(s.otherMs)} | ${f(s.waitedMs)} | ${rigs[i].rows.wall.map((x) => f((1000 * s.images) / x)).join(' ')} |`),
  '',
  ...works.flatMap((w) => {
    const one = row(w, 1), two = row(w, 2), half = row(w, 1, 2), m = model[w];
    if (!one || !two || !half || !m) return [];
    return [
      `${w}, where 2 threads' CPU goes: ${f(two.cpuMs)} ms a step against ${f(one.cpuMs)} on 1 thread (${f(two.cpuMs / one.cpuMs, 2)}×). One thread on half the batch alone costs ${f(half.cpuMs)} ms, so two shards cost ${f(2 * half.cpuMs)} (${f(2 * half.cpuMs - one.cpuMs)} ms of every step does not shrink with its shard); the remaining ${f(two.cpuMs - 2 * half.cpuMs)} ms are the exchange and the two threads slowing each other. The step model fitted to these (F = ${f(m.fixedMs)} ms, v = ${f(m.perImageMs, 2)} ms an image) predicts ${f(m.predicted, 2)}× for 2 threads; measured ${f(m.measured, 2)}×.`,
      '',
    ];
  }),
];
writeFileSync(join(out, `${name}.md`), md.join('\n'));
console.log(md.join('\n'));
if (tf.memory().numTensors > 0) console.warn(`tensors left: ${tf.memory().numTensors}`);
process.exit(0);
