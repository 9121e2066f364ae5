/**
 * The fused kernels of the fast cell path (see js-kernels.ts for why they are loops): sign with
 * its clipped straight-through estimator, batch norm without affine terms, a (sign →) grouped
 * pointwise conv → batch norm unit, a general weighted channel gather-sum (partial channels,
 * tiling, op mixing, edge weights, bypass, shuffle, concatenation: all one kernel), weight
 * packing with the XNOR/sign quantizers of many layers at once, and the depthwise filter
 * gradient. Layout NHWC; "pixels" P = B·H·W, channels are the last axis.
 */
import * as tf from '@tensorflow/tfjs';
import { filteredOp } from './custom-grad.js';
import { depthwiseConv2d, depthwiseInputGrad } from './depthwise.js';
import { BN_EPSILON } from './norm.js';
import { sameAxis } from './padding.js';
import { channelsAndPixels, registerJsKernel, registerJsOp, runJsOp, type JsKernel } from './js-kernels.js';
import type { BinarizeOptions } from './quantize.js';

type NoAttrs = Record<string, never>;

// ---------------------------------------------------------------- sign with STE

const signForward: JsKernel<NoAttrs> = {
  name: 'BnasSign',
  outputShapes: (s) => [[...s[0]]],
  compute([x], [y]) {
    // sign(0) = +1 (the method's convention).
    for (let i = 0; i < x.length; i++) y[i] = x[i] < 0 ? -1 : 1;
  },
};
const signBackward: JsKernel<NoAttrs> = {
  name: 'BnasSignGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, x], [dx]) {
    for (let i = 0; i < x.length; i++) dx[i] = x[i] <= 1 && x[i] >= -1 ? dy[i] : 0;
  },
};

// ---------------------------------------------------------------- batch norm

/** Per-channel mean and 1/sqrt(var + ε) of z [P, C] (two passes: stable for large means). */
function channelMoments(z: Float32Array, p: number, c: number, mean: Float64Array, rstd: Float32Array, eps: number): void {
  const acc = new Float64Array(c);
  for (let i = 0, o = 0; i < p; i++, o += c) for (let j = 0; j < c; j++) acc[j] += z[o + j];
  for (let j = 0; j < c; j++) mean[j] = acc[j] / p;
  acc.fill(0);
  for (let i = 0, o = 0; i < p; i++, o += c) {
    for (let j = 0; j < c; j++) {
      const d = z[o + j] - mean[j];
      acc[j] += d * d;
    }
  }
  for (let j = 0; j < c; j++) rstd[j] = 1 / Math.sqrt(acc[j] / p + eps);
}

/** y = (z − mean)·rstd in place of y (y may alias z). */
function normalize(z: Float32Array, y: Float32Array, p: number, c: number, mean: Float64Array, rstd: Float32Array): void {
  for (let i = 0, o = 0; i < p; i++, o += c) for (let j = 0; j < c; j++) y[o + j] = (z[o + j] - mean[j]) * rstd[j];
}

/** dz = rstd·(dy − mean(dy) − ŷ·mean(dy·ŷ)), per channel. */
function normalizeBackward(dy: Float32Array, yhat: Float32Array, rstd: Float32Array, dz: Float32Array, p: number, c: number): void {
  const sumDy = new Float64Array(c);
  const sumDyY = new Float64Array(c);
  for (let i = 0, o = 0; i < p; i++, o += c) {
    for (let j = 0; j < c; j++) {
      sumDy[j] += dy[o + j];
      sumDyY[j] += dy[o + j] * yhat[o + j];
    }
  }
  for (let j = 0; j < c; j++) {
    sumDy[j] /= p;
    sumDyY[j] /= p;
  }
  for (let i = 0, o = 0; i < p; i++, o += c) {
    for (let j = 0; j < c; j++) dz[o + j] = rstd[j] * (dy[o + j] - sumDy[j] - yhat[o + j] * sumDyY[j]);
  }
}

interface BnAttrs {
  readonly epsilon: number;
}

