/**
 * The ops of the fast cell path on loop kernels (see js-kernels.ts for why they are loops), one
 * family a file: sign with its clipped straight-through estimator, batch norm without affine
 * terms and the training batch norm with affine terms and batch statistics (sign-norm-kernels.ts;
 * on the native backend TensorFlow's own ops, native-kernels.ts), a (sign →) grouped pointwise conv → batch norm unit
 * (pointwise-kernels.ts), a general weighted channel gather-sum (channel-mix.ts: partial
 * channels, tiling, op mixing, edge weights, bypass, shuffle, concatenation, all one kernel), and
 * weight packing with the XNOR/sign quantizers of many layers at once (pack-kernels.ts). Layout
 * NHWC; "pixels" P = B·H·W, channels are the last axis.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON } from './epsilon.js';
import { registerJsOp, runJsOp } from './js-kernels.js';
import { installGradNeeds } from './tfjs-patches.js';
import { simdInUse } from './simd.js';
import { batchNormComposed, channelMixComposed, packComposed, pointwiseBnComposed } from './composed-kernels.js';
import { kernelChoice } from './kernel-choice.js';
import { blendLambda, quantizeActivations, signActivation, type BinarizeOptions } from './quantize.js';
import { registerChannelMix, type MixAttrs } from './channel-mix.js';
import { packBackward, packForward, packManyBackward, packManyForward, type PackAttrs, type PackManyAttrs } from './pack-kernels.js';
import { registerPointwiseBn, simdWide, WIDE_GROUP, type PointwiseAttrs } from './pointwise-kernels.js';
import { bnBackward, bnForward, bnTrainBackward, bnTrainForward, reluBackward, reluForward, signBackward, signForward } from './sign-norm-kernels.js';

let registered = false;

/** Registers the kernels and their gradients (once per process / worker). */
export function registerCellKernels(): void {
  if (registered) return;
  installGradNeeds();
  registerJsOp(signForward, signBackward);
  registerJsOp(reluForward, reluBackward);
  registerJsOp(bnForward, bnBackward, [true, true]);
  registerJsOp(bnTrainForward, bnTrainBackward, [false, true, true]);
  registerPointwiseBn();
  registerChannelMix();
  registerJsOp(packForward, packBackward);
  registerJsOp(packManyForward, packManyBackward);
  registered = true;
}

// ---------------------------------------------------------------- ops

/**
 * sign(x) with sign(0) = +1 and the clipped straight-through estimator ∂L/∂x = ∂L/∂b·1[|x| ≤ 1]
 * (same values and gradient as {@link signActivation}, one kernel each way).
 * @param x any shape, float32
 * @returns same shape, float32, ±1
 */
export function signSte<T extends tf.Tensor>(x: T): T {
  if (!kernelChoice().loopKernels) return signActivation(x);
  registerCellKernels();
  return runJsOp('BnasSign', [x])[0] as T;
}

/**
 * ReLU: on the native backend TensorFlow's Relu and ReluGrad (tfjs's ReLU gradient there is a
 * Step of six TensorFlow ops and a product); elsewhere the stock op.
 * @param x any shape, float32
 */
export function reluFast<T extends tf.Tensor>(x: T): T {
  if (!kernelChoice().nativeOps) return tf.relu(x);
  registerCellKernels();
  return runJsOp('BnasRelu', [x])[0] as T;
}

/**
 * Batch norm without affine terms, batch statistics (same as {@link batchNorm}), one kernel each way.
 * @param x shape [..., C], float32 (statistics over all axes but the last)
 * @returns same shape, float32
 */
export function batchNormFast<T extends tf.Tensor>(x: T, epsilon = BN_EPSILON): T {
  if (!kernelChoice().loopKernels) return batchNormComposed(x, epsilon);
  registerCellKernels();
  return runJsOp('BnasBatchNorm', [x], { epsilon })[0] as T;
}

/**
 * Training batch norm with affine terms: y = γ·x̂ + β, x̂ normalised with the batch's statistics
 * (same values and gradients as {@link batchNormComposed} followed by the affine terms), one
 * kernel each way.
 * @param x shape [..., C], float32 (statistics over all axes but the last)
 * @param gamma, beta shape [C], float32
 * @returns y (x's shape) and the batch's mean and biased variance ([C], for running statistics; not differentiated)
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, epsilon = BN_EPSILON): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (!kernelChoice().loopKernels) {
    return tf.tidy(() => {
      // The statistics are computed beside the normalisation, not taken from inside it: what a
      // custom gradient's forward pass makes and does not return is disposed when it ends.
      const axes = [0, 1, 2];
      const mean = tf.mean(x, axes) as tf.Tensor1D;
      const variance = tf.mean(tf.square(tf.sub(x, mean)), axes) as tf.Tensor1D;
      const xhat = batchNormComposed(x, epsilon);
      return { y: tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor4D, mean, variance };
    });
  }
  registerCellKernels();
  const [y, mean, variance] = runJsOp('BnasBatchNormTrain', [x, gamma, beta], { epsilon });
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * {@link quantizeActivations} with the sign estimator as {@link signSte} (one kernel each way);
 * a blend (λ < 1) takes the stock quantizer.
 */
export function quantizeActivationsFast<T extends tf.Tensor>(x: T, bin: BinarizeOptions, afterRelu = false): T {
  if (bin.activations === 'sign' && blendLambda(bin) >= 1) return signSte(x);
  return quantizeActivations(x, bin, afterRelu);
}

