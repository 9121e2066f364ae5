/**
 * Cost estimates for the search-space view: parameters and memory per step come from the DSL's
 * estimator; time per epoch is scaled from a measured run of the same file when there is one
 * (its seconds per step × the ratio of activation memory, the main cost driver), else from a rough
 * per-backend constant, and says which. Arithmetic per image and the share pruning can save come
 * from the DSL's compute estimate: engine-independent, so they say what the schedule allows, not
 * how fast a backend runs it.
 */
import { estimateSupernetCompute, estimateSupernetMemory, pruningBounds, stepsPerEpochOf, type SearchSpace } from '../../runtime/dsl/index.js';
import type { SpaceEstimates } from '../../runtime/protocol/webview.js';

/** A measured run to scale from. */
export interface MeasuredRun {
  readonly name: string;
  readonly secondsPerStep: number;
  /** Activation MB of the space that run searched (its `space.bnas`). */
  readonly activationsMb: number;
  readonly backend: string;
}

/**
 * Seconds per training step per MB of activations, by backend, when nothing was measured.
 * From runs of examples/tiny.bnas and quick.bnas on a 2-core machine (wasm), and the usual
 * native-vs-wasm ratio for tfjs-node; an order of magnitude, shown as "rough".
 */
const SECONDS_PER_MB_STEP: Readonly<Record<string, number>> = { wasm: 0.06, cpu: 0.4, tensorflow: 0.008, node: 0.008, auto: 0.06 };

/** Estimates for `space` on `backend`, using `measured` when given. */
export function spaceEstimates(space: SearchSpace, backend: string, measured?: MeasuredRun): SpaceEstimates & { readonly timeSource: string } {
  const mem = estimateSupernetMemory(space);
  const steps = stepsPerEpochOf(space);
  let perStep: number;
  let timeSource: string;
  if (measured && measured.activationsMb > 0) {
    perStep = measured.secondsPerStep * (mem.activationsMb / measured.activationsMb);
    timeSource = `scaled from run ${measured.name} (${measured.backend})`;
  } else {
    perStep = (SECONDS_PER_MB_STEP[backend] ?? SECONDS_PER_MB_STEP.wasm!) * mem.activationsMb;
    timeSource = `rough, for ${backend}; run a search to measure`;
  }
  const compute = estimateSupernetCompute(space);
  const bounds = space.pruning.criterion === 'none' ? undefined : pruningBounds(space, compute);
  return {
    backend,
    macsPerImage: compute.total,
    fixedShare: compute.fixed / compute.total,
    ...(bounds ? { pruningRange: { best: bounds.best / bounds.unpruned, worst: bounds.worst / bounds.unpruned } } : {}),
    parameters: mem.parameters,
    memoryMb: mem.totalMb,
    secondsPerEpoch: perStep * steps,
    budgetMb: space.budget.memoryMb,
    timeSource,
  };
}
