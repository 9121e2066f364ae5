/**
 * Saving a tensor for the backward pass without a kernel call or a tape node.
 *
 * TensorFlow.js saves every tensor a gradient needs through `Engine.clone`: an Identity kernel
 * call plus a tape node (recorded so that gradients of gradients could flow through the saved
 * copy). A one-op-per-edge search step saved ~890 tensors that way (counted at 05:00Z 2026-11-26:
 * 886 Identity calls and 833 of its 1,306 tape nodes), a large part of the
 * step's "outside kernels" time (bench/search/profile.ts). The search differentiates once (first
 * order, no gradient of a gradient), so the saved copy needs no tape node; and tensors are
 * immutable (kernels write fresh outputs, a variable's `assign` swaps buffers), so the copy can
 * share the buffer: a new handle on the same data with the backend's reference count raised —
 * exactly what the zero-copy Identity (identity.ts) and cpu's Identity return, minus the kernel
 * dispatch and the tape node. Only on the wasm and cpu backends, whose reference counting this
 * relies on; elsewhere (native TensorFlow) the stock clone runs.
 */
import * as tf from '@tensorflow/tfjs';

interface TensorInfoLike {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: tf.DataType;
}

/** The part of the engine this patches (internal methods, typed loosely). */
interface CloningEngine {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: TensorInfoLike, backend?: unknown): tf.Tensor;
  readonly backend: { incRef(dataId: object): void };
  readonly backendName: string;
  readonly state: { readonly tensorInfo: { get(dataId: object): { backend: unknown } | undefined } };
}

const SHARING_BACKENDS = new Set(['wasm', 'cpu']);

let stockClone: ((x: tf.Tensor) => tf.Tensor) | undefined;

/** A new handle on x's data (reference counted), no kernel, no tape node; the stock clone off wasm/cpu. */
function sharedClone(this: CloningEngine, x: tf.Tensor): tf.Tensor {
  const info = this.state.tensorInfo.get(x.dataId);
  if (!SHARING_BACKENDS.has(this.backendName) || !info || info.backend !== this.backend || x.dtype === 'string' || x.dtype === 'complex64') {
    return (stockClone as (x: tf.Tensor) => tf.Tensor).call(this, x);
  }
  this.backend.incRef(x.dataId);
  return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, this.backend);
}

/**
 * Turns the shared saves on (`initBackend` does) or back to TensorFlow.js's clone (benchmarks of
 * the straightforward setup, tests). Process-wide: the engine is one per process.
 */
export function useSharedSaves(enable: boolean): void {
  const engine = tf.engine() as unknown as CloningEngine;
  stockClone ??= (Object.getPrototypeOf(engine) as CloningEngine).clone;
  if (enable) engine.clone = sharedClone;
  else delete (engine as Partial<CloningEngine>).clone;
}

/** Whether saved tensors share their data (no Identity call, no tape node). */
export function sharedSavesInUse(): boolean {
  return (tf.engine() as unknown as CloningEngine).clone === sharedClone;
}
