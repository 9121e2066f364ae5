/**
 * Which implementation each engine kernel takes on the active backend: the one place in the
 * engine that branches on the backend's name (docs/design.md, "Backends and kernels").
 *
 * - `wasm`: the loop kernels read and write the wasm heap in place, and most have SIMD versions
 *   (simd.ts decides those from the module's state, not from the backend name).
 * - `cpu`: the loop kernels copy values in and out; the composed stock ops are the reference.
 * - `tensorflow` (tfjs-node): the loop kernels copy through the native tensor store, so composed
 *   stock ops run where TensorFlow has a fast kernel, and the sign estimator and the batch norms
 *   run as TensorFlow's own ops (native-kernels.ts: Less/Select, FusedBatchNormV3 and its
 *   gradient); TensorFlow's CPU depthwise kernels take no dilation, so dilated filters are spread
 *   with zeros instead.
 * - `webgpu`: values live on the GPU and cannot be read back synchronously, so no loop kernel can
 *   run: every fused op is composed of stock ops (the sign estimators through `tf.customGrad`),
 *   which the backend runs as its own WGSL shaders.
 */
import * as tf from '@tensorflow/tfjs';

/** The implementation of each backend-dependent kernel. */
export interface KernelChoice {
  /** The fused 1×1 pre-processing op (ReLU, conv, batch norm in loop kernels) instead of the composed stock ops. */
  readonly fusedPreprocess: boolean;
  /** A stride-2 pre-processing filter gradient from the strided rows (wasm's fast path). */
  readonly stridedPrepFilterGrad: boolean;
  /** The conv filter gradient as one loop kernel instead of im2col and a matrix product. */
  readonly loopConvFilterGrad: boolean;
  /** The max-pool gradient as one loop kernel instead of the shifted stock MaxPoolGrad. */
  readonly loopMaxPoolGrad: boolean;
  /** The backend's depthwise kernels accept a dilation (else the filter is spread with zeros). */
  readonly dilatedDepthwise: boolean;
  /**
   * The stock AvgPoolGrad divides by k² everywhere, padding counted (tfjs's own backends), so dy is
   * rescaled by k²/count first; TensorFlow's divides by the count without padding, as the forward.
   */
  readonly avgPoolGradCountsPadding: boolean;
  /**
   * A saved tensor may share its buffer through the backend's reference count (tfjs-patches.ts,
   * shared saves): the backends whose reference counting that relies on.
   */
  readonly sharedSaves: boolean;
  /** The SIMD kernels of simd/kernels.c can run: they read and write this backend's wasm heap. */
  readonly simdKernels: boolean;
  /** Loop kernels read and write the backend's heap in place (else they copy values in and out). */
  readonly inPlaceHeap: boolean;
  /**
   * The loop kernels of js-kernels.ts can run at all (they read values synchronously); else every
   * fused op (sign, batch norm, pointwise conv, channel mix, weight packing, pools, depthwise, the
   * optimizer step) takes its composed stock-op form.
   */
  readonly loopKernels: boolean;
  /**
   * The kernels native-kernels.ts has (sign with its estimator, the batch norms) run as the
   * backend's own TensorFlow ops instead of loop kernels: tfjs-node's TensorFlow eager ops.
   */
  readonly nativeOps: boolean;
  /**
   * Channel concatenation as the channel-mix kernel (channel-mix.ts), whose gradient is one kernel
   * too, instead of the stock Concat, whose gradient slices every part out of the channel axis.
   */
  readonly loopConcat: boolean;
  /**
   * A matrix product with a transposed operand is as fast as a plain one (TensorFlow's), so the
   * dense conv gradients pass the transpose flag instead of transposing first (wasm's transposed
   * products are several times slower than a transpose and a plain product).
   */
  readonly transposedMatMul: boolean;
}

const WASM: KernelChoice = {
  fusedPreprocess: true,
  stridedPrepFilterGrad: true,
  loopConvFilterGrad: true,
  loopMaxPoolGrad: true,
  dilatedDepthwise: true,
  avgPoolGradCountsPadding: true,
  sharedSaves: true,
  simdKernels: true,
  inPlaceHeap: true,
  loopKernels: true,
  nativeOps: false,
  loopConcat: true,
  transposedMatMul: false,
};
const COMPOSED: KernelChoice = {
  fusedPreprocess: false,
  stridedPrepFilterGrad: false,
  loopConvFilterGrad: false,
  loopMaxPoolGrad: false,
  dilatedDepthwise: true,
  avgPoolGradCountsPadding: true,
  sharedSaves: false,
  simdKernels: false,
  inPlaceHeap: false,
  loopKernels: true,
  nativeOps: false,
  loopConcat: false,
  transposedMatMul: false,
};

/** Per backend name; a backend not listed gets the composed stock ops. */
const CHOICES: Readonly<Record<string, KernelChoice>> = {
  wasm: WASM,
  cpu: { ...COMPOSED, sharedSaves: true },
  tensorflow: { ...COMPOSED, dilatedDepthwise: false, avgPoolGradCountsPadding: false, nativeOps: true, transposedMatMul: true },
  webgpu: { ...COMPOSED, loopKernels: false },
};

/** The kernel choice of a backend (default: the active one). */
export function kernelChoice(backend: string = tf.getBackend()): KernelChoice {
  return CHOICES[backend] ?? COMPOSED;
}
