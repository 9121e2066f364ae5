/**
 * Every patch of TensorFlow.js internals in the engine, in one place, written against the one
 * version of TensorFlow.js that package.json pins ({@link PATCHED_TFJS_VERSION}); a unit test
 * (tfjs-patches.test.ts) fails when the installed packages are another version, so that an
 * upgrade re-reads these patches first. Each patch can be switched off to get TensorFlow.js's own
 * behaviour back (benchmarks and tests compare both).
 *
 * 1. A zero-copy `Identity` kernel for the wasm backend ({@link useZeroCopyIdentity}).
 *    TensorFlow.js clones every tensor a gradient saves for the backward pass (`Engine.clone` →
 *    Identity), and the wasm backend's Identity copies the whole buffer, while the cpu backend's
 *    only adds a reference. Tensors are immutable (kernels always write fresh outputs; a
 *    variable's `assign` swaps buffers), so sharing the buffer is safe, and it is what wasm's own
 *    Reshape already does. The copies were a tenth of a fused cell step, plus the garbage they made.
 *
 * 2. Saving a tensor for the backward pass without a kernel call or a tape node
 *    ({@link useSharedSaves}). TensorFlow.js saves every tensor a gradient needs through
 *    `Engine.clone`: an Identity kernel call plus a tape node (recorded so that gradients of
 *    gradients could flow through the saved copy); a one-op-per-edge search step saved hundreds
 *    of tensors that way, a large part of the step's time outside kernels. The search
 *    differentiates once (first order, no gradient of a gradient), so the saved copy needs no tape
 *    node; and since tensors are immutable the copy can share the buffer: a new handle on the same
 *    data with the backend's reference count raised, exactly what the zero-copy Identity and cpu's
 *    Identity return, minus the kernel dispatch and the tape node. Only on the backends whose
 *    reference counting this relies on (kernel-choice.ts, `sharedSaves`); elsewhere (native
 *    TensorFlow) the stock clone runs.
 *
 * 3. Which inputs of a kernel the running backward pass differentiates ({@link gradNeeded}).
 *    TensorFlow.js calls a gradient's per-input closure only for inputs on a path from the
 *    differentiated tensors (xs), but a fused kernel whose backward computes several gradients in
 *    one pass (pointwise + BN: input and filter; the channel mix: maps and coefficients) does all
 *    of them when the first closure runs. The search's architecture step differentiates α and β
 *    only, so the packed filters are not on the path; its weight step differentiates the weights
 *    only, so the mixes' coefficients (softmax of α, β) are not. Knowing that, a kernel can run
 *    the one pass it needs, with the very same arithmetic for what it computes (bit-identical
 *    values). How: `Engine.gradients` (behind tf.grads / tf.variableGrads) is wrapped so that,
 *    once the forward function has recorded the tape, the ids of every tensor that is a function
 *    of xs are known (the forward half of TensorFlow.js's own tape filter) until the backward pass
 *    is over. A kernel's op passes its inputs' tensor ids in its attributes (`gradIds`) and its
 *    gradient asks {@link gradNeeded}. Outside such a pass, or for an unknown id, the answer is
 *    "needed", so behaviour can only fall back to computing everything.
 *
 * 4. AddN on the webgpu backend in chunks ({@link chunkWebgpuAddN}). Its AddN kernel binds every
 *    input as a storage buffer, and a device gets 8 storage buffers per shader stage unless it asks
 *    for more (tfjs-backend-webgpu does not), so an AddN of 8 or more tensors fails validation (its
 *    output is then garbage). The patched kernel adds at most 7 inputs at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelChoice } from './kernel-choice.js';

/** The TensorFlow.js version (tfjs, tfjs-core, tfjs-backend-wasm, tfjs-node) these patches are written against. */
export const PATCHED_TFJS_VERSION = '4.22.0';

// ---------------------------------------------------------------- 1. zero-copy Identity (wasm)

interface RefCounting {
  incRef(dataId: object): void;
}

let stock: tf.KernelConfig | undefined;

const zeroCopy: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  (backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Switches the wasm backend's Identity kernel between the zero-copy version (`true`, installed by
 * `initBackend`) and the stock copying one (`false`, e.g. to benchmark the straightforward setup).
 * A no-op when the wasm backend is not registered.
 */
export function useZeroCopyIdentity(enable: boolean): void {
  const current = tf.getKernel('Identity', 'wasm');
  if (!current) return;
  if (!stock) stock = current;
  const want = enable ? zeroCopy : stock.kernelFunc;
  if (current.kernelFunc === want) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: want });
}

// ---------------------------------------------------------------- 2. shared saves

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

let stockClone: ((x: tf.Tensor) => tf.Tensor) | undefined;

/** A new handle on x's data (reference counted), no kernel, no tape node; the stock clone where the backend's reference counting is not known to allow it. */
function sharedClone(this: CloningEngine, x: tf.Tensor): tf.Tensor {
  const info = this.state.tensorInfo.get(x.dataId);
  if (!kernelChoice(this.backendName).sharedSaves || !info || info.backend !== this.backend || x.dtype === 'string' || x.dtype === 'complex64') {
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

// ---------------------------------------------------------------- 3. which inputs a backward pass needs

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
 * Every tensor reachable from xs along the tape (which is in execution order). A bitmap and
 * indexed inputs, because this walk runs once per backward pass and a Set with for-in over the
 * inputs cost half as much again.
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
 * Costs one walk over the tape per backward pass ({@link idsFromXs}).
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

// ---------------------------------------------------------------- 4. AddN in chunks (webgpu)

/** Inputs one webgpu AddN may take: 8 storage buffers a stage, one of them the output. */
const ADDN_MAX_INPUTS = 7;
let chunked: tf.KernelFunc | undefined;

/** Makes the webgpu backend's AddN add at most 7 inputs a kernel call (a no-op when webgpu is not registered). */
export function chunkWebgpuAddN(): void {
  const current = tf.getKernel('AddN', 'webgpu');
  if (!current || current.kernelFunc === chunked) return;
  const stockAddN = current.kernelFunc;
  chunked = (args) => {
    const ins = Object.values(args.inputs) as tf.TensorInfo[];
    if (ins.length <= ADDN_MAX_INPUTS) return stockAddN(args);
    const backend = args.backend as unknown as { disposeData(dataId: object): void };
    let parts = ins;
    const made: tf.TensorInfo[] = [];
    while (parts.length > ADDN_MAX_INPUTS) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < parts.length; i += ADDN_MAX_INPUTS) {
        const group = parts.slice(i, i + ADDN_MAX_INPUTS);
        if (group.length === 1) {
          next.push(group[0]);
          continue;
        }
        const sum = stockAddN({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        made.push(sum);
        next.push(sum);
      }
      parts = next;
    }
    const out = stockAddN({ ...args, inputs: parts as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (const t of made) backend.disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ kernelName: 'AddN', backendName: 'webgpu', kernelFunc: chunked });
}
