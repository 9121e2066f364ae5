/**
 * Depthwise and separable convolutions (NHWC, 'same', odd kernels, stride 1 or 2, dilation 1–3)
 * with hand-written gradients. wasm lacks both depthwise backprop kernels and no backend has a
 * gradient for dilation > 1, so: the input gradient is a depthwise conv of dy (zero-interleaved
 * when strided) with the rotated filter, the filter gradient a 'valid' depthwise conv of the
 * padded input (batch folded into channels) with dy as the filter, and dilation is a
 * zero-interleaved filter fed to an ordinary depthwise conv (its gradient follows by autodiff).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d } from './conv.js';
import { filteredOp } from './custom-grad.js';
import { depthwiseSimd, useDepthwiseSimd } from './depthwise-simd.js';
import { kernelChoice } from './kernel-choice.js';
import { checkKernel, checkStride, sameAxis } from './padding.js';

/**
 * Spreads a filter's taps `dilation` apart with zeros between them.
 * @param w filter, shape [kh, kw, C, M], float32 (not square where the filter gradient spreads dy)
 * @returns shape [(kh−1)·d+1, (kw−1)·d+1, C, M], float32; differentiable (stack/reshape/slice)
 */
export function dilateFilter(w: tf.Tensor4D, dilation: number): tf.Tensor4D {
  if (dilation === 1) return w;
  return tf.tidy(() => {
    const [, , c, m] = w.shape;
    const spread = (t: tf.Tensor4D, axis: 0 | 1): tf.Tensor4D => {
      const n = t.shape[axis];
      const parts = [t, ...Array.from({ length: dilation - 1 }, () => tf.zerosLike(t))];
      const stacked = tf.stack(parts, axis + 1);
      const shape: [number, number, number, number] =
        axis === 0 ? [n * dilation, t.shape[1], c, m] : [t.shape[0], n * dilation, c, m];
      const flat = tf.reshape(stacked, shape) as tf.Tensor4D;
      const size = (n - 1) * dilation + 1;
      return axis === 0 ? tf.slice(flat, [0, 0, 0, 0], [size, -1, -1, -1]) : tf.slice(flat, [0, 0, 0, 0], [-1, size, -1, -1]);
    };
    return spread(spread(w, 0), 1);
  });
}

/**
 * Puts `stride − 1` zero rows and columns between the entries of `t` (the adjoint of striding).
 * @param t shape [B, Ho, Wo, C], float32
 * @returns shape [B, (Ho−1)·s+1, (Wo−1)·s+1, C], float32
 */
export function zeroInterleave(t: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return t;
  return tf.tidy(() => {
    const [b, h, w, c] = t.shape;
    const zerosW = tf.zerosLike(t);
    const alongW = tf.reshape(tf.stack([t, ...Array(stride - 1).fill(zerosW)], 3), [b, h, w * stride, c]);
    const zerosH = tf.zerosLike(alongW);
    const both = tf.reshape(tf.stack([alongW, ...Array(stride - 1).fill(zerosH)], 2), [b, h * stride, w * stride, c]);
    return tf.slice(both, [0, 0, 0, 0], [b, (h - 1) * stride + 1, (w - 1) * stride + 1, c]) as tf.Tensor4D;
  });
}

/**
 * Input gradient of a 'same' depthwise conv with channel multiplier m (stride 1 with any native
 * dilation, or stride 2 without dilation).
 * @param dy shape [B, Ho, Wo, C·m], float32 (output channel c·m + j)
 * @param w filter, shape [k, k, C, m], float32
 * @returns shape of x, [B, H, W, C], float32
 */
export function depthwiseInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: [number, number, number, number],
  stride: number,
  dilation: number,
): tf.Tensor4D {
  const [k, , c, m] = w.shape;
  // Each of the C·m output channels correlates with its own rotated filter; the m results of one
  // input channel are then summed.
  const rotated = tf.reshape(tf.reverse(w, [0, 1]), [k, k, c * m, 1]) as tf.Tensor4D;
  const sumMultiplier = (t: tf.Tensor4D): tf.Tensor4D =>
    m === 1 ? t : (tf.sum(tf.reshape(t, [t.shape[0], t.shape[1], t.shape[2], c, m]), 4) as tf.Tensor4D);
  if (stride === 1) return sumMultiplier(tf.depthwiseConv2d(dy, rotated, 1, 'same', 'NHWC', dilation));
  const [, h, wd] = xShape;
  const ay = sameAxis(h, k, stride);
  const ax = sameAxis(wd, k, stride);
  const up = zeroInterleave(dy, stride);
  const top = k - 1 - ay.before;
  const left = k - 1 - ax.before;
  const bottom = h + k - 1 - top - up.shape[1];
  const right = wd + k - 1 - left - up.shape[2];
  const padded = tf.pad(up, [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]]);
  let full = tf.depthwiseConv2d(padded, rotated, 1, 'valid');
  if (full.shape[1] !== h || full.shape[2] !== wd) full = tf.slice(full, [0, 0, 0, 0], [-1, h, wd, -1]);
  return sumMultiplier(full);
}

/**
 * Filter gradient of a 'same' depthwise conv with channel multiplier m: correlate the padded
 * input with dy, treating the batch as extra channels so one depthwise kernel call does it, then
 * sum over the batch.
 * @param x shape [B, H, W, C], float32
 * @param dy shape [B, Ho, Wo, C·m], float32
 * @returns shape [k, k, C, m], float32
 */