const bnForward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNorm',
  outputShapes: (s) => [[...s[0]], [s[0][s[0].length - 1]]],
  compute([x], [y, rstd], [shape], { epsilon }) {
    const { c, p } = channelsAndPixels(shape);
    const mean = new Float64Array(c);
    channelMoments(x, p, c, mean, rstd, epsilon);
    normalize(x, y, p, c, mean, rstd);
  },
};
/** Inputs: dy, d(rstd) (unused), x, y, rstd. */
const bnBackward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNormGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, , , y, rstd], [dx], [shape]) {
    const { c, p } = channelsAndPixels(shape);
    normalizeBackward(dy, y, rstd, dx, p, c);
  },
};

// ---------------------------------------------------------------- (sign →) grouped 1×1 → BN

interface PointwiseAttrs {
  /** Binarize the input (sign, clipped STE) before the product. */
  readonly signInput: boolean;
  readonly epsilon: number;
}

/**
 * x [P, G·c], w [G, c, c] (w[g, ci, co]) → z[p, g·c + co] = Σ_ci a(x[p, g·c + ci])·w[g, ci, co],
 * then batch norm of z per channel. Outputs ŷ [P, G·c] and rstd [G·c].
 */
const pwBnForward: JsKernel<PointwiseAttrs> = {
  name: 'BnasPointwiseBn',
  outputShapes: (s) => [[...s[0]], [s[0][s[0].length - 1]]],
  compute([x, w], [y, rstd], [xs, ws], { signInput, epsilon }) {
    const { c: total, p } = channelsAndPixels(xs);
    const g = ws[0];
    const c = ws[1];
    for (let i = 0, o = 0; i < p; i++, o += total) {
      for (let gi = 0; gi < g; gi++) {
        const base = o + gi * c;
        const wb = gi * c * c;
        for (let co = 0; co < c; co++) {
          let acc = 0;
          for (let ci = 0; ci < c; ci++) {
            const v = x[base + ci];
            acc += (signInput ? (v < 0 ? -1 : 1) : v) * w[wb + ci * c + co];
          }
          y[base + co] = acc;
        }
      }
    }
    const mean = new Float64Array(total);
    channelMoments(y, p, total, mean, rstd, epsilon);
    normalize(y, y, p, total, mean, rstd);
  },
};
/** Inputs: dy, d(rstd) (unused), x, w, ŷ, rstd. Outputs dx, dw. */
const pwBnBackward: JsKernel<PointwiseAttrs> = {
  name: 'BnasPointwiseBnGrad',
  outputShapes: (s) => [[...s[2]], [...s[3]]],
  compute([dy, , x, w, y, rstd], [dx, dw], shapes, { signInput }) {
    const { c: total, p } = channelsAndPixels(shapes[2]);
    const g = shapes[3][0];
    const c = shapes[3][1];
    // dz (through the batch norm) is written into dx first, then replaced row by row.
    const dz = new Float32Array(p * total);
    normalizeBackward(dy, y, rstd, dz, p, total);
    const acc = new Float64Array(g * c * c);
    const row = new Float32Array(c);
    for (let i = 0, o = 0; i < p; i++, o += total) {
      for (let gi = 0; gi < g; gi++) {
        const base = o + gi * c;
        const wb = gi * c * c;
        for (let ci = 0; ci < c; ci++) {
          const v = x[base + ci];
          const a = signInput ? (v < 0 ? -1 : 1) : v;
          let s = 0;
          for (let co = 0; co < c; co++) {
            const d = dz[base + co];
            acc[wb + ci * c + co] += a * d;
            s += d * w[wb + ci * c + co];
          }
          row[ci] = signInput && (v > 1 || v < -1) ? 0 : s;
        }
        for (let ci = 0; ci < c; ci++) dx[base + ci] = row[ci];
      }
    }
    for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
  },
};

// ---------------------------------------------------------------- weighted channel gather-sum

/**
 * Terms of a channel mix, 4 integers each: target channel, input index, input channel, coefficient
 * index (−1 = coefficient 1). out[p, target] = Σ coef · input[p, channel].
 */
