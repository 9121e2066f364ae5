/**
 * Peak memory and throughput of the search at the papers' batch: a supernet of 8 cells, C = 16,
 * K = 4, the 8 DARTS ops, on 32×32 colour images at batch 256, a few search steps (an
 * architecture step, then a weight step, as `bnas search` runs them after its warm-up) on each
 * backend. Micro-batches are chosen as a search chooses them (runtime/dsl/memory.ts,
 * `microBatchPlan`: on wasm the estimate exceeds the heap share, elsewhere the batch is one part)
 * unless `--micro N` sets `train.micro_batch` (for every backend), or a backend is written
 * `name:N` (for that one: `--backends wasm,node:32`).
 *
 * Each backend runs in its own child process, so its peak RSS (`process.resourceUsage().maxRSS`)
 * is its own; the wasm heap's size (it only grows) is read after the steps. images/s counts the
 * batch once per search step (architecture + weight step), after one warm-up step.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/peak-memory.ts
 *   [--backends wasm,node] [--batch 256] [--steps 2] [--warmup 1] [--micro N] [--out bench/engine/results/peak-memory.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../runtime/data/index.js';
import { estimateSupernetMemory, loadSearchSpace, microBatchPlan } from '../../runtime/dsl/index.js';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { Rng } from '../../runtime/random/rng.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { currentCommand, writeRecord } from '../record.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,node' },
    batch: { type: 'string', default: '256' },
    steps: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    micro: { type: 'string' },
    out: { type: 'string', default: 'bench/engine/results/peak-memory.json' },
    child: { type: 'string' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const SIZE = 32;
const CLASSES = 10;

/** The issue's supernet at the papers' batch (the language's defaults elsewhere: 8 DARTS ops, 4 nodes). */
const text = `search "peak-memory" {
  data { source = synthetic, image = ${SIZE} }
  supernet { cells = 8, channels = 16, nodes = 4 }
  binarize { weights = xnor, activations = sign, keep_real = [stem, preprocess, classifier] }
  sampling { k = 4 }
  train { batch = ${batch}${values.micro ? `, micro_batch = ${values.micro}` : ''} }
  budget { memory_mb = 1000000 }
}`;
const loaded = loadSearchSpace(text);
if (!loaded.space) throw new Error(loaded.diagnostics.map((d) => d.message).join('; '));
const space = loaded.space;

/** What one backend's child measured. */
interface Measured {
  readonly backend: string;
  /** `train.micro_batch` as set for this run; absent: chosen automatically. */
  readonly microBatchSet?: number;
  readonly microBatch: number;
  readonly microBatches: number;
  readonly microReason: string;
  /** The language's estimate at one micro-batch, MB. */
  readonly estimateMb: number;
  readonly steps: number;
  /** Search steps run before the measured ones (kernels, optimizer slots). */
  readonly warmup: number;
  /** Wall ms of each measured search step (architecture + weight step). */
  readonly stepMs: readonly number[];
  readonly imagesPerSecond: number;
  readonly peakRssMb: number;
  /** The wasm heap's size after the steps (it only grows), MB; absent on other backends. */
  readonly wasmHeapMb?: number;
  readonly loss: number;
}

async function child(choice: BackendChoice): Promise<Measured> {
  const info = await initBackend(choice);
  const plan = microBatchPlan(space, info.name, 1, { image: SIZE, inChannels: 3, classes: CLASSES, systemMb: totalmem() / 2 ** 20 });
  const net = new Supernet(space, { input: [SIZE, SIZE, 3], numClasses: CLASSES, seed: 1 });
  const trainer = new Trainer(net, space, CLASSES);
  trainer.microBatch = plan.count > 1 ? plan.size : Infinity;
  const rng = new Rng(1);
  const make = (): Batch => ({
    x: new Float32Array(batch * SIZE * SIZE * 3).map(() => rng.normal()),
    y: Int32Array.from({ length: batch }, () => rng.int(CLASSES)),
    n: batch,
    shape: [batch, SIZE, SIZE, 3],
  });
  const step = async () => {
    await trainer.archStep(make(), 1);
    return trainer.weightStep(make(), 0.025);
  };
  for (let s = 0; s < warmup; s++) await step();
  const stepMs: number[] = [];
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    const t = performance.now();
    loss = (await step()).loss;
    stepMs.push(performance.now() - t);
  }
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length;
  trainer.dispose();
  net.dispose();
  const mean = stepMs.reduce((a, b) => a + b, 0) / stepMs.length;
  return {
    backend: info.name, ...(space.train.microBatch ? { microBatchSet: space.train.microBatch } : {}), microBatch: plan.size, microBatches: plan.count, microReason: plan.reason,
    estimateMb: estimateSupernetMemory(space, { image: SIZE, inChannels: 3, batch: plan.size, classes: CLASSES }).totalMb,
    steps, warmup, stepMs, imagesPerSecond: (batch * 1000) / mean,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ...(heap ? { wasmHeapMb: heap / 2 ** 20 } : {}),
    loss,
  };
}

if (values.child) {
  console.log(JSON.stringify(await child(values.child as BackendChoice)));
} else {
  const uptimeBefore = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
  const runs: (Measured | { backend: string; error: string })[] = [];
  for (const entry of (values.backends as string).split(',')) {
    const [b, own] = entry.split(':');
    const micro = own ?? values.micro;
    const args = [...process.execArgv, process.argv[1], '--child', b, '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup), ...(micro ? ['--micro', micro] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      runs.push(JSON.parse(line) as Measured);
    } catch {
      runs.push({ backend: b, error: `exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` });
    }
    console.log(JSON.stringify(runs.at(-1)));
    // Written after every backend, so a long run keeps what it measured.
    const out = values.out as string;
    mkdirSync(dirname(out), { recursive: true });
    writeRecord(out, { space: text.replace(/, micro_batch = \d+/, ''), batch, image: SIZE, uptime: { before: uptimeBefore, after: spawnSync('uptime', { encoding: 'utf8' }).stdout.trim() }, runs }, { command: currentCommand() });
    console.log(`wrote ${out}`);
  }
}
