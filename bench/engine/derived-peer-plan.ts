/**
 * The pure parts of derived-peer.ts (derived-network training, this runtime against PyTorch on
 * the exported network): the contenders' command lines, the rotating order of a round, the timing
 * loop a contender process runs, and the summary of the rounds (PyTorch ÷ this runtime).
 */

/** One contender process: its name, side, backend (this runtime), threads and command line. */
export interface Contender {
  readonly name: string;
  readonly side: 'runtime' | 'pytorch';
  readonly backend: string;
  readonly threads: number;
  readonly cmd: string;
  readonly args: readonly string[];
  /** Environment variables the process gets besides the parent's (the native libraries' thread counts). */
  readonly env: Readonly<Record<string, string>>;
}

/** What a contender process prints (one JSON line; derived-step.ts and derived_step.py). */
export interface StepRecord {
  readonly images_per_second: number;
  readonly step_ms: readonly number[];
  readonly median_ms: number;
  readonly cpu_ms: number;
  readonly parameters: number;
  readonly [key: string]: unknown;
}

export interface PlanOptions {
  /** The Node executable (process.execPath). */
  readonly node: string;
  /** A Python that imports torch. */
  readonly python: string;
  readonly space: string;
  readonly sets: readonly string[];
  readonly genotype: string;
  /** The exported model.py of the same space, genotype and input. */
  readonly model: string;
  readonly channels: number;
  readonly classes: number;
  readonly threads: readonly number[];
  readonly backends: readonly string[];
  readonly steps: number;
  readonly warmup: number;
}

/**
 * The environment that holds a process's native libraries to `threads` threads: TensorFlow's
 * intra-op pool (tfjs-node reads TF_NUM_INTRAOP_THREADS) and OpenMP (PyTorch, oneDNN), one inter-op
 * thread. OpenMP threads wait passively: on cores shared with other processes a spinning thread
 * burns the time its preempted partner needs at every barrier (PyTorch on 2 threads then ran
 * several times slower than on 1).
 */
