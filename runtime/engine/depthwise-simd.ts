/**
 * Depthwise conv kernels of the engine's own: the filter gradient as one loop kernel (SIMD on
 * wasm; XNNPACK has none and the batch-folded trick of depthwise.ts is far slower at 32 and more
 * channels), and on wasm with the SIMD kernels a whole depthwise op (forward in gather form,
 * input and filter gradients) for channels in fours. depthwise.ts and depthwise-fast.ts both route
 * through it, so the op-by-op and fused paths compute bit-identical values (a binary op signs its
 * depthwise output: a last-bit difference at an exact zero would flip a sign).
 */
import * as tf from '@tensorflow/tfjs';
import { registerJsKernel, runJsOp, type JsKernel, type Shapes } from './js-kernels.js';
import { sameAxis } from './padding.js';
import { SCRATCH_DOUBLES, simdFor, simdInUse } from './simd.js';

/** Attributes of the forward kernel. */
export interface DwAttrs {
  readonly stride: number;
  readonly dilation: number;
}

// ---------------------------------------------------------------- depthwise filter gradient

interface DwGradAttrs {
  readonly k: number;
  readonly stride: number;
  readonly dilation: number;
  /** Implicit zero rows/columns before the first input row/column ('same' padding). */
  readonly padTop: number;
  readonly padLeft: number;
}

/** Inputs: x [B, H, W, C], dy [B, Ho, Wo, C]. Output dW [k, k, C, 1]. Not differentiable. */
export const dwFilterGrad: JsKernel<DwGradAttrs> = {
  name: 'BnasDepthwiseFilterGrad',
  outputShapes: (s, a) => [[a.k, a.k, s[0][3], 1]],
  compute([x, dy], [dw], [xs, ys], { k, stride, dilation, padTop, padLeft }) {
    const [b, h, w, c] = xs;
    const [, ho, wo] = ys;
    const simd = simdFor([x, dy, dw], k * k * c);
    if (simd) {
      simd.exports.dw_filter_grad(x.byteOffset, dy.byteOffset, dw.byteOffset, simd.scratch, b, h, w, c, ho, wo, k, stride, dilation, padTop, padLeft);
      return;
    }
    const acc = new Float64Array(k * k * c);
    const step = stride * c;
    const c4 = c - (c % 4);
    // Tap by tap, row by row: along a row the valid output columns form one span, and 4 channels
    // are accumulated at a time in registers (faster than pixel by pixel).
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const ao = (ky * k + kx) * c;
        const offY = ky * dilation - padTop;
        const offX = kx * dilation - padLeft;
        const oxStart = Math.max(0, Math.ceil(-offX / stride));
        const oxEnd = Math.min(wo, Math.floor((w - 1 - offX) / stride) + 1);
        if (oxEnd <= oxStart) continue;
        for (let bi = 0; bi < b; bi++) {
          for (let oy = 0; oy < ho; oy++) {
            const iy = oy * stride + offY;
            if (iy < 0 || iy >= h) continue;
            const x0 = ((bi * h + iy) * w + oxStart * stride + offX) * c;
            const d0 = ((bi * ho + oy) * wo + oxStart) * c;
            for (let j = 0; j < c4; j += 4) {
              let s0 = 0;
              let s1 = 0;
              let s2 = 0;
              let s3 = 0;
              for (let ox = oxStart, xi = x0 + j, di = d0 + j; ox < oxEnd; ox++, xi += step, di += c) {
                s0 += x[xi] * dy[di];
                s1 += x[xi + 1] * dy[di + 1];
                s2 += x[xi + 2] * dy[di + 2];
                s3 += x[xi + 3] * dy[di + 3];
              }
              acc[ao + j] += s0;
              acc[ao + j + 1] += s1;
              acc[ao + j + 2] += s2;
              acc[ao + j + 3] += s3;
            }
            for (let j = c4; j < c; j++) {
              let s0 = 0;
              for (let ox = oxStart, xi = x0 + j, di = d0 + j; ox < oxEnd; ox++, xi += step, di += c) s0 += x[xi] * dy[di];
              acc[ao + j] += s0;
            }
          }
        }
      }
    }
    for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
  },
};

// ---------------------------------------------------------------- SIMD forward and input gradient

