/**
 * Binarization as quantizers in front of ordinary convs, with the clipped straight-through
 * estimators of docs/method.md, "Binarization". `sign` has a zero gradient in
 * TensorFlow.js, so every estimator is a `tf.customGrad`. sign(0) = +1 everywhere.
 */
import * as tf from '@tensorflow/tfjs';

/** Weight quantizer: XNOR-Net scaled sign, plain sign, or none (real weights). */
export type WeightQuantizer = 'xnor' | 'sign' | 'none';
/** Activation quantizer: sign, or real (identity). */
export type ActivationQuantizer = 'sign' | 'real';

/**
 * The share λ ∈ [0, 1] of the binary value in every quantizer of a network during progressive
 * binarization (docs/method.md, "Progressive binarization"): the network's owner sets `lambda`
 * before each forward pass; the quantizers read it when they run.
 */
export interface Blend {
  lambda: number;
}

/** How a candidate op's convs are binarized. Same field names as the `binarize` block. */
export interface BinarizeOptions {
  readonly weights: WeightQuantizer;
  /** Scale of `xnor`: one per layer, or one per output channel. */
  readonly scale: 'layer' | 'channel';
  readonly activations: ActivationQuantizer;
  /** Progressive binarization: the quantizers blend the real and binary values; absent: λ = 1. */
  readonly blend?: Readonly<Blend>;
}

/** Full precision: no quantizer. */
export const REAL: BinarizeOptions = { weights: 'none', scale: 'layer', activations: 'real' };

/**
 * sign with sign(0) = +1, as −step(−x, −1) (x < 0 → −1, else +1). Not built on `tf.sign`:
 * wasm's Sign returns 0 for tiny magnitudes (|x| ≈ 1e-8), which would flip their sign.
 */
function signPlusOne(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.step(tf.neg(x), -1));
}

/** 1[|x| ≤ 1] as float32. */
function clipMask(x: tf.Tensor): tf.Tensor {
  return tf.cast(tf.lessEqual(tf.abs(x), 1), 'float32');
}

/**
 * Activation sign with the clipped straight-through estimator: b = sign(x),
 * ∂L/∂x = ∂L/∂b · 1[|x| ≤ 1].
 * @param x any shape, float32
 * @returns same shape, float32, values ±1
 */
export function signActivation<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((xi, save) => {
    const xt = xi as tf.Tensor;
    (save as tf.GradSaveFunc)([xt]);
    return {
      value: signPlusOne(xt),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, clipMask(saved[0])),
    };
  });
  return op(x) as T;
}

/**
 * Weight sign with the clipped straight-through estimator: Ŵ = sign(W),
 * ∂L/∂W = ∂L/∂Ŵ · 1[|W| ≤ 1].
 * @param w any shape, float32
 * @returns same shape, float32, values ±1
 */
export function signWeights<T extends tf.Tensor>(w: T): T {
  // Same estimator as activations; a separate name keeps call sites self-describing.
  return signActivation(w);
}

/**
 * XNOR-Net weights: Ŵ = a · sign(W), a = mean|W| over the whole tensor (`layer`) or over all
 * axes but `channelAxis` (`channel`). Backward as docs/method.md, "Weights":
 * ∂L/∂W = ∂L/∂Ŵ · (1/n + a · 1[|W| ≤ 1]), n = number of weights sharing a.
 * @param w filter, any rank, float32 (conv: [k, k, Ci, Co]; depthwise: [k, k, C, 1])
 * @param channelAxis axis of output channels for `channel` scale (default: last; depthwise: 2)
 * @returns same shape, float32
 */
export function xnorWeights<T extends tf.Tensor>(w: T, scale: 'layer' | 'channel' = 'layer', channelAxis = w.rank - 1): T {
  const axes = scale === 'layer' ? undefined : Array.from({ length: w.rank }, (_, i) => i).filter((i) => i !== channelAxis);
  const n = scale === 'layer' ? w.size : w.shape[channelAxis] > 0 ? w.size / w.shape[channelAxis] : 1;
  const op = tf.customGrad((wi, save) => {
    const wt = wi as tf.Tensor;
    const a = tf.mean(tf.abs(wt), axes, true);
    (save as tf.GradSaveFunc)([wt, a]);
    return {
      value: tf.mul(a, signPlusOne(wt)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ws, as] = saved;
        return tf.mul(dy, tf.add(1 / n, tf.mul(as, clipMask(ws))));
      },
    };
  });
  return op(w) as T;
}

/**
 * λ of `options` (1 without a blend): below 1 the quantizers compute (1 − λ)·real + λ·binary.
 * @throws when λ is outside [0, 1]
 */
export function blendLambda(options: BinarizeOptions): number {
  const lambda = options.blend?.lambda ?? 1;
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`progressive binarization: λ = ${lambda} is outside [0, 1]`);
  return lambda;
}

/** `options` without a blend: the fully binary quantizers. */
export function unblended(options: BinarizeOptions): BinarizeOptions {
  return { weights: options.weights, scale: options.scale, activations: options.activations };
}

/**
 * (1 − λ)·real + λ·binary (docs/method.md, "Progressive binarization"). The gradient is
 * (1 − λ)·∂real + λ·∂binary: the binary part brings its straight-through estimator.
 * @param real, binary same shape, float32
 */
export function blendValues<T extends tf.Tensor>(real: T, binary: T, lambda: number): T {
  return tf.tidy(() => tf.add(tf.mul(real, 1 - lambda), tf.mul(binary, lambda)) as T);
}

/**
 * Applies the weight quantizer of `options`, blended with the real weights while λ < 1.
 * @param w filter, float32
 * @param channelAxis output-channel axis for per-channel scale
 */
export function quantizeWeights<T extends tf.Tensor>(w: T, options: BinarizeOptions, channelAxis = w.rank - 1): T {
  const lambda = blendLambda(options);
  if (lambda < 1 && options.weights !== 'none') return blendValues(w, quantizeWeights(w, unblended(options), channelAxis), lambda);
  switch (options.weights) {
    case 'xnor':
      return xnorWeights(w, options.scale, channelAxis);
    case 'sign':
      return signWeights(w);
    case 'none':
      return w;
  }
}

/**
 * Applies the activation quantizer of `options` to a conv input. While λ < 1 the sign is blended
 * with the input the real network's conv sees: ReLU(x) where a ReLU comes before the conv
 * (`afterRelu`; with `activations = sign` the op table leaves that ReLU out), else x.
 * @param afterRelu the real network has a ReLU in front of this conv (the first conv of an op unit)
 */
export function quantizeActivations<T extends tf.Tensor>(x: T, options: BinarizeOptions, afterRelu = false): T {
  if (options.activations !== 'sign') return x;
  const lambda = blendLambda(options);
  if (lambda >= 1) return signActivation(x);
  return tf.tidy(() => blendValues(afterRelu ? tf.relu(x) : x, signActivation(x), lambda));
}