export function threadEnv(threads: number): Record<string, string> {
  return { TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' };
}

/**
 * Every contender: this runtime on each backend and thread count, then PyTorch on each thread
 * count. T threads on the wasm backend are `bnas evaluate --threads T` (data-parallel workers; wasm
 * computes on one thread); on the native backend (`node`) one runtime thread whose TensorFlow
 * computes on T threads, as `--threads auto` runs it (runtime/engine/cores.ts).
 */
export function contenders(o: PlanOptions): Contender[] {
  const timing = ['--steps', String(o.steps), '--warmup', String(o.warmup)];
  const runtime = o.backends.flatMap((backend) =>
    o.threads.map((threads): Contender => ({
      name: `runtime ${backend} ${threads}t`,
      side: 'runtime',
      backend,
      threads,
      cmd: o.node,
      args: [
        '--require', './scripts/polyfills.cjs', '--import', 'tsx', 'bench/engine/derived-step.ts',
        '--space', o.space, ...o.sets.flatMap((s) => ['--set', s]), '--genotype', o.genotype,
        '--channels', String(o.channels), '--classes', String(o.classes),
        '--backend', backend, '--threads', backend === 'node' ? '1' : String(threads), ...timing,
      ],
      env: threadEnv(backend === 'node' ? threads : 1),
    })),
  );
  const pytorch = o.threads.map((threads): Contender => ({
    name: `pytorch ${threads}t`,
    side: 'pytorch',
    backend: 'pytorch',
    threads,
    cmd: o.python,
    args: ['bench/peers/pytorch/derived_step.py', o.model, '--threads', String(threads), ...timing],
    env: threadEnv(threads),
  }));
  return [...runtime, ...pytorch];
}

/** Round `round`'s order: the list rotated by the round, so a load swing does not always hit the same contender. */
export function roundOrder<T>(list: readonly T[], round: number): T[] {
  return list.map((_, i) => list[(i + round) % list.length]);
}

/** The median (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  return xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN;
}

/**
 * Runs `step` `warmup` times untimed, then `steps` times timed: images/s from the median step,
 * the steps' wall and CPU milliseconds (CPU of the whole process, so with threads it adds them).
 */
export async function timedSteps(step: () => Promise<void>, warmup: number, steps: number, batch: number): Promise<Pick<StepRecord, 'images_per_second' | 'step_ms' | 'median_ms' | 'cpu_ms'>> {
  for (let i = 0; i < warmup; i++) await step();
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const m = median(wall);
  return { images_per_second: (1000 * batch) / m, step_ms: wall.map((x) => Math.round(x * 10) / 10), median_ms: Math.round(m * 10) / 10, cpu_ms: Math.round(median(cpu)) };
}

/** What a contender measured in one round (undefined where its process failed). */
export interface Sample {
  readonly imagesPerSecond: number;
  /** Process CPU ms a step (all its threads). */
  readonly cpuMs: number;
}

/** Each contender's samples by round. */
export type Runs = ReadonlyMap<string, readonly (Sample | undefined)[]>;

export interface ThreadSummary {
  readonly threads: number;
  /** Median images/s over the rounds, per contender name. */
  readonly imagesPerSecond: Readonly<Record<string, number>>;
  /** This runtime's fastest backend at this thread count (by median images/s). */
  readonly best: string;
  /** PyTorch images/s ÷ the best backend's, per round (> 1: PyTorch is faster); rounds where one failed are left out. */
  readonly ratioPerRound: readonly number[];
  /** The median of the rounds' ratios. */
  readonly ratio: number;
  /**
   * The best backend's CPU ms a step ÷ PyTorch's, per round: the same direction as the ratio, less
   * sensitive to other processes on shared cores (with T threads it compares T threads' CPU).
   */
  readonly cpuRatioPerRound: readonly number[];
  readonly cpuRatio: number;
  /**
   * The target: this runtime at least as fast as PyTorch, by the median wall ratio and the median
   * CPU ratio both (≤ 1); on shared cores a wall ratio alone can say "faster" from load noise.
   */
  readonly met: boolean;
}

/** Per thread count: each contender's median, the best runtime backend, and PyTorch ÷ it per round and overall. */
export function summarize(list: readonly Contender[], runs: Runs): ThreadSummary[] {
  const threads = [...new Set(list.map((c) => c.threads))];
  const of = (c: Contender | undefined): readonly (Sample | undefined)[] => (c ? runs.get(c.name) ?? [] : []);
  return threads.map((t) => {
    const here = list.filter((c) => c.threads === t);
    const ips = Object.fromEntries(here.map((c) => [c.name, median(of(c).flatMap((s) => (s ? [s.imagesPerSecond] : [])))]));
    const runtime = here.filter((c) => c.side === 'runtime' && Number.isFinite(ips[c.name]));
    const best = runtime.reduce<Contender | undefined>((b, c) => (!b || ips[c.name] > ips[b.name] ? c : b), undefined);
    const mine = of(best), theirs = of(here.find((c) => c.side === 'pytorch'));
    const perRound = (f: (m: Sample, p: Sample) => number): number[] =>
      Array.from({ length: Math.min(mine.length, theirs.length) }, (_, r) => {
        const m = mine[r], p = theirs[r];
        return m && p ? f(m, p) : NaN;
      }).filter(Number.isFinite);
    const ratioPerRound = perRound((m, p) => p.imagesPerSecond / m.imagesPerSecond);
    const cpuRatioPerRound = perRound((m, p) => m.cpuMs / p.cpuMs);
    const ratio = median(ratioPerRound);
    return { threads: t, imagesPerSecond: ips, best: best?.name ?? 'none', ratioPerRound, ratio, cpuRatioPerRound, cpuRatio: median(cpuRatioPerRound), met: ratio <= 1 && median(cpuRatioPerRound) <= 1 };
  });
}