/**
 * Grouped pointwise conv then batch norm: for each of the G groups of c channels,
 * z_g = a(x_g)·w[g] with a = sign (clipped STE) when `signInput`, else identity; returns BN(z).
 * @param x shape [B, H, W, G·c], float32
 * @param w shape [G, c, c] (w[g, in, out]), float32
 * @returns shape [B, H, W, G·c], float32
 */
export function pointwiseBn(x: tf.Tensor4D, w: tf.Tensor3D, signInput: boolean, epsilon = BN_EPSILON): tf.Tensor4D {
  if (w.shape[0] * w.shape[1] !== x.shape[3] || w.shape[1] !== w.shape[2]) {
    throw new Error(`pointwiseBn: filter [${w.shape}] does not fit ${x.shape[3]} input channels`);
  }
  if (!kernelChoice().loopKernels) return pointwiseBnComposed(x, w, signInput, epsilon);
  registerCellKernels();
  const c = w.shape[1];
  if (c < WIDE_GROUP || (simdWide(c) && simdInUse())) {
    const attrs: PointwiseAttrs = { signInput, epsilon, gradIds: [x.id, w.id] };
    return runJsOp('BnasPointwiseBn', [x, w], attrs)[0] as tf.Tensor4D;
  }
  // Wide groups: the products as one batched matrix product over the groups (the backend's GEMM
  // beats the loop from 16 channels a group; bench/engine/run.ts).
  return tf.tidy(() => {
    const [b, h, wd] = x.shape;
    const g = w.shape[0];
    const a = signInput ? signSte(x) : x;
    const grouped = runJsOp('BnasToGroups', [a], { groups: g })[0] as tf.Tensor3D;
    const z = runJsOp('BnasFromGroups', [tf.matMul(grouped, w)], { groups: g })[0];
    return batchNormFast(tf.reshape(z, [b, h, wd, g * c]) as tf.Tensor4D, epsilon);
  });
}

/**
 * Weighted channel gather-sum: out[..., target] = Σ_terms coef[k]·maps[m][..., channel]
 * (k = −1 means weight 1). Differentiable in every map and in `coef`.
 * @param maps feature maps, shape [B, H, W, C_m] each (same B, H, W), float32
 * @param terms 4 integers a term: target channel, map index, map channel, coefficient index
 * @param coef coefficients, shape [K], float32 (optional when every index is −1)
 * @returns shape [B, H, W, outChannels], float32
 */
export function channelMix(maps: readonly tf.Tensor4D[], terms: Int32Array, outChannels: number, coef?: tf.Tensor1D): tf.Tensor4D {
  const [b, h, w] = maps[0].shape;
  for (const m of maps) {
    if (m.shape[0] !== b || m.shape[1] !== h || m.shape[2] !== w) throw new Error('channelMix: maps must share batch and spatial size');
  }
  if (!kernelChoice().loopKernels) return channelMixComposed(maps, terms, outChannels, coef);
  registerCellKernels();
  const attrs: MixAttrs = { terms, outChannels, maps: maps.length, gradIds: coef ? [...maps.map((m) => m.id), coef.id] : undefined };
  return runJsOp('BnasChannelMix', coef ? [...maps, coef] : maps, attrs)[0] as tf.Tensor4D;
}

/**
 * Concatenation along the channels: on a backend whose kernel choice has `loopConcat` one
 * {@link channelMix} (one kernel each way), else the stock concat.
 * @param maps shape [B, H, W, C_m] each (same B, H, W), float32
 * @returns shape [B, H, W, Σ C_m], float32
 */
export function concatChannels(maps: readonly tf.Tensor4D[]): tf.Tensor4D {
  if (!kernelChoice().loopConcat) return tf.concat([...maps], 3);
  const terms: number[] = [];
  let target = 0;
  maps.forEach((m, i) => {
    for (let ch = 0; ch < m.shape[3]; ch++) terms.push(target++, i, ch, -1);
  });
  return channelMix(maps, Int32Array.from(terms), target);
}

/**
 * Several {@link packWeights} in one kernel call each way (the same values and gradients): a sep
 * conv's four packs (two halves × depthwise and pointwise) cost one tape node and one kernel
 * call instead of four, which counts at one op per edge, where a stage has as many op kinds —
 * and so as many packs — as with all ops.
 * @param groups each: same-shaped layers and their layout (as packWeights)
 * @returns one packed filter per group, float32
 */
export function packMany(groups: readonly { readonly ws: readonly tf.Tensor[]; readonly layout: 'dw' | 'pw' }[], bin: BinarizeOptions): tf.Tensor[] {
  if (!kernelChoice().loopKernels) return groups.map((g) => packComposed(g.ws, g.layout, bin));
  registerCellKernels();
  const attrs: PackManyAttrs = { layouts: groups.map((g) => g.layout), counts: groups.map((g) => g.ws.length), weights: bin.weights, scale: bin.scale };
  return runJsOp('BnasPackMany', groups.flatMap((g) => g.ws), attrs);
}

/**
 * Quantizes n same-shaped layers (each with its own XNOR scale) and packs them into one filter.
 * @param ws `dw`: n filters [k, k, c, 1]; `pw`: n filters [1, 1, c, c]; float32
 * @returns `dw`: [k, k, n·c, 1] (layer e owns channels e·c … e·c + c − 1); `pw`: [n, c, c]; float32
 */
export function packWeights(ws: readonly tf.Tensor[], layout: 'dw' | 'pw', bin: BinarizeOptions): tf.Tensor {
  if (!kernelChoice().loopKernels) return packComposed(ws, layout, bin);
  registerCellKernels();
  const attrs: PackAttrs = { layout, weights: bin.weights, scale: bin.scale };
  return runJsOp('BnasPackWeights', ws, attrs)[0];
}
