/**
 * The fused cell path's ops as compositions of stock TensorFlow.js ops, for backends that cannot
 * run loop kernels (kernel-choice.ts, `loopKernels`: a GPU, whose values cannot be read back
 * synchronously). Same values and gradients as the loop kernels of cell-kernels.ts: the sign
 * estimators through `tf.customGrad` (quantize.ts), the channel mix as one matrix product per
 * input map, the grouped pointwise conv as a batched matrix product. docs/design.md, "Backends and
 * kernels".
 */
import * as tf from '@tensorflow/tfjs';
import { quantizeWeights, signActivation, type BinarizeOptions } from './quantize.js';

/**
 * Normalises each channel (the last axis) with the batch's mean and biased variance, no affine
 * terms, with the fused gradient dx = rstd · (dy − mean(dy) − x̂ · mean(dy · x̂)).
 * @param x any rank ≥ 1, float32; statistics over every axis but the last
 * @param onStats called once in the forward pass with the mean and variance ([C], owned by the caller's tidy)
 */
export function batchNormComposed<T extends tf.Tensor>(x: T, epsilon: number, onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void): T {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const op = tf.customGrad((xi, save) => {
    const xt = xi as tf.Tensor;
    const mean = tf.mean(xt, axes);
    const centered = tf.sub(xt, mean);
    const variance = tf.mean(tf.square(centered), axes);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(centered, rstd);
    onStats?.(mean as tf.Tensor1D, variance as tf.Tensor1D);
    (save as tf.GradSaveFunc)([xhat, rstd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs] = saved;
        const meanDy = tf.mean(dy, axes);
        const meanDyXhat = tf.mean(tf.mul(dy, xh), axes);
        return tf.mul(rs, tf.sub(tf.sub(dy, meanDy), tf.mul(xh, meanDyXhat)));
      },
    };
  });
  return op(x) as T;
}

/**
 * Grouped pointwise conv then batch norm (cell-kernels.ts `pointwiseBn`): the G groups' products
 * as one batched matrix product.
 * @param x [B, H, W, G·c]; w [G, c, c] (w[g, in, out])
 */
export function pointwiseBnComposed(x: tf.Tensor4D, w: tf.Tensor3D, signInput: boolean, epsilon: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, wd] = x.shape;
    const [g, c] = w.shape;
    const a = signInput ? signActivation(x) : x;
    const grouped = tf.transpose(tf.reshape(a, [b * h * wd, g, c]), [1, 0, 2]);
    const z = tf.reshape(tf.transpose(tf.matMul(grouped, w), [1, 0, 2]), [b, h, wd, g * c]);
    return batchNormComposed(z as tf.Tensor4D, epsilon);
  });
}

/**
 * The weighted channel gather-sum (cell-kernels.ts `channelMix`): out = Σ_m map_m · M_m with
 * M_m[channel, target] the sum of the coefficients of the terms reading that channel of map m
 * into that target (built from `coef` by a gather and a segment sum, so it is differentiable).
 * @param terms 4 integers a term: target, map index, map channel, coefficient index (−1 = 1)
 */
export function channelMixComposed(maps: readonly tf.Tensor4D[], terms: Int32Array, outChannels: number, coef?: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = maps[0].shape;
    const p = b * h * w;
    const rows = maps.map(() => [] as number[]);
    const coefIndex = maps.map(() => [] as number[]);
    const k = coef ? coef.shape[0] : 0;
    for (let t = 0; t < terms.length; t += 4) {
      const m = terms[t + 1];
      rows[m].push(terms[t + 2] * outChannels + terms[t]);
      // Index k of the extended coefficients is the constant 1.
      coefIndex[m].push(terms[t + 3] < 0 ? k : terms[t + 3]);
    }
    const extended = coef ? tf.concat([coef, tf.ones([1])]) : undefined;
    const parts: tf.Tensor2D[] = [];
    maps.forEach((map, m) => {
      if (!rows[m].length) return;
      const c = map.shape[3];
      let mix: tf.Tensor;
      if (extended && coefIndex[m].some((i) => i < k)) {
        const values = tf.gather(extended, tf.tensor1d(coefIndex[m], 'int32'));
        mix = tf.unsortedSegmentSum(values, tf.tensor1d(rows[m], 'int32'), c * outChannels);
      } else {
        const ones = new Float32Array(c * outChannels);
        for (const r of rows[m]) ones[r] += 1;
        mix = tf.tensor1d(ones);
      }
      parts.push(tf.matMul(tf.reshape(map, [p, c]) as tf.Tensor2D, tf.reshape(mix, [c, outChannels]) as tf.Tensor2D));
    });
    const sum = parts.length ? tf.addN(parts) : tf.zeros([p, outChannels]);
    return tf.reshape(sum, [b, h, w, outChannels]) as tf.Tensor4D;
  });
}

/**
 * Quantizes same-shaped layers (each its own scale) and packs them into one filter
 * (cell-kernels.ts `packWeights`).
 * @param ws `dw`: n filters [k, k, c, 1] → [k, k, n·c, 1]; `pw`: n filters [1, 1, c, c] → [n, c, c]
 */
export function packComposed(ws: readonly tf.Tensor[], layout: 'dw' | 'pw', bin: BinarizeOptions): tf.Tensor {
  return tf.tidy(() => {
    // dw filters scale per input channel (axis 2), pw filters per output channel (axis 3).
    const q = ws.map((w) => quantizeWeights(w, bin, layout === 'dw' ? 2 : 3));
    if (layout === 'dw') return tf.concat(q, 2);
    const c = ws[0].shape[3] as number;
    return tf.stack(q.map((w) => tf.reshape(w, [c, c])));
  });
}
