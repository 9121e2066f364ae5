/**
 * Pooling with gradients that are right on every backend (NHWC, 'same', odd window, stride 1/2);
 * on wasm with the engine's SIMD kernels, one kernel each way (pool-fast.ts). Otherwise:
 * - max: wasm's MaxPoolGrad is wrong when a window's maximum is negative, so the forward pools a
 *   copy shifted to be ≥ 1 and the gradient runs on that shifted copy;
 * - average: the forward excludes padding from the count but the stock gradient divides by k²
 *   everywhere on tfjs's own backends, so there the gradient rescales dy by k²/count before the
 *   stock AvgPoolGrad kernel (TensorFlow's native kernel already divides by the count).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelChoice } from './kernel-choice.js';
import { checkKernel, checkStride, sameAxis } from './padding.js';
import { maxPoolGradShifted, poolFast } from './pool-fast.js';
import { simdInUse } from './simd.js';

/** The SIMD kernels of pool-fast.ts take channels in fours. */
const fast = (x: tf.Tensor4D): boolean => x.shape[3] % 4 === 0 && simdInUse();

/** Checks a pool's window and stride; the SIMD kernels' result where they apply, else undefined. */
function checkedFast(kind: 'max' | 'avg', x: tf.Tensor4D, k: number, stride: number): tf.Tensor4D | undefined {
  checkKernel(k, `${kind}Pool`);
  checkStride(stride, `${kind}Pool`);
  return fast(x) ? poolFast(kind, x, k, stride) : undefined;
}

/**
 * Max pooling k×k, 'same' padding (padding never wins).
 * @param x input, shape [B, H, W, C], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function maxPool(x: tf.Tensor4D, k = 3, stride = 1): tf.Tensor4D {
  const quick = checkedFast('max', x, k, stride);
  if (quick) return quick;
  const op = tf.customGrad((xi, save) => {
    const xt = xi as tf.Tensor4D;
    // Shift so every value is ≥ 1: the gradient kernel then routes to the true maximum.
    const shift = tf.maximum(0, tf.sub(1, tf.min(xt)));
    const shifted = tf.add(xt, shift) as tf.Tensor4D;
    const pooled = tf.maxPool(shifted, k, stride, 'same');
    (save as tf.GradSaveFunc)([shifted, pooled]);
    return {
      value: tf.sub(pooled, shift) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.engine().runKernel(
          'MaxPoolGrad',
          { dy, input: saved[0], output: saved[1] },
          { filterSize: k, strides: stride, pad: 'same' },
        ) as tf.Tensor4D,
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * The gradient of a k×k 'same' max pool, routed to the maximum of each window on every backend:
 * wasm's MaxPoolGrad misroutes windows whose maximum is negative, so it runs on x shifted to ≥ 1
 * (the shift moves no maximum; on ties, which the shift's rounding can make, the last maximum gets
 * dy); on wasm one kernel with the very same routing. Windows of any size (the reduction bypass
 * uses 2×2).
 * @param dy gradient of the pooled output, shape [B, Ho, Wo, C], float32
 * @param x the pool's input, shape [B, H, W, C], float32
 * @returns shape [B, H, W, C], float32
 */
export function maxPoolGradRouted(dy: tf.Tensor4D, x: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  // On wasm one kernel (SIMD) with the same routing instead of the shift's five kernels and the
  // stock MaxPoolGrad (bench/search/profile.ts --kernels shows the difference).
  if (kernelChoice().loopMaxPoolGrad) return maxPoolGradShifted(dy, x, k, stride);
  return tf.tidy(() => {
    const shifted = tf.add(x, tf.maximum(0, tf.sub(1, tf.min(x)))) as tf.Tensor4D;
    const pooled = tf.maxPool(shifted, k, stride, 'same');
    return tf.engine().runKernel('MaxPoolGrad', { dy, input: shifted, output: pooled }, { filterSize: k, strides: stride, pad: 'same' }) as tf.Tensor4D;
  });
}

/**
 * How many real (non-padding) input pixels each 'same' window covers.
 * @returns shape [1, Ho, Wo, 1], float32
 */
export function windowCounts(h: number, w: number, k: number, stride: number): tf.Tensor4D {
  const ay = sameAxis(h, k, stride);
  const ax = sameAxis(w, k, stride);
  const along = (size: number, out: number, before: number): number[] =>
    Array.from({ length: out }, (_, o) => {
      const start = o * stride - before;
      return Math.min(start + k, size) - Math.max(start, 0);
    });
  const cy = along(h, ay.out, ay.before);
  const cx = along(w, ax.out, ax.before);
  const counts = new Float32Array(ay.out * ax.out);
  for (let i = 0; i < ay.out; i++) for (let j = 0; j < ax.out; j++) counts[i * ax.out + j] = cy[i] * cx[j];
  return tf.tensor4d(counts, [1, ay.out, ax.out, 1]);
}

/**
 * Average pooling k×k, 'same' padding, padding excluded from the average
 * (count_include_pad = false).
 * @param x input, shape [B, H, W, C], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function avgPool(x: tf.Tensor4D, k = 3, stride = 1): tf.Tensor4D {
  const quick = checkedFast('avg', x, k, stride);
  if (quick) return quick;
  const op = tf.customGrad((xi, save) => {
    const xt = xi as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt]);
    return {
      value: tf.avgPool(xt, k, stride, 'same') as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const scaled = kernelChoice().avgPoolGradCountsPadding ? tf.mul(dy, tf.div(k * k, windowCounts(xt.shape[1], xt.shape[2], k, stride))) : dy;
        return tf.engine().runKernel(
          'AvgPoolGrad',
          { dy: scaled, input: saved[0] },
          { filterSize: k, strides: stride, pad: 'same' },
        ) as tf.Tensor4D;
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * 2×2 max pooling with stride 2 for the bypass channels of a PC-DARTS reduction edge (odd sizes:
 * the last window is cut, padding never wins). The forward is the backend's max pool; the gradient
 * goes to the maximum of each window (one element on ties, as PyTorch's MaxPool2d of PC-DARTS),
 * through {@link maxPoolGradRouted} (wasm's own MaxPoolGrad misroutes negative maxima; a reshape +
 * max instead took several times as long forward and backward).
 * @param x shape [B, H, W, C], float32
 * @returns shape [B, ceil(H/2), ceil(W/2), C], float32
 */
export function bypassPool(x: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((xi, save) => {
    const xt = xi as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt]);
    return {
      value: tf.maxPool(xt, 2, 2, 'same') as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => maxPoolGradRouted(dy, saved[0] as tf.Tensor4D, 2, 2),
    };
  });
  return op(x) as tf.Tensor4D;
}