/** [b, h, w, c, ho, wo, k, stride, dilation, padTop, padLeft] of a depthwise call on x [B, H, W, C]. */
function dwGeometry(xs: Shapes[number], k: number, stride: number, dilation: number): number[] {
  const [b, h, w, c] = xs;
  const keff = (k - 1) * dilation + 1;
  const ay = sameAxis(h, keff, stride);
  const ax = sameAxis(w, keff, stride);
  return [b, h, w, c, ay.out, ax.out, k, stride, dilation, ay.before, ax.before];
}

/** The SIMD route needs channels in fours; the filter gradient is the loop kernel above. */
const dwSimdForward: JsKernel<DwAttrs> = {
  name: 'BnasDepthwiseSimd',
  outputShapes: (s, a) => {
    const g = dwGeometry(s[0], s[1][0], a.stride, a.dilation);
    return [[g[0], g[4], g[5], g[3]]];
  },
  compute([x, w], [y], [xs, ws], { stride, dilation }) {
    const simd = simdFor([x, w, y]);
    if (!simd) throw new Error('BnasDepthwiseSimd runs only with the SIMD kernels (depthwiseFast checks)');
    const g = dwGeometry(xs, ws[0], stride, dilation);
    simd.exports.dw_conv(x.byteOffset, w.byteOffset, y.byteOffset, ...g, 0, 0);
  },
};
/** Inputs dy, x, w; output dx (the filter gradient is dwFilterGrad, run only when needed). */
const dwSimdInputGrad: JsKernel<DwAttrs> = {
  name: 'BnasDepthwiseSimdInputGrad',
  outputShapes: (s) => [[...s[1]]],
  compute([dy, x, w], [dx], [, xs, ws], attrs) {
    // Scratch: the turned filter (k·k·C floats).
    const simd = simdFor([dy, x, w, dx], ws[0] * ws[0] * xs[3]);
    if (!simd) throw new Error('BnasDepthwiseSimdInputGrad runs only with the SIMD kernels and a scratch that fits (depthwiseSimd checks)');
    const g = dwGeometry(xs, ws[0], attrs.stride, attrs.dilation);
    simd.exports.dw_conv(dy.byteOffset, w.byteOffset, dx.byteOffset, ...g, 1, simd.scratch);
  },
};

let registered = false;

/**
 * Registers the kernels and the gradient (once per process / worker). The gradient is one
 * closure per input, which the engine calls only for inputs on the path it differentiates: an
 * architecture step (α, β) needs the input gradient only, so the filter gradient — as long as
 * the input gradient in a one-op step — is not computed there.
 */
function registerDepthwiseSimd(): void {
  if (registered) return;
  registerJsKernel(dwFilterGrad);
  registerJsKernel(dwSimdForward);
  registerJsKernel(dwSimdInputGrad);
  if (!tf.getGradient(dwSimdForward.name)) {
    tf.registerGradient({
      kernelName: dwSimdForward.name,
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const [x, w] = saved;
        const a = attrs as unknown as DwAttrs;
        const g = dwGeometry(x.shape, w.shape[0], a.stride, a.dilation);
        const filterAttrs: DwGradAttrs = { k: g[6], stride: g[7], dilation: g[8], padTop: g[9], padLeft: g[10] };
        return {
          0: () => runJsOp(dwSimdInputGrad.name, [dy as tf.Tensor, x, w], a)[0],
          1: () => runJsOp(dwFilterGrad.name, [x, dy as tf.Tensor], filterAttrs)[0],
        };
      },
    });
  }
  registered = true;
}

/** Whether {@link depthwiseSimd} takes x with a k×k filter (wasm with the SIMD kernels, channels in fours, a scratch that fits). */
export function useDepthwiseSimd(x: tf.Tensor4D, k: number): boolean {
  return x.shape[3] % 4 === 0 && x.shape[3] * k * k <= SCRATCH_DOUBLES && simdInUse();
}

/**
 * Depthwise k×k conv, 'same', stride 1 or 2, any dilation, on the SIMD kernels, with its gradient.
 * @param x shape [B, H, W, C], float32, C a multiple of 4
 * @param w shape [k, k, C, 1], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function depthwiseSimd(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, dilation: number): tf.Tensor4D {
  registerDepthwiseSimd();
  return runJsOp(dwSimdForward.name, [x, w], { stride, dilation } satisfies DwAttrs)[0] as tf.Tensor4D;
}
