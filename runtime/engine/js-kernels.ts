/**
 * Kernels written as TypeScript loops over Float32Arrays, registered with TensorFlow.js for the
 * `wasm`, `cpu` and `tensorflow` (tfjs-node) backends, each with a registered gradient kernel.
 *
 * Why: a cell step on wasm issues thousands of tiny kernel calls (32 × 16 × 16 × 4 tensors), and
 * each call costs tens of µs of engine bookkeeping plus, for reductions over the batch axes, a
 * transpose. One loop that does what a chain of 5–10 stock kernels did (a whole sign estimator,
 * a whole batch norm, a pointwise conv + batch norm, a channel permutation/sum) removes those
 * calls. On wasm the loops read and write the wasm heap in place (no copies); on other backends
 * the values are read back and a new tensor is made, which is still correct, only slower, except
 * where native-kernels.ts runs a kernel as TensorFlow's own ops on the native backend.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelChoice } from './kernel-choice.js';
import { nativeKernel } from './native-kernels.js';

/** Shapes of a kernel's float32 inputs, in the order they were passed. */
export type Shapes = readonly (readonly number[])[];

/** A kernel as plain arithmetic: output shapes from input shapes, then a fill of the outputs. */
export interface JsKernel<A> {
  readonly name: string;
  outputShapes(inputs: Shapes, attrs: A): number[][];
  /** Must write every element of every output (outputs are not zeroed on wasm). */
  compute(inputs: readonly Float32Array[], outputs: Float32Array[], shapes: Shapes, attrs: A): void;
}

/** What the kernel adapters use of the three backends (typed loosely: their classes are not exported). */
interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}
interface GenericLike {
  readSync(dataId: object): Float32Array;
  /** The cpu backend's way to wrap new values (tfjs-node has none). */
  makeTensorInfo?(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  /** Every backend's way to store new values; returns their data id. */
  write(values: Float32Array, shape: number[], dtype: 'float32'): object;
}

const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Inputs of a kernel call in order. The ops pass an array (the engine's convention for kernels
 * with a variable number of inputs, required by `saveAllInputs`), so the keys are `0`, `1`, ….
 */
function orderedInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.keys(inputs).map((k) => inputs[k] as tf.TensorInfo);
}

function kernelFunc<A>(kernel: JsKernel<A>, backendName: string): tf.KernelFunc {
  const inPlace = kernelChoice(backendName).inPlaceHeap;
  return ({ inputs, backend, attrs }) => {
    const ins = orderedInputs(inputs);
    const shapes = ins.map((t) => t.shape);
    const outShapes = kernel.outputShapes(shapes, attrs as unknown as A);
    for (const t of ins) {
      if (t.dtype !== 'float32') throw new Error(`${kernel.name}: inputs must be float32, got ${t.dtype}`);
    }
    if (inPlace) {
      const wasm = backend as unknown as WasmLike;
      // Allocate first: an allocation can grow the heap, which detaches earlier views of it.
      const infos = outShapes.map((s) => wasm.makeOutput(s, 'float32'));
      const inViews = ins.map((t) => wasm.typedArrayFromHeap(t));
      const outViews = infos.map((i) => wasm.typedArrayFromHeap(i));
      kernel.compute(inViews, outViews, shapes, attrs as unknown as A);
      return infos.length === 1 ? infos[0] : infos;
    }
    const generic = backend as unknown as GenericLike;
    const inValues = ins.map((t) => generic.readSync(t.dataId) as Float32Array);
    const outValues = outShapes.map((s) => new Float32Array(sizeOf(s)));
    kernel.compute(inValues, outValues, shapes, attrs as unknown as A);
    const infos = outShapes.map((s, i) => tensorInfo(generic, s, outValues[i]));
    return infos.length === 1 ? infos[0] : infos;
  };
}

/** Wraps new values as a kernel output on a non-wasm backend. */
function tensorInfo(backend: GenericLike, shape: number[], values: Float32Array): tf.TensorInfo {
  if (backend.makeTensorInfo) return backend.makeTensorInfo(shape, 'float32', values);
  return { dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
}

/**
 * Registers `kernel` on every backend once per process (no gradient); on a backend whose kernel
 * choice has `nativeOps`, its TensorFlow-op version where native-kernels.ts has one.
 */
export function registerJsKernel<A>(kernel: JsKernel<A>): void {
  for (const b of BACKENDS) {
    if (tf.getKernel(kernel.name, b)) continue;
    const native = kernelChoice(b).nativeOps ? nativeKernel(kernel.name) : undefined;
    tf.registerKernel({ kernelName: kernel.name, backendName: b, kernelFunc: native ?? kernelFunc(kernel, b) });
  }
}

/**
 * Registers `forward` and its gradient kernel `backward` once per process. `backward` receives
 * `[dy of each output…, every input…, the outputs marked in outputsToSave…]` and returns one
 * gradient per input, in input order.
 */
export function registerJsOp<A>(forward: JsKernel<A>, backward: JsKernel<A>, outputsToSave?: boolean[]): void {
  registerJsKernel(forward);
  registerJsKernel(backward);
  if (tf.getGradient(forward.name)) return;
  tf.registerGradient({
    kernelName: forward.name,
    saveAllInputs: true,
    outputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const grads = runJsOp(backward.name, [...dys, ...saved], attrs);
      const out: Record<string, () => tf.Tensor> = {};
      grads.forEach((g, i) => (out[String(i)] = () => g));
      return out;
    },
  });
}

/** Runs a registered JS op on tensors, in order. */
export function runJsOp(name: string, inputs: readonly tf.Tensor[], attrs: object = {}): tf.Tensor[] {
  const result = tf.engine().runKernel(name, [...inputs] as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return (Array.isArray(result) ? result : [result]) as tf.Tensor[];
}

/** Number of channels (last axis) and of pixels (all other axes) of a shape. */
export function channelsAndPixels(shape: readonly number[]): { c: number; p: number } {
  const c = shape[shape.length - 1];
  return { c, p: c > 0 ? sizeOf(shape) / c : 0 };
}
