/**
 * Cost estimates for the search-space view: parameters and memory per step come from the DSL's
 * estimator; time per epoch is scaled from a measured run of the same file when there is one
 * (its seconds per step × the ratio of activation memory, the main cost driver), else from a rough
 * per-backend constant, and says which. Both are for one thread; a thread count asked for in
 * `bnas.threads` divides them by the data-parallel step model's gain (runtime/protocol/threads.ts,
 * the model `auto` uses; docs/design.md, "Threads") on independent cores, an upper bound.
 * Arithmetic per image and the share pruning can save come from the DSL's compute estimate:
 * engine-independent, so they say what the schedule allows, not how fast a backend runs it.
 */
import { estimateSupernetCompute, estimateSupernetMemory, pruningBounds, stepsPerEpochOf, type SearchSpace } from '../../runtime/dsl/index.js';
import { modelledGain, type ThreadsChoice } from '../../runtime/protocol/threads.js';
import type { SpaceEstimates } from '../../runtime/protocol/webview.js';

/** A measured run to scale from. */
export interface MeasuredRun {
  readonly name: string;
  readonly secondsPerStep: number;
  /** Activation MB of the space that run searched (its `space.bnas`). */
  readonly activationsMb: number;
  readonly backend: string;
  /** Threads the run computed on (default 1). */
  readonly threads?: number;
}

/**
 * Seconds per training step per MB of activations, by backend, when nothing was measured.
 * From runs of examples/tiny.bnas and quick.bnas on a 2-core machine (wasm), and the usual
 * native-vs-wasm ratio for tfjs-node; an order of magnitude, shown as "rough".
 */
const SECONDS_PER_MB_STEP: Readonly<Record<string, number>> = { wasm: 0.06, cpu: 0.4, tensorflow: 0.008, node: 0.008, auto: 0.06 };

/** Backends whose data-parallel threads the model describes: one CPU thread computes a step. */
const ONE_THREAD_BACKENDS = new Set(['wasm', 'cpu', 'auto']);

/**
 * The threads a time estimate assumes and the factor its one-thread time is divided by.
 * `auto` is measured at the run's start, so the view assumes 1; the native backend computes on
 * every core itself and WebGPU on the GPU, so their threads are not modelled.
 */
export function threadsFactor(backend: string, threads: ThreadsChoice, batch: number): { threads: number; gain: number; note: string } {
  if (threads === 'auto') return { threads: 1, gain: 1, note: 'threads auto: 1 assumed (the run measures whether more pay)' };
  if (threads <= 1) return { threads: 1, gain: 1, note: '1 thread' };
  if (!ONE_THREAD_BACKENDS.has(backend)) return { threads, gain: 1, note: `${threads} threads not modelled on ${backend} (it computes in parallel itself)` };
  const gain = modelledGain(threads, threads, batch);
  return { threads, gain, note: `${threads} threads: at most ${gain.toFixed(2)}× one thread, on ${threads} independent cores` };
}

/** Estimates for `space` on `backend` with `threads` (the `bnas.backend` and `bnas.threads` settings), using `measured` when given. */
export function spaceEstimates(space: SearchSpace, backend: string, measured?: MeasuredRun, threads: ThreadsChoice = 1): SpaceEstimates & { readonly timeSource: string } {
  const mem = estimateSupernetMemory(space);
  const steps = stepsPerEpochOf(space);
  const batch = space.train.batch;
  const t = threadsFactor(backend, threads, batch);
  let oneThread: number;
  let timeSource: string;
  if (measured && measured.activationsMb > 0) {
    // Back to one thread with the same model, then to the threads asked for.
    const ran = threadsFactor(measured.backend, measured.threads ?? 1, batch);
    oneThread = measured.secondsPerStep * ran.gain * (mem.activationsMb / measured.activationsMb);
    timeSource = `scaled from run ${measured.name} (${measured.backend}, ${ran.threads} thread(s)); for ${backend}, ${t.note}`;
  } else {
    oneThread = (SECONDS_PER_MB_STEP[backend] ?? SECONDS_PER_MB_STEP.wasm!) * mem.activationsMb;
    timeSource = `rough, for ${backend}, ${t.note}; run a search to measure`;
  }
  const compute = estimateSupernetCompute(space);
  const bounds = space.pruning.criterion === 'none' ? undefined : pruningBounds(space, compute);
  return {
    backend,
    threads: t.note,
    macsPerImage: compute.total,
    fixedShare: compute.fixed / compute.total,
    ...(bounds ? { pruningRange: { best: bounds.best / bounds.unpruned, worst: bounds.worst / bounds.unpruned } } : {}),
    parameters: mem.parameters,
    memoryMb: mem.totalMb,
    secondsPerEpoch: (oneThread / t.gain) * steps,
    budgetMb: space.budget.memoryMb,
    timeSource,
  };
}
