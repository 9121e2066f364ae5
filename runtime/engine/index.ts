/**
 * The training engine: backend selection, custom-gradient ops (NHWC, float32), binarization
 * quantizers, candidate-op builders, parameter ownership and memory helpers.
 * Everything a supernet needs to train on cpu, wasm or native TensorFlow with correct gradients.
 */
export { initBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo, type BackendLoaders } from './backend.js';
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
export {
  buildCandidateOp,
  candidateSpecOf,
  binaryConv2d,
  binaryDepthwiseConv2d,
  zeroOp,
  ConvBn,
  FactorizedReduce,
  type CandidateKind,
  type CandidateSpec,
  type CandidateOptions,
  type CandidateOp,
} from './candidate-ops.js';
export { ParamStore, initialValues, type Init, type SavedParam } from './params.js';
export { SeededRandom, hashString } from './rng.js';
export { tensorCount, assertNoLeak, DisposableGroup, type Disposable, type LeakReport } from './memory.js';
export { FusedMixedOp, type FusedOpEntry, type FusedEdgeOptions } from './fused-edge.js';
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
export { PartialChannels } from './partial-channels.js';
export { FusedCell, type FusedCellOptions, type FusedCellNaming } from './fused-cell.js';
export { FusedSgd, type FusedSgdOptions } from './fused-sgd.js';
export { signSte, batchNormFast, pointwiseBn, channelMix, packWeights, registerCellKernels } from './cell-kernels.js';
export { depthwiseFast } from './depthwise-fast.js';
export { registerJsKernel, registerJsOp, runJsOp, type JsKernel } from './js-kernels.js';
export { useZeroCopyIdentity } from './identity.js';
export { installSimdKernels, useSimdKernels, simdInUse, simdSupported } from './simd.js';
export { globalNorm, scaleAll, optimizerStep, type OptimStepAttrs } from './fused-optim.js';
export { FusedPreprocess, reluConvBn, composedReluConvBn, fusedPreprocessFits, type PreprocessKind } from './preprocess.js';
export { useSharedSaves, sharedSavesInUse } from './saved-tensors.js';
export { maxPoolGradRouted } from './pool.js';