export interface MixAttrs {
  readonly terms: Int32Array;
  readonly outChannels: number;
  /** Inputs that are feature maps; a coefficient vector, if any, comes after them. */
  readonly maps: number;
}

const mixForward: JsKernel<MixAttrs> = {
  name: 'BnasChannelMix',
  outputShapes: (s, a) => [[...s[0].slice(0, -1), a.outChannels]],
  compute(ins, [out], shapes, { terms, outChannels: co, maps }) {
    const { p } = channelsAndPixels(shapes[0]);
    const coef = ins.length > maps ? ins[maps] : undefined;
    out.fill(0);
    for (let t = 0; t < terms.length; t += 4) {
      const target = terms[t];
      const x = ins[terms[t + 1]];
      const ci = shapes[terms[t + 1]][shapes[terms[t + 1]].length - 1];
      const ch = terms[t + 2];
      const k = coef && terms[t + 3] >= 0 ? coef[terms[t + 3]] : 1;
      for (let i = 0; i < p; i++) out[i * co + target] += k * x[i * ci + ch];
    }
  },
};
/** Inputs: dy, maps…, coef?. Outputs: one gradient per map, then d(coef). */
const mixBackward: JsKernel<MixAttrs> = {
  name: 'BnasChannelMixGrad',
  outputShapes: (s, a) => s.slice(1, 1 + a.maps + (s.length > a.maps + 1 ? 1 : 0)).map((x) => [...x]),
  compute(ins, outs, shapes, { terms, outChannels: co, maps }) {
    const dy = ins[0];
    const { p } = channelsAndPixels(shapes[0]);
    const coef = ins.length > maps + 1 ? ins[1 + maps] : undefined;
    for (const o of outs) o.fill(0);
    const dcoef = coef ? new Float64Array(coef.length) : undefined;
    for (let t = 0; t < terms.length; t += 4) {
      const target = terms[t];
      const m = terms[t + 1];
      const x = ins[1 + m];
      const dx = outs[m];
      const ci = shapes[1 + m][shapes[1 + m].length - 1];
      const ch = terms[t + 2];
      const ki = terms[t + 3];
      const k = coef && ki >= 0 ? coef[ki] : 1;
      let s = 0;
      for (let i = 0; i < p; i++) {
        const d = dy[i * co + target];
        dx[i * ci + ch] += k * d;
        s += d * x[i * ci + ch];
      }
      if (dcoef && ki >= 0) dcoef[ki] += s;
    }
    if (coef && dcoef) {
      const out = outs[maps];
      for (let i = 0; i < dcoef.length; i++) out[i] = dcoef[i];
    }
  },
};

// ---------------------------------------------------------------- weight packing + quantizers

/** How many layers' filters are packed into one and how each is quantized. */
interface PackAttrs {
  /** `dw`: n filters [k, k, c, 1] → [k, k, n·c, 1]; `pw`: n filters [1, 1, c, c] → [n, c, c]. */
  readonly layout: 'dw' | 'pw';
  readonly weights: BinarizeOptions['weights'];
  readonly scale: BinarizeOptions['scale'];
}

/**
 * Scale a of each element's group (XNOR-Net: mean |w| over the layer, or over the layer's output
 * channel; for a depthwise filter the channel is its input channel) and the group size n.
 */
function xnorScales(w: Float32Array, scale: 'layer' | 'channel', c: number): { a: Float64Array; n: number } {
  const size = w.length;
  const a = new Float64Array(scale === 'layer' ? 1 : c);
  // dw [k, k, c, 1] and pw [1, 1, c, c] both have their scale channel innermost.
  const group = (i: number): number => (scale === 'layer' ? 0 : i % c);
  for (let i = 0; i < size; i++) a[group(i)] += Math.abs(w[i]);
  const n = size / a.length;
  for (let j = 0; j < a.length; j++) a[j] /= n;
  return { a, n };
}

/** Position in the packed filter of element i of layer e (c channels, `size` elements a layer). */
function packedIndex(layout: 'dw' | 'pw', i: number, e: number, c: number, n: number, size: number): number {
  // dw [k, k, c, 1]: element (tap, ch) goes to tap·(n·c) + e·c + ch; pw: contiguous per layer.
  return layout === 'dw' ? Math.floor(i / c) * n * c + e * c + (i % c) : e * size + i;
}

