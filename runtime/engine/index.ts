/**
 * The training engine: backend selection, custom-gradient ops (NHWC, float32), binarization
 * quantizers, the fused cell, parameter ownership and memory helpers.
 * Everything a supernet needs to train on cpu, wasm or native TensorFlow with correct gradients.
 */
export { initBackend, releaseBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo, type BackendLoaders } from './backend.js';
export { describeAdapter, type GpuAdapterInfo } from './webgpu.js';
export { sameAxis, type SameAxis } from './padding.js';
export { conv2d, imageToColumns } from './conv.js';
export { depthwiseConv2d, separableConv2d, dilateFilter, zeroInterleave } from './depthwise.js';
export { maxPool, avgPool, windowCounts } from './pool.js';
export { batchNorm, BatchNormLayer, BN_EPSILON, type BatchNormOptions } from './norm.js';
export {
  signActivation,
  signWeights,
  xnorWeights,
  quantizeWeights,
  quantizeActivations,
  REAL,
  type BinarizeOptions,
  type WeightQuantizer,
  type ActivationQuantizer,
} from './quantize.js';
export { ParamStore, initialValues, type Init, type SavedParam } from './params.js';
export { tensorCount, assertNoLeak, type LeakReport } from './memory.js';
export { depthwiseMultiplier } from './depthwise.js';
export {
  DataParallelGroup,
  averageShards,
  defaultWorkerScript,
  type Replica,
  type ReplicaFactory,
  type ShardResult,
  type DataParallelOptions,
} from './data-parallel.js';
export { FusedCell, type FusedCellOptions, type FusedCellNaming, type FusedOpEntry, type FusedOpKind } from './fused-cell.js';
export { signSte, batchNormFast, pointwiseBn, channelMix, packWeights, registerCellKernels } from './cell-kernels.js';
export { depthwiseFast } from './depthwise-fast.js';
export { registerJsKernel, registerJsOp, runJsOp, type JsKernel } from './js-kernels.js';
export { installSimdKernels, useSimdKernels, simdInUse, simdSupported } from './simd.js';
export { globalNorm, scaleAll, optimizerStep, type OptimStepAttrs } from './fused-optim.js';
export { FusedPreprocess, reluConvBn, composedReluConvBn, fusedPreprocessFits, type PreprocessKind } from './preprocess.js';
export { useZeroCopyIdentity, useSharedSaves, sharedSavesInUse, installGradNeeds, useGradNeeds, gradNeeded, PATCHED_TFJS_VERSION } from './tfjs-patches.js';
export { maxPoolGradRouted, bypassPool } from './pool.js';
