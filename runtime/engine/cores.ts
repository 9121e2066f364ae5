/**
 * How many threads the engine's data-parallel workers should use, by measurement
 * (docs/design.md, "Threads"). A machine's core count says little: a virtual machine may show
 * two CPUs that together deliver one core's work, and neighbours may hold some of them. So `auto`
 * runs the same compute-bound loop on 1 thread and on N threads at once and reads the parallel
 * throughput s(N) = N · t(1) / t(N). Where that leaves room, it times the real step at the batch
 * and at half of it, T(b) = F + v·b (F: what does not shrink with the shard, such as kernel
 * dispatch and the tape), and models a step on n threads as
 * T(n) = (F + v·B/n) · n / min(n, s) + ξ · T(1), ξ the exchange (weights out, gradients back,
 * averaging; bench/engine/README.md, "Threads").
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkThreads, MAX_THREADS, modelledGain, pickThreads, type CoresMeasure, type StepCost, type ThreadsChoice } from '../protocol/threads.js';

// The step model is pure arithmetic, shared with the extension's estimates (runtime/protocol/threads.ts).
export { EXCHANGE_SHARE, MIN_GAIN, modelledGain, pickThreads, type CoresMeasure, type StepCost } from '../protocol/threads.js';

/** A compute-bound loop over a small float array (fits a core's cache), as source text. */
const LOOP = `function spin(reps) {
  const a = new Float32Array(4096);
  let s = 0;
  for (let r = 0; r < reps; r++) for (let i = 0; i < a.length; i++) { a[i] = a[i] * 0.999 + i; s += a[i]; }
  return s;
}`;

const spin = new Function(`${LOOP}; return spin;`)() as (reps: number) => number;

const WORKER = `${LOOP}
const { parentPort, workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.flag);
spin(workerData.reps);
parentPort.postMessage('ready');
Atomics.wait(flag, 0, 0);
const t = performance.now();
spin(workerData.reps);
parentPort.postMessage(performance.now() - t);`;

/**
 * Runs the loop on this thread alone, then on `threads` threads at once (this one included, all
 * released together by one Atomics.notify), and returns the parallel throughput. Takes about
 * 4 × `ms` milliseconds plus the workers' start.
 */
export async function measureCores(threads = Math.min(availableParallelism(), MAX_THREADS), ms = 40): Promise<CoresMeasure> {
  if (threads <= 1) return { threads: 1, speedup: 1 };
  spin(200);
  let reps = 200, t1 = 0;
  for (;;) {
    const t = performance.now();
    spin(reps);
    t1 = performance.now() - t;
    if (t1 >= ms / 4) break;
    reps *= 4;
  }
  reps = Math.ceil((reps * ms) / t1);
  const single = (): number => {
    const t = performance.now();
    spin(reps);
    return performance.now() - t;
  };
  const alone = Math.min(single(), single());
  const flag = new SharedArrayBuffer(4);
  const workers = Array.from({ length: threads - 1 }, () => new Worker(WORKER, { eval: true, workerData: { flag, reps } }));
  try {
    const times = workers.map(
      (w) =>
        new Promise<number>((resolve, reject) => {
          w.on('message', (m: unknown) => typeof m === 'number' && resolve(m));
          w.once('error', reject);
        }),
    );
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    })));
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    const own = single();
    const slowest = Math.max(own, ...(await Promise.all(times)));
    // Alone again, now that this thread's loop is as optimised as it was in the parallel run: a
    // baseline taken before the compiler's last tier made a first probe read 3.5× on 2 CPUs.
    const base = Math.min(alone, single());
    return { threads, speedup: Math.min(threads, (threads * base) / slowest) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * One step of the real work on a throwaway network (the run's own must not change):
 * `step(images)` runs a step on that many images and returns its CPU milliseconds.
 */
export interface StepSampler {
  step(images: number): Promise<number>;
  dispose(): void;
}

/**
 * Times one step at `batch` and at half of it (after one warm-up step at each size) and fits
 * {@link StepCost}.
 */
export async function measureStepCost({ step }: StepSampler, batch: number): Promise<StepCost> {
  const half = Math.max(1, Math.floor(batch / 2));
  await step(batch);
  await step(half);
  const full = await step(batch);
  const part = await step(half);
  const perImageMs = Math.max((full - part) / Math.max(batch - half, 1), 1e-6);
  return { fixedMs: Math.max(full - perImageMs * batch, 0), perImageMs };
}

let cached: Promise<CoresMeasure> | undefined;

/** {@link measureCores} at the machine's core count, measured once per process. */
export function coresOnce(): Promise<CoresMeasure> {
  cached ??= measureCores();
  return cached;
}

/**
 * The thread count for `choice`: itself; for `auto` 1 on the native backend (`tensorflow`, which
 * computes on every core itself), else {@link pickThreads} on this machine's cores measurement
 * and, where the cores leave room for a gain, the step's cost timed with `sampler` (see
 * {@link measureStepCost}). `cores` measures the cores (default: once per process).
 */
export async function resolveThreads(
  choice: ThreadsChoice,
  batch: number,
  backend: string,
  sampler?: () => StepSampler,
  cores: () => Promise<CoresMeasure> = coresOnce,
): Promise<{ threads: number; reason: string }> {
  checkThreads(choice);
  // Data-parallel workers exchange weights as CPU arrays, which a GPU backend cannot hand over synchronously.
  if (backend === 'webgpu' && choice !== 'auto' && choice > 1) throw new Error(`--threads ${choice} runs data-parallel CPU workers; the webgpu backend computes on the GPU from one thread: use --threads 1 or auto`);
  if (choice !== 'auto') return { threads: choice, reason: 'asked for' };
  if (backend === 'tensorflow') return { threads: 1, reason: 'auto: the native backend computes on every core itself' };
  if (backend === 'webgpu') return { threads: 1, reason: 'auto: the GPU computes in parallel itself' };
  const m = await cores();
  const measured = `${m.threads} CPU(s) at once gave ${m.speedup.toFixed(2)}× one thread's throughput`;
  if (pickThreads(m, batch) === 1 || !sampler) return { threads: pickThreads(m, batch), reason: `auto: ${measured}` };
  const s = sampler();
  let cost: StepCost;
  try {
    cost = await measureStepCost(s, batch);
  } finally {
    s.dispose();
  }
  const threads = pickThreads(m, batch, cost);
  const gain = modelledGain(threads, m.speedup, batch, cost);
  return { threads, reason: `auto: ${measured}; a step at batch ${batch} measured ${cost.fixedMs.toFixed(0)} ms fixed + ${cost.perImageMs.toFixed(2)} ms an image, so ${threads} thread(s) (modelled ${gain.toFixed(2)}×)` };
}
