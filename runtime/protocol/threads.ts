/**
 * A thread count as the command line (`--threads`) and the extension (`bnas.threads`) give it:
 * `auto` (runtime/engine/cores.ts measures) or a whole number (docs/design.md, "Threads"); and the
 * step model of data-parallel threads, pure arithmetic that the engine's `auto` and the
 * search-space view's time estimate share.
 */

/** The most threads the search or an evaluation accepts. */
export const MAX_THREADS = 32;

/** A requested thread count: a whole number, or `auto` (resolved by runtime/engine/cores.ts). */
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

/** Share of a step that data-parallel exchange adds (measured; see the module note). */
export const EXCHANGE_SHARE = 0.05;
/**
 * The least modelled gain (T(1)/T(N)) for which N threads are worth more than 1: `auto` times the
 * real step on N threads only then (with no step cost, from the cores probe alone), and the
 * search-space view's estimate uses it. The model leaves out costs that grow with the threads (it
 * overestimates the gain of small steps), so the margin is wide (bench/engine/README.md, "Threads").
 */
export const MIN_GAIN = 1.3;

/**
 * The least measured gain (1-thread step time over n-thread step time, the real step timed on
 * both) for which `auto` uses n threads rather than 1: above timing noise, so it never takes a
 * count that is not faster.
 */
export const MIN_MEASURED_GAIN = 1.15;
/**
 * Below this measured gain a trial is used but not remembered: where the cores probe has just
 * found room for the threads, a step on n threads that takes more than twice one thread's says
 * more about what else ran during the trial (another process, workers still starting) than about
 * the work, and a remembered answer would hold for every later run of it.
 */
export const MIN_REMEMBERED_GAIN = 0.5;
/** The least measured gain over the last count for which `auto` tries more threads (2 → 4 → 8 …). */
export const NEXT_GAIN = 1.1;

/** What the cores probe measured. */
export interface CoresMeasure {
  /** Threads run at once (the core count, at most {@link MAX_THREADS}). */
  readonly threads: number;
  /** Parallel throughput at that count: N · t(1) / t(N); N on idle independent cores, 1 on one shared core. */
  readonly speedup: number;
}

/** A step's cost on one thread as a line in its images: `fixedMs + perImageMs · images`. */
export interface StepCost {
  readonly fixedMs: number;
  readonly perImageMs: number;
}

/** The cost model when no step was timed: the whole step shrinks with its shard (an upper bound on the gain). */
const NO_FIXED: StepCost = { fixedMs: 0, perImageMs: 1 };

/** The modelled gain T(1)/T(n) of n data-parallel threads on a batch of `batch` when n threads at once run at `speedup`. */
export function modelledGain(n: number, speedup: number, batch: number, cost: StepCost = NO_FIXED): number {
  if (n <= 1) return 1;
  const one = cost.fixedMs + cost.perImageMs * batch;
  const many = (cost.fixedMs + (cost.perImageMs * batch) / n) * (n / Math.min(speedup, n)) + EXCHANGE_SHARE * one;
  return one / many;
}

/**
 * The n ≤ threads measured with the best modelled gain, if that gain is at least
 * {@link MIN_GAIN}; otherwise 1. At most one thread per `minShard` examples. Without a step cost
 * it is the most threads `auto` times the real step on (runtime/engine/cores.ts).
 */
export function pickThreads(measure: CoresMeasure, batch: number, cost: StepCost = NO_FIXED, minShard = 4): number {
  const most = Math.max(1, Math.min(measure.threads, Math.floor(batch / minShard)));
  let best = 1, bestGain = 1;
  for (let n = 2; n <= most; n++) {
    const gain = modelledGain(n, measure.speedup, batch, cost);
    if (gain > bestGain) [best, bestGain] = [n, gain];
  }
  return bestGain >= MIN_GAIN ? best : 1;
}