const packForward: JsKernel<PackAttrs> = {
  name: 'BnasPackWeights',
  outputShapes: (s, a) => {
    const [k, , c] = s[0];
    return [a.layout === 'dw' ? [k, k, s.length * c, 1] : [s.length, c, c]];
  },
  compute(ws, [out], shapes, { layout, weights, scale }) {
    const c = shapes[0][2];
    ws.forEach((w, e) => {
      const { a } = weights === 'xnor' ? xnorScales(w, scale, c) : { a: undefined };
      for (let i = 0; i < w.length; i++) {
        const v = w[i];
        const q = weights === 'none' ? v : (v < 0 ? -1 : 1) * (a ? a[a.length === 1 ? 0 : i % c] : 1);
        out[packedIndex(layout, i, e, c, ws.length, w.length)] = q;
      }
    });
  },
};
/** Inputs: dy (packed), w0…w(n−1). Outputs: one gradient per layer. */
const packBackward: JsKernel<PackAttrs> = {
  name: 'BnasPackWeightsGrad',
  outputShapes: (s) => s.slice(1).map((x) => [...x]),
  compute(ins, outs, shapes, { layout, weights, scale }) {
    const dy = ins[0];
    const ws = ins.slice(1);
    const c = shapes[1][2];
    ws.forEach((w, e) => {
      const { a, n } = weights === 'xnor' ? xnorScales(w, scale, c) : { a: undefined, n: 1 };
      const dw = outs[e];
      for (let i = 0; i < w.length; i++) {
        const d = dy[packedIndex(layout, i, e, c, ws.length, w.length)];
        const inside = w[i] <= 1 && w[i] >= -1;
        if (weights === 'none') dw[i] = d;
        else if (weights === 'sign') dw[i] = inside ? d : 0;
        else dw[i] = d * (1 / n + (inside ? (a as Float64Array)[(a as Float64Array).length === 1 ? 0 : i % c] : 0));
      }
    });
  },
};

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
const dwFilterGrad: JsKernel<DwGradAttrs> = {
  name: 'BnasDepthwiseFilterGrad',
  outputShapes: (s, a) => [[a.k, a.k, s[0][3], 1]],
  compute([x, dy], [dw], [xs, ys], { k, stride, dilation, padTop, padLeft }) {
    const [b, h, w, c] = xs;
    const [, ho, wo] = ys;
    const acc = new Float64Array(c);
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        acc.fill(0);
        const offY = ky * dilation - padTop;
        const offX = kx * dilation - padLeft;
        // Output columns whose input column lies inside the image.
        const oxStart = Math.max(0, Math.ceil(-offX / stride));
        const oxEnd = Math.min(wo, Math.floor((w - 1 - offX) / stride) + 1);
        for (let bi = 0; bi < b; bi++) {
          for (let oy = 0; oy < ho; oy++) {
            const iy = oy * stride + offY;
            if (iy < 0 || iy >= h) continue;
            const xRow = ((bi * h + iy) * w) * c;
            const dRow = ((bi * ho + oy) * wo) * c;
            for (let ox = oxStart; ox < oxEnd; ox++) {
              const xo = xRow + (ox * stride + offX) * c;
              const dOff = dRow + ox * c;
              for (let j = 0; j < c; j++) acc[j] += x[xo + j] * dy[dOff + j];
            }
          }
        }
        const base = (ky * k + kx) * c;
        for (let j = 0; j < c; j++) dw[base + j] = acc[j];
      }
    }
  },
};

let registered = false;

/** Registers the kernels and their gradients (once per process / worker). */
export function registerCellKernels(): void {
  if (registered) return;
  registerJsOp(signForward, signBackward);
  registerJsOp(bnForward, bnBackward, [true, true]);
  registerJsOp(pwBnForward, pwBnBackward, [true, true]);
  registerJsOp(mixForward, mixBackward);
  registerJsOp(packForward, packBackward);
  registerJsKernel(dwFilterGrad);
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
  registerCellKernels();
  return runJsOp('BnasSign', [x])[0] as T;
}

