/**
 * How many threads the engine's data-parallel workers should use, by measurement
 * (docs/design.md, "Threads"). A machine's core count says little: a virtual machine may show
 * two CPUs that together deliver one core's work, and neighbours may hold some of them. So `auto`
 * runs the same compute-bound loop on 1 thread and on N threads at once and reads the parallel
 * throughput s(N) = N · t(1) / t(N); a step on N threads is then modelled as
 * T(N) = T(1) · ([φ + (1 − φ)/N] · N / s(N) + ξ), with φ the share of a step that does not shrink
 * with the shard (kernel dispatch, tape, small kernels) and ξ the exchange (weights out,
 * gradients back, averaging), both measured (bench/engine/README.md, "Threads").
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** The most threads the engine's callers accept. */
export const MAX_THREADS = 32;

/** Share of a step that does not shrink when its batch is split (measured; see the module note). */
export const FIXED_SHARE = 0.15;
/** Share of a step that data-parallel exchange adds (measured; see the module note). */
export const EXCHANGE_SHARE = 0.05;
/** The least modelled gain (T(1)/T(N)) for which `auto` uses N threads rather than 1. */
export const MIN_GAIN = 1.15;

/** A requested thread count: a whole number, or `auto` (chosen by {@link autoThreads}). */
export type ThreadsChoice = number | 'auto';

/** Checks a requested thread count; the message says what is allowed. */
export function checkThreads(threads: ThreadsChoice): void {
  if (threads === 'auto') return;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`threads must be 'auto' or a whole number from 1 to ${MAX_THREADS}, got ${threads}`);
  }
}

/** Parses `--threads` / `bnas.threads` text: `auto` or a whole number (checked). */
export function parseThreads(text: string): ThreadsChoice {
  const t = text.trim().toLowerCase();
  const v: ThreadsChoice = t === 'auto' ? 'auto' : /^\d+$/.test(t) ? Number(t) : NaN;
  checkThreads(v);
  return v;
}

/** What the cores probe measured. */
export interface CoresMeasure {
  /** Threads run at once (the core count, at most {@link MAX_THREADS}). */
  readonly threads: number;
  /** Parallel throughput at that count: N · t(1) / t(N); N on idle independent cores, 1 on one shared core. */
  readonly speedup: number;
}

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
 * 3 × `ms` milliseconds plus the workers' start.
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
    return { threads, speedup: (threads * alone) / slowest };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The modelled gain T(1)/T(n) of n data-parallel threads when n threads at once run at `speedup(n)`. */
export function modelledGain(n: number, speedup: number): number {
  if (n <= 1) return 1;
  return 1 / ((FIXED_SHARE + (1 - FIXED_SHARE) / n) * (n / Math.min(speedup, n)) + EXCHANGE_SHARE);
}

/**
 * The thread count `auto` picks from a cores measurement: the n ≤ threads measured with the best
 * modelled gain, if that gain is at least {@link MIN_GAIN}; otherwise 1. Threads below the
 * measured count are assumed to share the measured throughput evenly up to n (s(n) = min(n, s)).
 * At most one thread per `minShard` examples of `batch` (shards smaller than that are mostly fixed cost).
 */
export function pickThreads(measure: CoresMeasure, batch: number, minShard = 8): number {
  const most = Math.max(1, Math.min(measure.threads, Math.floor(batch / minShard)));
  let best = 1, bestGain = 1;
  for (let n = 2; n <= most; n++) {
    const gain = modelledGain(n, measure.speedup);
    if (gain > bestGain) [best, bestGain] = [n, gain];
  }
  return bestGain >= MIN_GAIN ? best : 1;
}

let cached: Promise<CoresMeasure> | undefined;

/** {@link measureCores} at the machine's core count, measured once per process. */
export function coresOnce(): Promise<CoresMeasure> {
  cached ??= measureCores();
  return cached;
}

/**
 * The thread count for `choice`: itself; for `auto` 1 on the native backend (`tensorflow`, which
 * computes on every core itself), else {@link pickThreads} on this machine's measurement.
 */
export async function resolveThreads(choice: ThreadsChoice, batch: number, backend: string): Promise<{ threads: number; reason: string }> {
  checkThreads(choice);
  if (choice !== 'auto') return { threads: choice, reason: 'asked for' };
  if (backend === 'tensorflow') return { threads: 1, reason: 'auto: the native backend computes on every core itself' };
  const m = await coresOnce();
  const threads = pickThreads(m, batch);
  return { threads, reason: `auto: ${m.threads} core(s) measured ${m.speedup.toFixed(2)}× one core's throughput` };
}
