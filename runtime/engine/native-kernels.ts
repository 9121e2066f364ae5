/**
 * The sign estimator, ReLU and the batch norms of sign-norm-kernels.ts and the depthwise filter
 * gradient of depthwise-simd.ts as TensorFlow's own ops, for the native backend (tfjs-node; kernel-choice.ts, `nativeOps`): there a loop kernel copies its inputs
 * out of TensorFlow's tensor store and its outputs back, and a stock-op composition pays one eager
 * op per element-wise step, while TensorFlow has a fused batch norm with a fused gradient
 * (FusedBatchNormV3 / FusedBatchNormGradV3) and sign is two ops (Less, SelectV2). Same kernel
 * names, inputs, outputs and values as the loop kernels (docs/design.md, "Backends and kernels").
 */
import * as tf from '@tensorflow/tfjs';

/** What these kernels use of tfjs-node's backend (its class is not exported). */
interface NativeLike {
  readonly binding: {
    readonly TF_FLOAT: number;
    readonly TF_ATTR_TYPE: number;
    readonly TF_ATTR_FLOAT: number;
    readonly TF_ATTR_STRING: number;
    readonly TF_ATTR_BOOL: number;
    readonly TF_ATTR_INT: number;
  };
  executeSingleOutput(name: string, attrs: NativeAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: NativeAttr[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
}
interface NativeAttr {
  readonly name: string;
  readonly type: number;
  readonly value: unknown;
}

/** The type attributes of a float32 op (`T`, and `U` for the batch norms' statistics). */
function floatAttrs(b: NativeLike, names: readonly string[]): NativeAttr[] {
  return names.map((name) => ({ name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }));
}

/** FusedBatchNormV3's and FusedBatchNormGradV3's attributes in training mode (batch statistics). */
function bnAttrs(b: NativeLike, epsilon: number): NativeAttr[] {
  return [
    ...floatAttrs(b, ['T', 'U']),
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: true },
  ];
}

/** x as NHWC: itself at rank 4, else [1, 1, P, C] (the fused batch norm takes rank 4; statistics over all axes but the last). */
function asNhwc(x: tf.TensorInfo): tf.TensorInfo {
  if (x.shape.length === 4) return x;
  const c = x.shape[x.shape.length - 1];
  return tf.reshape(x as tf.Tensor, [1, 1, -1, c]);
}

/**
 * Batch norm in training mode: y = γ·x̂ + β with the batch's mean μ and biased variance σ²
 * (FusedBatchNormV3's reserve spaces; its `batch_variance` output is Bessel-corrected).
 * @returns [y (x's shape), μ [C], σ² [C]]
 */
function fusedForward(b: NativeLike, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const empty = tf.zeros([0]);
  const out = b.executeMultipleOutputs('FusedBatchNormV3', bnAttrs(b, epsilon), [asNhwc(x), gamma, beta, empty, empty], 6);
  return [x.shape.length === 4 ? out[0] : tf.reshape(out[0], x.shape), out[3], out[4]];
}

/** FusedBatchNormGradV3: [dx (x's shape), dγ, dβ] for batch statistics μ, σ². */
function fusedBackward(b: NativeLike, dy: tf.TensorInfo, x: tf.TensorInfo, gamma: tf.TensorInfo, mean: tf.TensorInfo, variance: tf.TensorInfo, epsilon: number): tf.Tensor[] {
  const out = b.executeMultipleOutputs('FusedBatchNormGradV3', bnAttrs(b, epsilon), [asNhwc(dy), asNhwc(x), gamma, mean, variance, tf.zeros([0])], 5);
  return [x.shape.length === 4 ? out[0] : tf.reshape(out[0], x.shape), out[1], out[2]];
}

/** A kernel call's inputs in order (the ops pass an array: keys `0`, `1`, …). */
function ordered(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.values(inputs) as tf.TensorInfo[];
}

const kernels: Readonly<Record<string, tf.KernelFunc>> = {
  /** sign(x) with sign(0) = +1: SelectV2(x < 0, −1, +1). */
  BnasSign: ({ inputs, backend }) => {
    const b = backend as unknown as NativeLike;
    const t = floatAttrs(b, ['T']);
    const [x] = ordered(inputs);
    return tf.tidy(() => b.executeSingleOutput('SelectV2', t, [b.executeSingleOutput('Less', t, [x, tf.scalar(0)]), tf.scalar(-1), tf.scalar(1)]));
  },
  /** Inputs dy, x: dy·1[|x| ≤ 1] as SelectV2(|x| ≤ 1, dy, 0). */
  BnasSignGrad: ({ inputs, backend }) => {
    const b = backend as unknown as NativeLike;
    const t = floatAttrs(b, ['T']);
    const [dy, x] = ordered(inputs);
    return tf.tidy(() => {
      const inside = b.executeSingleOutput('LessEqual', t, [b.executeSingleOutput('Abs', t, [x]), tf.scalar(1)]);
      return b.executeSingleOutput('SelectV2', t, [inside, dy, tf.scalar(0)]);
    });
  },
  BnasRelu: ({ inputs, backend }) => {
    const b = backend as unknown as NativeLike;
    return b.executeSingleOutput('Relu', floatAttrs(b, ['T']), ordered(inputs));
  },
  /** Inputs dy, x: dy·1[x > 0]. */
  BnasReluGrad: ({ inputs, backend }) => {
    const b = backend as unknown as NativeLike;
    return b.executeSingleOutput('ReluGrad', floatAttrs(b, ['T']), ordered(inputs));
  },
  /**
   * Inputs x, dy: the filter gradient of a 'same' depthwise conv, channel multiplier 1 (the
   * engine's padding is TensorFlow's SAME). TensorFlow's CPU kernel takes no dilation: the native
   * backend's dilated depthwise convs spread their filter instead (depthwise-fast.ts).
   */
  BnasDepthwiseFilterGrad: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as NativeLike;
    const { k, stride, dilation } = attrs as unknown as { k: number; stride: number; dilation: number };
    if (dilation !== 1) throw new Error(`BnasDepthwiseFilterGrad: TensorFlow's CPU kernel takes no dilation (got ${dilation})`);
    const [x, dy] = ordered(inputs);
    const opAttrs: NativeAttr[] = [
      ...floatAttrs(b, ['T']),
      { name: 'strides', type: b.binding.TF_ATTR_INT, value: [1, stride, stride, 1] },
      { name: 'padding', type: b.binding.TF_ATTR_STRING, value: 'SAME' },
      { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
      { name: 'dilations', type: b.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
    ];
    return tf.tidy(() => b.executeSingleOutput('DepthwiseConv2dNativeBackpropFilter', opAttrs, [x, tf.tensor1d([k, k, x.shape[3], 1], 'int32'), dy]));
  },
  /** Batch norm without affine terms: outputs y and rstd = 1/√(σ² + ε). */
  BnasBatchNorm: ({ inputs, backend, attrs }) => {
    const b = backend as unknown as NativeLike;
    const { epsilon } = attrs as unknown as { epsilon: number };
    const [x] = ordered(inputs);
    const c = x.shape[x.shape.length - 1];
    return tf.tidy(() => {
      const [y, , variance] = fusedForward(b, x, tf.ones([c]), tf.zeros([c]), epsilon);
      return [y, tf.rsqrt(tf.add(variance, epsilon))];
    });
  },
  /**
   * Inputs dy, d(rstd) (unused), x, y, rstd: dx = rstd·(dy − mean(dy) − ŷ·mean(dy·ŷ)), the fused
   * gradient of a batch norm of ŷ (batch mean 0, variance 1, ε = 0) with scale rstd.
   */
  BnasBatchNormGrad: ({ inputs, backend }) => {
    const b = backend as unknown as NativeLike;
    const [dy, , , y, rstd] = ordered(inputs);
    const c = y.shape[y.shape.length - 1];
    return tf.tidy(() => fusedBackward(b, dy, y, rstd, tf.zeros([c]), tf.ones([c]), 0)[0]);
  },
  /** Inputs x, γ, β: outputs y, μ, σ² (see {@link fusedForward}). */
  BnasBatchNormTrain: ({ inputs, backend, attrs }) => {
    const { epsilon } = attrs as unknown as { epsilon: number };
    const [x, gamma, beta] = ordered(inputs);
    return tf.tidy(() => fusedForward(backend as unknown as NativeLike, x, gamma, beta, epsilon));
  },
  /** Inputs dy, dμ, dσ² (unused), x, γ, β, μ, σ²: outputs dx, dγ, dβ. */
  BnasBatchNormTrainGrad: ({ inputs, backend, attrs }) => {
    const { epsilon } = attrs as unknown as { epsilon: number };
    const [dy, , , x, gamma, , mean, variance] = ordered(inputs);
    return tf.tidy(() => fusedBackward(backend as unknown as NativeLike, dy, x, gamma, mean, variance, epsilon));
  },
};

/** The TensorFlow-op version of loop kernel `name`, if there is one. */
export function nativeKernel(name: string): tf.KernelFunc | undefined {
  return kernels[name];
}
