/**
 * Images per second of the search step (an architecture step and a weight step, as the search
 * runs them: runtime/search/parallel.ts) and of derived-network training (`bnas evaluate`'s step:
 * runtime/search/evaluate.ts) on 1…N threads, in one process: every thread count keeps its own
 * workers for the whole run and the counts take turns, round after round, on the same batches.
 * Also records what `--threads auto` measures and picks on this machine (runtime/engine/cores.ts).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/threads.ts
 *   [--space bench/search/space-paper.bnas] [--set key=value]... [--threads 1,2] [--steps 4] [--rounds 3] [--batch N]
 *   [--genotype bench/search/reference-cells/pc-darts-cifar.json] [--work search,evaluate] [--label NAME] [--out bench/engine/results]
 * `--work evaluate` leaves the supernet out (at 28×28 it needs gigabytes a thread).
 * Writes results/threads-LABEL.{json,md} (LABEL defaults to the host's core count, e.g. `2cpu`).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../runtime/engine/index.js';
import { measureCores, pickThreads } from '../../runtime/engine/cores.js';
import type { Batch } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { adaptGenotype, EvalThreads } from '../../runtime/search/evaluate.js';
import { Optimizer } from '../../runtime/search/optimizers.js';
import { SearchThreads } from '../../runtime/search/parallel.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { DiscreteNetwork } from '../../runtime/supernet/discrete.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { benchArgs, benchSpace } from './space-bench.js';
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
const threadList = (values.threads as string).split(',').map(Number);
const rounds = Number(values.rounds);
const works = (values.work as string).split(',') as ('search' | 'evaluate')[];
if (!works.length || works.some((w) => w !== 'search' && w !== 'evaluate')) throw new Error(`--work takes search and/or evaluate, got ${values.work as string}`);
const command = `node --require ./scripts/polyfills.cjs --import tsx bench/engine/threads.ts ${process.argv.slice(2).join(' ')}`.trim();
const loadBefore = loadAverage();

const info = await initBackend(backend);
const loaded = benchSpace(file, sets);
const space: SearchSpace = values.batch ? { ...loaded.space, train: { ...loaded.space.train, batch: Number(values.batch) } } : loaded.space;
const { size, classes } = loaded;
const batchSize = space.train.batch;
const input = [size, size, 3] as const;
// The same batches for every thread count (a step's cost does not depend on the values).
const draw = (): Batch => {
  const b = loaded.batch();
  if (b.n === batchSize) return b;
  const n = batchSize, per = size * size * 3;
  const x = new Float32Array(n * per), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x.set(b.x.subarray((i % b.n) * per, ((i % b.n) + 1) * per), i * per);
    y[i] = b.y[i % b.n];
  }
  return { x, y, n, shape: [n, size, size, 3] };
};
const batches = Array.from({ length: steps + 1 }, () => ({ arch: draw(), weights: draw() }));
const genotype = adaptGenotype(readGenotype(values.genotype as string), space).genotype;

const backendChoice = info.name === 'tensorflow' ? 'node' : (info.name as 'wasm' | 'cpu');
const cores = await measureCores();
interface Rig {
  readonly threads: number;
  readonly search?: { th: SearchThreads; trainer: Trainer; net: Supernet; sgd: Optimizer };
  readonly evaluate?: { th: EvalThreads; net: DiscreteNetwork; opt: Optimizer };
  readonly rows: Record<'search' | 'evaluate', { wall: number[]; cpu: number[]; imagesPerSecond: number[] }>;
}
const rigs: Rig[] = [];
for (const threads of threadList) {
  let search: Rig['search'], evaluate: Rig['evaluate'];
  if (works.includes('search')) {
    const net = new Supernet(space, { input, numClasses: classes, seed: 1 });
    const trainer = new Trainer(net, space, classes);
    const sgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, `opt.prune${threads}`);
    const th = await SearchThreads.start(trainer, sgd, { space, input, numClasses: classes, seed: 1, backend: backendChoice }, threads);
    search = { th, trainer, net, sgd };
  }
  if (works.includes('evaluate')) {
    const net = new DiscreteNetwork(space, genotype, { input, numClasses: classes, seed: 1 });
    const opt = new Optimizer(space.optimizers.weights, `opt.eval${threads}`);
    const th = await EvalThreads.start(net, { space, genotype, input, numClasses: classes, seed: 1, backend: backendChoice }, threads);
    evaluate = { th, net, opt };
  }
  rigs.push({
    threads, search, evaluate,
    rows: { search: { wall: [], cpu: [], imagesPerSecond: [] }, evaluate: { wall: [], cpu: [], imagesPerSecond: [] } },
  });
}

const epoch = space.train.warmup;
const searchStep = async (r: Rig, b: (typeof batches)[number]): Promise<void> => {
  const { th } = r.search as NonNullable<Rig['search']>;
  await th.archStep(b.arch, epoch);
  await th.weightStep(b.weights, 0.01);
};
const evalStep = async (r: Rig, b: (typeof batches)[number]): Promise<void> => {
  const { th, opt } = r.evaluate as NonNullable<Rig['evaluate']>;
  await th.step(opt, b.weights, 0.01);
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (let round = 0; round <= rounds; round++) {
  for (const work of works) {
    for (const r of rigs) {
      const step = work === 'search' ? searchStep : evalStep;
      if (round === 0) {
        await step(r, batches[steps]); // warm-up: kernels, optimizer slots, the workers' first request
        continue;
      }
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) await step(r, batches[s]);
      const wall = (performance.now() - t0) / steps;
      const c = process.cpuUsage(c0);
      const row = r.rows[work];
      row.wall.push(wall);
      row.cpu.push((c.user + c.system) / 1000 / steps);
      row.imagesPerSecond.push((1000 * batchSize) / wall);
    }
  }
  if (round > 0) console.log(`round ${round}: ${rigs.map((r) => `${r.threads} thread(s): ${works.map((w) => `${w} ${r.rows[w].imagesPerSecond.at(-1)?.toFixed(1)}`).join(', ')} images/s`).join('; ')}`);
}

const loadAfter = loadAverage();
const commit = (() => {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim() + (execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '');
  } catch {
    return 'unknown';
  }
})();
const tfjs = (JSON.parse(readFileSync('node_modules/@tensorflow/tfjs/package.json', 'utf8')) as { version: string }).version;
const summary = rigs.map((r) => ({
  threads: r.threads,
  ...Object.fromEntries(works.map((w) => [w, {
    imagesPerSecond: median(r.rows[w].imagesPerSecond), wallMs: median(r.rows[w].wall), cpuMs: median(r.rows[w].cpu),
    vsOneThread: median(r.rows[w].imagesPerSecond) / median(rigs[0].rows[w].imagesPerSecond),
  }])),
})) as ({ threads: number } & Record<'search' | 'evaluate', { imagesPerSecond: number; wallMs: number; cpuMs: number; vsOneThread: number }>)[];
const record = {
  date: new Date().toISOString(), command, commit, node: process.version, tfjs, backend: info.name, cpu: cpus()[0]?.model, cores: availableParallelism(),
  loadBefore, loadAfter, space: loaded.label, batch: batchSize, genotype: values.genotype, steps, rounds,
  coresProbe: cores, autoPick: pickThreads(cores, batchSize),
  work: works, runs: rigs.map((r) => ({ threads: r.threads, ...Object.fromEntries(works.map((w) => [w, r.rows[w]])) })), summary,
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
  `Space \`${loaded.label}\`, batch ${batchSize}, ${size}×${size}×3; derived network of \`${values.genotype as string}\` (adapted to the space). Medians over ${rounds} rounds of ${steps} steps a thread count, the counts alternating in one process; a search step is an architecture step and a weight step on batches of ${batchSize} (images counted once); CPU ms is the process's (main thread and workers).`,
  '',
  `Cores probe (\`--threads auto\`): ${cores.threads} threads at once delivered ${f(cores.speedup, 2)}× one thread's throughput; auto picks **${record.autoPick}** thread(s) for batch ${batchSize}.`,
  '',
  '| work | threads | images/s | vs 1 thread | wall ms/step | CPU ms/step | images/s per round |',
  '|---|---|---|---|---|---|---|',
  ...works.flatMap((w) =>
    rigs.map((r, i) => {
      const s = summary[i][w];
      return `| ${w} | ${r.threads} | ${f(s.imagesPerSecond)} | ${f(s.vsOneThread, 2)}× | ${f(s.wallMs)} | ${f(s.cpuMs)} | ${r.rows[w].imagesPerSecond.map((x) => f(x)).join(' ')} |`;
    }),
  ),
  '',
];
writeFileSync(join(out, `${name}.md`), md.join('\n'));
console.log(md.join('\n'));

for (const r of rigs) {
  await r.search?.th.close();
  await r.evaluate?.th.close();
  for (const x of [r.search?.trainer, r.search?.sgd, r.search?.net, r.evaluate?.opt, r.evaluate?.net]) x?.dispose();
}
if (tf.memory().numTensors > 0) console.warn(`tensors left: ${tf.memory().numTensors}`);
process.exit(0);