/**
 * Batch norm without affine terms, batch statistics (same as {@link batchNorm}), one kernel each way.
 * @param x shape [..., C], float32 (statistics over all axes but the last)
 * @returns same shape, float32
 */
export function batchNormFast<T extends tf.Tensor>(x: T, epsilon = BN_EPSILON): T {
  registerCellKernels();
  return runJsOp('BnasBatchNorm', [x], { epsilon })[0] as T;
}

/**
 * Grouped pointwise conv then batch norm: for each of the G groups of c channels,
 * z_g = a(x_g)·w[g] with a = sign (clipped STE) when `signInput`, else identity; returns BN(z).
 * @param x shape [B, H, W, G·c], float32
 * @param w shape [G, c, c] (w[g, in, out]), float32
 * @returns shape [B, H, W, G·c], float32
 */
export function pointwiseBn(x: tf.Tensor4D, w: tf.Tensor3D, signInput: boolean, epsilon = BN_EPSILON): tf.Tensor4D {
  registerCellKernels();
  if (w.shape[0] * w.shape[1] !== x.shape[3] || w.shape[1] !== w.shape[2]) {
    throw new Error(`pointwiseBn: filter [${w.shape}] does not fit ${x.shape[3]} input channels`);
  }
  return runJsOp('BnasPointwiseBn', [x, w], { signInput, epsilon })[0] as tf.Tensor4D;
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
  registerCellKernels();
  const [b, h, w] = maps[0].shape;
  for (const m of maps) {
    if (m.shape[0] !== b || m.shape[1] !== h || m.shape[2] !== w) throw new Error('channelMix: maps must share batch and spatial size');
  }
  const attrs: MixAttrs = { terms, outChannels, maps: maps.length };
  return runJsOp('BnasChannelMix', coef ? [...maps, coef] : maps, attrs)[0] as tf.Tensor4D;
}

/**
 * Quantizes n same-shaped layers (each with its own XNOR scale) and packs them into one filter.
 * @param ws `dw`: n filters [k, k, c, 1]; `pw`: n filters [1, 1, c, c]; float32
 * @returns `dw`: [k, k, n·c, 1] (layer e owns channels e·c … e·c + c − 1); `pw`: [n, c, c]; float32
 */
export function packWeights(ws: readonly tf.Tensor[], layout: 'dw' | 'pw', bin: BinarizeOptions): tf.Tensor {
  registerCellKernels();
  const attrs: PackAttrs = { layout, weights: bin.weights, scale: bin.scale };
  return runJsOp('BnasPackWeights', ws, attrs)[0];
}

/**
 * Depthwise k×k conv, 'same', stride 1 or 2, dilation 1–3 (channel multiplier 1). Forward and
 * input gradient are the backend's depthwise kernel; the filter gradient is one loop (the
 * batch-folded depthwise trick of depthwise.ts is 10–40× slower at 32+ channels on wasm).
 * @param x shape [B, H, W, C], float32
 * @param w shape [k, k, C, 1], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function depthwiseFast(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, dilation: number): tf.Tensor4D {
  registerCellKernels();
  if (stride > 1 && dilation > 1) return depthwiseConv2d(x, w, stride, dilation);
  const k = w.shape[0];
  const keff = (k - 1) * dilation + 1;
  const xShape = x.shape;
  const ay = sameAxis(xShape[1], keff, stride);
  const ax = sameAxis(xShape[2], keff, stride);
  return filteredOp(
    x,
    w,
    (xt, wt) => tf.depthwiseConv2d(xt, wt, stride, 'same', 'NHWC', dilation),
    (dy, xs, ws) => [
      depthwiseInputGrad(dy, ws, xShape, stride, dilation),
      runJsOp('BnasDepthwiseFilterGrad', [xs, dy], { k, stride, dilation, padTop: ay.before, padLeft: ax.before })[0] as tf.Tensor4D,
    ],
  );
}
