/**
 * Dense convolutions (NHWC, 'same' padding, odd kernels, stride 1 or 2) whose gradients are
 * written with `tf.customGrad` on kernels the wasm backend has (Conv2D, Conv2DBackpropInput,
 * MatMul, StridedSlice, Concat): wasm has no Conv2DBackpropFilter, and the stock fallback copies
 * to the cpu backend and back (a copy each way per call).
 */
import * as tf from '@tensorflow/tfjs';
import { convFilterGradFast } from './conv-filter-grad.js';
import { filteredOp } from './custom-grad.js';
import { kernelChoice } from './kernel-choice.js';
import { checkKernel, checkStride, sameAxis } from './padding.js';

/**
 * The k×k patches of `x` as rows of a matrix ("im2col"), in the order of a [k, k, Ci, Co] filter.
 * @param x input, shape [B, H, W, Ci], float32
 * @param k odd kernel size
 * @param stride 1 or 2
 * @returns shape [B·Ho·Wo, k·k·Ci], float32, where Ho = ceil(H/stride), Wo = ceil(W/stride)
 */
export function imageToColumns(x: tf.Tensor4D, k: number, stride: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const ay = sameAxis(h, k, stride);
    const ax = sameAxis(w, k, stride);
    const padded =
      ay.before + ay.after + ax.before + ax.after > 0
        ? (tf.pad(x, [[0, 0], [ay.before, ay.after], [ax.before, ax.after], [0, 0]]) as tf.Tensor4D)
        : x;
    const parts: tf.Tensor4D[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        parts.push(
          stride === 1
            ? tf.slice(padded, [0, i, j, 0], [b, ay.out, ax.out, c])
            : (tf.stridedSlice(
                padded,
                [0, i, j, 0],
                [b, i + (ay.out - 1) * stride + 1, j + (ax.out - 1) * stride + 1, c],
                [1, stride, stride, 1],
              ) as tf.Tensor4D),
        );
      }
    }
    const cols = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
    return tf.reshape(cols, [b * ay.out * ax.out, k * k * c]);
  });
}

/**
 * Gradient of a 'same' conv with respect to its input.
 * @param dy upstream gradient, shape [B, Ho, Wo, Co], float32
 * @param w filter, shape [k, k, Ci, Co], float32
 * @param xShape shape of the conv input [B, H, W, Ci]
 */
function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: [number, number, number, number], stride: number): tf.Tensor4D {
  const [k, , ci, co] = w.shape;
  if (stride === 1 && k === 1) {
    // dy·Wᵀ with W transposed first: wasm's matMul with transposeB is much slower than a plain
    // product here (3.2 vs 0.3 ms for [2048, 16]·[16, 64], bench/search/README.md "Profile").
    const w2 = tf.reshape(w, [ci, co]);
    const transposed = kernelChoice().transposedMatMul;
    const dx = tf.matMul(tf.reshape(dy, [-1, co]), transposed ? w2 : tf.transpose(w2), false, transposed);
    return tf.reshape(dx, xShape);
  }
  if (stride === 1) {
    // Stride 1, odd k, symmetric 'same' padding: correlation of dy with the rotated filter.
    const rotated = tf.reverse(tf.transpose(w, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D;
    return tf.conv2d(dy, rotated, 1, 'same');
  }
  // Strided: the transposed conv (Conv2DBackpropInput is a native wasm kernel).
  return tf.conv2dTranspose(dy, w, xShape, stride, 'same');
}

/**
 * Gradient of a 'same' conv with respect to its filter: one matrix product of the input patches
 * with dy (no Conv2DBackpropFilter kernel needed).
 * @param x conv input, shape [B, H, W, Ci], float32
 * @param dy upstream gradient, shape [B, Ho, Wo, Co], float32
 * @returns shape [k, k, Ci, Co], float32
 */
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  // On wasm one loop kernel (SIMD) beats im2col's slices, concat and transposes; a 1×1 stride-1
  // conv needs no im2col, and its matrix product below is XNNPACK's.
  if (kernelChoice().loopConvFilterGrad && (k > 1 || stride > 1)) return convFilterGradFast(x, dy, k, stride);
  const ci = x.shape[3];
  const co = dy.shape[3];
  const cols = k === 1 && stride === 1 ? tf.reshape(x, [-1, ci]) : imageToColumns(x, k, stride);
  const dy2 = tf.reshape(dy, [-1, co]);
  // (dyᵀ·cols)ᵀ instead of colsᵀ·dy where a transposed product is slow (wasm: several times at
  // these shapes; transposing the small dy and the [co, k·k·ci] result is cheap).
  const dw = kernelChoice().transposedMatMul ? tf.matMul(cols, dy2, true, false) : tf.transpose(tf.matMul(tf.transpose(dy2), cols));
  return tf.reshape(dw, [k, k, ci, co]);
}

/**
 * k×k convolution, NHWC, 'same' padding, no bias, with a hand-written gradient.
 * @param x input, shape [B, H, W, Ci], float32
 * @param w filter, shape [k, k, Ci, Co], float32, k odd
 * @param stride 1 or 2
 * @returns shape [B, ceil(H/stride), ceil(W/stride), Co], float32
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride = 1): tf.Tensor4D {
  checkKernel(w.shape[0], 'conv2d');
  checkStride(stride, 'conv2d');
  if (w.shape[0] !== w.shape[1]) throw new Error(`conv2d: filter must be square, got ${w.shape[0]}×${w.shape[1]}`);
  if (w.shape[2] !== x.shape[3]) {
    throw new Error(`conv2d: filter expects ${w.shape[2]} input channels, input has ${x.shape[3]}`);
  }
  const k = w.shape[0];
  const xShape = x.shape;
  return filteredOp(
    x,
    w,
    (xt, wt) => tf.conv2d(xt, wt, stride, 'same'),
    (dy, xs, ws) => [convInputGrad(dy, ws, xShape, stride), convFilterGrad(xs, dy, k, stride)],
  );
}
