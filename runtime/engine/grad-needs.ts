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

/** Ids of the tensors that are functions of xs, one set per running backward pass (innermost last). */
const scopes: Set<number>[] = [];

/** Every tensor id reachable from xs along the tape (which is in execution order). */
function idsFromXs(tape: readonly TapeNodeLike[], xs: readonly tf.Tensor[]): Set<number> {
  const ids = new Set(xs.map((x) => x.id));
  for (const node of tape) {
    for (const name in node.inputs) {
      if (ids.has(node.inputs[name].id)) {
        for (const o of node.outputs) ids.add(o.id);
        break;
      }
    }
  }
  return ids;
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
 * Costs one walk over the tape per backward pass (hundreds of nodes: microseconds).
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
  return scope === undefined || id === undefined || scope.has(id);
}

/** Attribute of a fused op that lets its gradient ask {@link gradNeeded}: its inputs' tensor ids, in order. */
export interface GradIdsAttr {
  readonly gradIds?: readonly number[];
}
