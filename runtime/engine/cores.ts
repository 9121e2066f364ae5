/**
 * How many threads the engine's data-parallel workers should use, by measurement
 * (docs/design.md, "Threads"). A machine's core count says little: a virtual machine may show
 * two CPUs that together deliver one core's work, and neighbours may hold some of them. So `auto`
 * runs the same compute-bound loop on 1 thread and on N threads at once and reads the parallel
 * throughput s(N) = N · t(1) / t(N). Where that leaves room, it times the real step of the whole
 * batch on 1 thread and on n threads, alternating, on a throwaway network: a model of the step
 * (runtime/protocol/threads.ts) leaves out what two threads computing at once cost each other and
 * what a shard does not save, and picked 2 threads where they were slower
 * (bench/engine/README.md, "Threads"). A trial's times are remembered per machine and kind of work
 * (backend-cache.ts), so a later start of the same work runs the cores probe only. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkThreads, MAX_THREADS, MIN_MEASURED_GAIN, MIN_REMEMBERED_GAIN, NEXT_GAIN, pickThreads, type CoresMeasure, type ThreadsChoice } from '../protocol/threads.js';

// The step model is pure arithmetic, shared with the extension's estimates (runtime/protocol/threads.ts).
export { EXCHANGE_SHARE, MIN_GAIN, MIN_MEASURED_GAIN, modelledGain, pickThreads, type CoresMeasure, type StepCost } from '../protocol/threads.js';

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
 * The real step of the whole batch on a throwaway network (the run's own must not change), on
 * one or more data-parallel threads: {@link StepSampler.start} starts `threads − 1` workers (none
 * for 1); `step()` runs one step and returns its wall milliseconds.
 */
export interface StepRig {
  step(): Promise<number>;
  close(): Promise<void>;
}

/** Rigs of the real step on one throwaway network (see {@link StepRig}). */
export interface StepSampler {
  start(threads: number): Promise<StepRig>;
  dispose(): void;
}

