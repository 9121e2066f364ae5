/**
 * The filter gradient of a dense 'same' conv as one kernel (SIMD on wasm, a loop elsewhere):
 * the im2col route of conv.ts costs k·k strided slices, a concat and two transposes per call plus
 * their bookkeeping, which made the stem and the factorized-reduce convs a visible part of a
 * search step's fixed cost (bench/engine/supernet-parts.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { registerJsKernel, runJsOp, type JsKernel } from './js-kernels.js';
import { sameAxis } from './padding.js';
import { simdFor } from './simd.js';

interface ConvGradAttrs {
  readonly k: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** Inputs x [B, H, W, Ci], dy [B, Ho, Wo, Co]; output dW [k, k, Ci, Co]. Not differentiable. */
const convFilterGradKernel: JsKernel<ConvGradAttrs> = {
  name: 'BnasConvFilterGrad',
  outputShapes: (s, a) => [[a.k, a.k, s[0][3], s[1][3]]],
  compute([x, dy], [dw], [xs, ys], { k, stride, padTop, padLeft }) {
    const [b, h, w, ci] = xs;
    const [, ho, wo, co] = ys;
    const n = k * k * ci * co;
    // Scratch: n float64 sums, then n float32 per-image partial sums.
    const simd = simdFor([x, dy, dw], Math.ceil(1.5 * n));
    if (simd) {
      simd.exports.conv_filter_grad(x.byteOffset, dy.byteOffset, dw.byteOffset, simd.scratch, simd.scratch + 8 * n, b, h, w, ci, ho, wo, co, k, stride, padTop, padLeft);
      return;
    }
    const acc = new Float64Array(n);
    for (let bi = 0; bi < b; bi++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const d = ((bi * ho + oy) * wo + ox) * co;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride + ky - padTop;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride + kx - padLeft;
              if (ix < 0 || ix >= w) continue;
              const xo = ((bi * h + iy) * w + ix) * ci;
              for (let c = 0, a = (ky * k + kx) * ci * co; c < ci; c++, a += co) {
                const xv = x[xo + c];
                for (let j = 0; j < co; j++) acc[a + j] += xv * dy[d + j];
              }
            }
          }
        }
      }
    }
    for (let i = 0; i < n; i++) dw[i] = acc[i];
  },
};

/**
 * Filter gradient of `conv2d(x, w, stride, 'same')` for a k×k filter.
 * @param x input, shape [B, H, W, Ci], float32
 * @param dy output gradient, shape [B, ceil(H/stride), ceil(W/stride), Co], float32
 * @returns shape [k, k, Ci, Co], float32
 */
export function convFilterGradFast(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  registerJsKernel(convFilterGradKernel);
  const ay = sameAxis(x.shape[1], k, stride);
  const ax = sameAxis(x.shape[2], k, stride);
  return runJsOp(convFilterGradKernel.name, [x, dy], { k, stride, padTop: ay.before, padLeft: ax.before } satisfies ConvGradAttrs)[0] as tf.Tensor4D;
}
