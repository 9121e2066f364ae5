/**
 * Which inputs of a kernel the running backward pass differentiates.
 *
 * TensorFlow.js calls a gradient's per-input closure only for inputs on a path from the
 * differentiated tensors (xs), but a fused kernel whose backward computes several gradients in
 * one pass (pointwise + BN: input and filter; the channel mix: maps and coefficients) does all
 * of them when the first closure runs. The search's architecture step differentiates α and β
 * only, so the packed filters are not on the path; its weight step differentiates the weights
 * only, so the mixes' coefficients (softmax of α, β) are not. Knowing that, a kernel can run the
 * one pass it needs — with the very same arithmetic for what it computes (bit-identical values).
 *
 * How: `Engine.gradients` (behind tf.grads / tf.variableGrads) is wrapped so that, once the
 * forward function has recorded the tape, the ids of every tensor that is a function of xs are
 * known (the forward half of TensorFlow.js's own tape filter) until the backward pass is over.
 * A kernel's op passes its inputs' tensor ids in its attributes (`gradIds`) and its gradient asks
 * {@link gradNeeded}. Outside such a pass, or for an unknown id, the answer is "needed", so
 * behaviour can only fall back to computing everything.
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNodeLike {
  readonly inputs: Record<string, { readonly id: number }>;
  readonly outputs: readonly { readonly id: number }[];
}

type GradientsFn = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => unknown;

/** The part of the engine this wraps (internal, typed loosely). */
interface GradEngine {
  gradients: GradientsFn;
  readonly state: { readonly activeTape: readonly TapeNodeLike[] | null };
}

/**
 * The tensors that are functions of xs in one backward pass: xs themselves, and a bitmap over the
 * ids of the tape's outputs (ids only grow, so they span [lo, lo + bits.length)).
 */
interface Scope {
  readonly xs: ReadonlySet<number>;
  readonly lo: number;
  readonly bits: Uint8Array;
}

/** One scope per running backward pass (innermost last). */
const scopes: Scope[] = [];

function marked(scope: Scope, id: number): boolean {
  const i = id - scope.lo;
  return i >= 0 && i < scope.bits.length ? scope.bits[i] === 1 : scope.xs.has(id);
}

/**
 * Every tensor reachable from xs along the tape (which is in execution order). Measured with
 * --cpu-prof: 0.6 ms a step with a Set and for-in over the inputs, 0.4 ms with this bitmap and
 * indexed inputs (paper-shaped space) — still a cost against the ≈ 0.7 ms a one-op step saves.
 */
function idsFromXs(tape: readonly TapeNodeLike[], xs: readonly tf.Tensor[]): Scope {
  let lo = Infinity;
  let hi = -Infinity;
  for (const node of tape) {
    for (const o of node.outputs) {
      if (o.id < lo) lo = o.id;
      if (o.id > hi) hi = o.id;
    }
  }
  const scope: Scope = { xs: new Set(xs.map((x) => x.id)), lo, bits: new Uint8Array(hi >= lo ? hi - lo + 1 : 0) };
  // An x inside the bitmap's range (a tensor computed inside f) reads from the bitmap.
  for (const id of scope.xs) if (id >= lo && id - lo < scope.bits.length) scope.bits[id - lo] = 1;
  for (const node of tape) {
    // Our ops pass their inputs as an array (read by index); stock ops name theirs.
    const inputs = Array.isArray(node.inputs) ? (node.inputs as readonly { readonly id: number }[]) : Object.values(node.inputs);
    for (let i = 0; i < inputs.length; i++) {
      if (marked(scope, inputs[i].id)) {
        for (const o of node.outputs) scope.bits[o.id - lo] = 1;
        break;
      }
    }
  }
  return scope;
}

let stockGradients: GradientsFn | undefined;

/** The engine's `gradients` with the xs scope recorded around its backward pass. */
const wrapped: GradientsFn = function (this: GradEngine, f, xs, dy, allowNoGradients) {
  const stock = stockGradients as GradientsFn;
  let pushed = false;
  const traced = (): tf.Tensor => {
    const y = f();
    const tape = this.state.activeTape;
    if (tape) {
      scopes.push(idsFromXs(tape, xs));
      pushed = true;
    }
    return y;
  };

  try {
    return stock.call(this, traced, xs, dy, allowNoGradients);
  } finally {
    if (pushed) scopes.pop();
  }
};

/**
 * Wraps the engine's `gradients` once per process (`initBackend` and the cell kernels call it).
 * Costs one walk over the tape per backward pass (about 0.4 ms a step in the paper-shaped space,
 * {@link idsFromXs}).
 */
export function installGradNeeds(): void {
  const engine = tf.engine() as unknown as GradEngine;
  if (engine.gradients === wrapped) return;
  stockGradients ??= (Object.getPrototypeOf(engine) as GradEngine).gradients;
  engine.gradients = wrapped;
}

/**
 * Turns the wrapper off (TensorFlow.js's own `gradients`: every fused gradient computes
 * everything, as before) or back on — for benchmarks that compare the two in one process.
 */
export function useGradNeeds(enable: boolean): void {
  const engine = tf.engine() as unknown as GradEngine;
  if (enable) installGradNeeds();
  else if (stockGradients) engine.gradients = stockGradients;
}

/**
 * Whether the running backward pass needs the gradient of the tensor with this id: false only
 * when a pass is running and the tensor is known not to be a function of its xs.
 */
export function gradNeeded(id: number | undefined): boolean {
  const scope = scopes.at(-1);
  return scope === undefined || id === undefined || marked(scope, id);
}

/** Attribute of a fused op that lets its gradient ask {@link gradNeeded}: its inputs' tensor ids, in order. */
export interface GradIdsAttr {
  readonly gradIds?: readonly number[];
}