/** What {@link measureThreads} timed: the median wall ms of a step on 1 and on `threads` threads. */
export interface ThreadsTrial {
  readonly threads: number;
  readonly oneMs: number;
  readonly manyMs: number;
  /** oneMs / manyMs: above 1 the threads are faster. */
  readonly gain: number;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times the real step on 1 thread and on `threads` threads, alternating (so a neighbour's load
 * falls on both alike): a warm-up step each, then `pairs` steps each; medians.
 */
export async function measureThreads(sampler: StepSampler, threads: number, pairs = 3): Promise<ThreadsTrial> {
  const one = await sampler.start(1);
  try {
    const many = await sampler.start(threads);
    try {
      await one.step();
      await many.step();
      const a: number[] = [], b: number[] = [];
      for (let i = 0; i < pairs; i++) {
        a.push(await one.step());
        b.push(await many.step());
      }
      const oneMs = median(a), manyMs = median(b);
      return { threads, oneMs, manyMs, gain: oneMs / manyMs };
    } finally {
      await many.close();
    }
  } finally {
    await one.close();
  }
}

/** Remembers trials across processes (a file per user, see backend-cache.ts); absent in tests and benches. */
export interface TrialCache {
  get(key: string): ThreadsTrial | undefined;
  set(key: string, trial: ThreadsTrial): void;
}

/**
 * Where {@link resolveThreads} remembers its trials: the cache, and the key of the work's shape and
 * step kind (the backend probe's, runtime/search/backend-probe.ts); the backend and the thread
 * count are added to it, the machine and TensorFlow.js version by the cache.
 */
export interface TrialMemory {
  readonly cache: TrialCache;
  readonly key: string;
}

let cached: Promise<CoresMeasure> | undefined;

/** {@link measureCores} at the machine's core count, measured once per process. */
export function coresOnce(): Promise<CoresMeasure> {
  cached ??= measureCores();
  return cached;
}

/** The thread counts `auto` tries up to `most`: 2, 4, 8, … and `most`. */
export function threadCandidates(most: number): number[] {
  const out: number[] = [];
  for (let n = 2; n < most; n *= 2) out.push(n);
  if (most >= 2) out.push(most);
  return out;
}

/**
 * The thread count for `choice`: itself; for `auto` 1 on the native backend (`tensorflow`, which
 * computes on every core itself) and on WebGPU; else, where this machine's cores leave room for a
 * gain ({@link pickThreads} without a step cost, an upper bound), the real step is timed on 1 and
 * on n threads ({@link measureThreads}; n = 2, 4, … while each count beats the last) and n is taken
 * only if its measured gain is at least {@link MIN_MEASURED_GAIN}. `cores` measures the cores
 * (default: once per process); a trial found in `memory` is not run again, and one that is run is
 * stored there unless its gain is below {@link MIN_REMEMBERED_GAIN}. The reason says what was measured, and which times an earlier run measured.
 * @param shared the work has parts besides its steps that threads share without exchange (the
 *   search's pruning candidates and measurements): where splitting the step does not pay but the
 *   cores leave room, `auto` takes the cores' count with `shardSteps` false (steps on one thread)
 */
export async function resolveThreads(
  choice: ThreadsChoice,
  batch: number,
  backend: string,
  sampler?: () => StepSampler,
  cores: () => Promise<CoresMeasure> = coresOnce,
  memory?: TrialMemory,
  shared = false,
): Promise<{ threads: number; reason: string; trials?: ThreadsTrial[]; shardSteps?: false }> {
  checkThreads(choice);
  // Data-parallel workers exchange weights as CPU arrays, which a GPU backend cannot hand over synchronously.
  if (backend === 'webgpu' && choice !== 'auto' && choice > 1) throw new Error(`--threads ${choice} runs data-parallel CPU workers; the webgpu backend computes on the GPU from one thread: use --threads 1 or auto`);
  if (choice !== 'auto') return { threads: choice, reason: 'asked for' };
  if (backend === 'tensorflow') return { threads: 1, reason: 'auto: the native backend computes on every core itself' };
  if (backend === 'webgpu') return { threads: 1, reason: 'auto: the GPU computes in parallel itself' };
  const m = await cores();
  const measured = `${m.threads} CPU(s) at once gave ${m.speedup.toFixed(2)}× one thread's throughput`;
  const most = pickThreads(m, batch);
  if (most === 1) return { threads: 1, reason: `auto: ${measured}, so 1 thread` };
  if (!sampler) return { threads: 1, reason: `auto: ${measured}; no step to time, so 1 thread` };
  const trials: ThreadsTrial[] = [];
  const remembered = new Set<ThreadsTrial>();
  let s: StepSampler | undefined;
  let best = 1, bestGain = 1, failed = '';
  try {
    for (const n of threadCandidates(most)) {
      const key = `${memory?.key} · ${backend} · ${n} threads`;
      let t = memory?.cache.get(key);
      if (t?.threads === n) remembered.add(t);
      else {
        s ??= sampler();
        try {
          t = await measureThreads(s, n);
        } catch (e) {
          // A count whose workers cannot start (or fail) is not taken; the run goes on with what was timed.
          failed = `; ${n} threads failed: ${(e as Error).message}`;
          break;
        }
        if (t.gain >= MIN_REMEMBERED_GAIN) memory?.cache.set(key, t);
      }
      trials.push(t);
      if (t.gain < bestGain * (best === 1 ? MIN_MEASURED_GAIN : NEXT_GAIN)) break;
      [best, bestGain] = [n, t.gain];
    }
  } finally {
    s?.dispose();
  }
  const timed = `auto: ${measured}; ${trialsText(batch, trials, remembered)}${failed}`;
  if (best === 1 && shared && trials.length && !failed) {
    return { threads: most, shardSteps: false, reason: `${timed}, so the steps on 1 thread (below the ${MIN_MEASURED_GAIN}× that sharding them must gain) and pruning and measurements shared by ${most} threads`, trials };
  }
  return { threads: best, reason: `${timed}, so ${best} thread(s) (${best > 1 ? 'the fastest' : trials.length ? `below the ${MIN_MEASURED_GAIN}× that threads must gain` : 'none timed'})`, trials };
}

/** What the trials timed, for the reason; `remembered` ones were timed by an earlier run. */
function trialsText(batch: number, trials: readonly ThreadsTrial[], remembered: ReadonlySet<ThreadsTrial>): string {
  const all = trials.length > 0 && remembered.size === trials.length;
  const where = all ? 'as an earlier run on this machine timed it on a throwaway network (remembered)' : 'timed on a throwaway network';
  const each = trials.map((t) => `${t.threads} threads ${t.manyMs.toFixed(0)} ms (${t.gain.toFixed(2)}×${remembered.has(t) && !all ? ', remembered' : ''})`);
  return `the step at batch ${batch} ${where}${trials.length ? `: 1 thread ${trials[0].oneMs.toFixed(0)} ms, ${each.join(', ')}` : ''}`;
}