function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, m: number, stride: number, dilation: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const keff = (k - 1) * dilation + 1;
  const ay = sameAxis(h, keff, stride);
  const ax = sameAxis(w, keff, stride);
  const padded = tf.pad(x, [[0, 0], [ay.before, ay.after], [ax.before, ax.after], [0, 0]]);
  const hp = h + ay.before + ay.after;
  const wp = w + ax.before + ax.after;
  const folded = tf.reshape(tf.transpose(padded, [1, 2, 0, 3]), [1, hp, wp, b * c]) as tf.Tensor4D;
  const dyT = m === 1 ? tf.transpose(dy, [1, 2, 0, 3]) : tf.transpose(tf.reshape(dy, [b, ay.out, ax.out, c, m]), [1, 2, 0, 3, 4]);
  const filter = tf.reshape(dyT, [ay.out, ax.out, b * c, m]) as tf.Tensor4D;
  // dy's taps sit `stride` apart over the input: a dilated correlation, or a zero-spread filter
  // where the backend's depthwise kernel takes no dilation.
  let corr =
    stride === 1 || kernelChoice().dilatedDepthwise
      ? tf.depthwiseConv2d(folded, filter, 1, 'valid', 'NHWC', [stride, stride])
      : tf.depthwiseConv2d(folded, dilateFilter(filter, stride), 1, 'valid');
  if (dilation > 1) {
    // Taps sit `dilation` apart: correlate over the whole span, keep every dilation-th offset.
    corr = tf.stridedSlice(corr, [0, 0, 0, 0], [1, keff, keff, b * c * m], [1, dilation, dilation, 1]) as tf.Tensor4D;
  } else if (corr.shape[1] !== k || corr.shape[2] !== k) {
    corr = tf.slice(corr, [0, 0, 0, 0], [1, k, k, b * c * m]);
  }
  return tf.reshape(tf.sum(tf.reshape(corr, [k, k, b, c * m]), 2), [k, k, c, m]);
}

/**
 * Depthwise conv with a channel multiplier and a hand-written gradient. Native dilation only with
 * stride 1 (TensorFlow's restriction); for stride 2 dilate the filter with {@link dilateFilter}.
 * @param x shape [B, H, W, C], float32
 * @param w shape [k, k, C, m], float32, k odd
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C·m], float32; channel c·m + j is filter j
 *   of input channel c
 */
export function depthwiseMultiplier(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, dilation = 1): tf.Tensor4D {
  if (stride > 1 && dilation > 1) throw new Error('depthwiseMultiplier: stride and dilation cannot both exceed 1');
  const k = w.shape[0];
  const m = w.shape[3];
  const xShape = x.shape;
  return filteredOp(
    x,
    w,
    (xt, wt) => tf.depthwiseConv2d(xt, wt, stride, 'same', 'NHWC', dilation),
    (dy, xs, ws) => [depthwiseInputGrad(dy, ws, xShape, stride, dilation), depthwiseFilterGrad(xs, dy, k, m, stride, dilation)],
  );
}

/**
 * Depthwise k×k convolution (channel multiplier 1), NHWC, 'same' padding, optional dilation.
 * @param x input, shape [B, H, W, C], float32
 * @param w filter, shape [k, k, C, 1], float32, k odd
 * @param stride 1 or 2 (combines with any dilation)
 * @param dilation 1, 2 or 3
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function depthwiseConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride = 1, dilation = 1): tf.Tensor4D {
  checkKernel(w.shape[0], 'depthwiseConv2d');
  checkStride(stride, 'depthwiseConv2d');
  if (!Number.isInteger(dilation) || dilation < 1 || dilation > 3) {
    throw new Error(`depthwiseConv2d: dilation must be 1, 2 or 3, got ${dilation}`);
  }
  if (w.shape[0] !== w.shape[1] || w.shape[3] !== 1 || w.shape[2] !== x.shape[3]) {
    throw new Error(
      `depthwiseConv2d: filter must be [k, k, ${x.shape[3]}, 1] for an input with ${x.shape[3]} channels, got [${w.shape.join(', ')}]`,
    );
  }
  // wasm with the engine's SIMD kernels: the same kernel as the fused path (bit-identical values).
  if (useDepthwiseSimd(x, w.shape[0])) return depthwiseSimd(x, w, stride, dilation);
  // Stride 1: the kernel's own dilation (fewer taps) where the backend has one; else, and with
  // stride 2, a zero-interleaved filter.
  return tf.tidy(() =>
    stride === 1 && kernelChoice().dilatedDepthwise
      ? depthwiseMultiplier(x, w, 1, dilation)
      : depthwiseMultiplier(x, dilateFilter(w, dilation), stride, 1),
  );
}

/**
 * Separable convolution: depthwise k×k (stride, dilation) followed by a 1×1 conv.
 * @param x input, shape [B, H, W, Ci], float32
 * @param depthwise filter, shape [k, k, Ci, 1], float32
 * @param pointwise filter, shape [1, 1, Ci, Co], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), Co], float32
 */
export function separableConv2d(
  x: tf.Tensor4D,
  depthwise: tf.Tensor4D,
  pointwise: tf.Tensor4D,
  stride = 1,
  dilation = 1,
): tf.Tensor4D {
  return tf.tidy(() => conv2d(depthwiseConv2d(x, depthwise, stride, dilation), pointwise, 1));
}
