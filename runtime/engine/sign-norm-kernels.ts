/**
 * Loop kernels of the fast cell path (see js-kernels.ts for why they are loops): sign with its
 * clipped straight-through estimator, and batch norm without affine terms, with the per-channel
 * arithmetic the pointwise unit (pointwise-kernels.ts) and the pre-processing
 * (preprocess-kernels.ts) share. Layout NHWC; "pixels" P = B·H·W, channels are the last axis.
 */
import { channelsAndPixels, type JsKernel } from './js-kernels.js';
import { simdFor } from './simd.js';

type NoAttrs = Record<string, never>;

// ---------------------------------------------------------------- sign with STE

// Branch-free on purpose: the signs of activations are close to random, and a mispredicted
// branch per element made the sign loop several times slower.
/** sign with sign(0) = +1 (the method's convention). */
export const sgn = (v: number): number => 1 - 2 * +(v < 0);
/** 1[|v| ≤ 1], the clipped straight-through window. */
export const inside = (v: number): number => +(Math.abs(v) <= 1);

export const signForward: JsKernel<NoAttrs> = {
  name: 'BnasSign',
  outputShapes: (s) => [[...s[0]]],
  compute([x], [y]) {
    const simd = simdFor([x, y]);
    if (simd) return simd.exports.sign_forward(x.byteOffset, y.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) y[i] = sgn(x[i]);
  },
};
export const signBackward: JsKernel<NoAttrs> = {
  name: 'BnasSignGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, x], [dx]) {
    const simd = simdFor([dy, x, dx]);
    if (simd) return simd.exports.sign_backward(dy.byteOffset, x.byteOffset, dx.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) dx[i] = dy[i] * inside(x[i]);
  },
};

// ---------------------------------------------------------------- ReLU

export const reluForward: JsKernel<NoAttrs> = {
  name: 'BnasRelu',
  outputShapes: (s) => [[...s[0]]],
  compute([x], [y]) {
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
  },
};
/** dx = dy·1[x > 0] (tfjs's ReLU gradient). */
export const reluBackward: JsKernel<NoAttrs> = {
  name: 'BnasReluGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, x], [dx]) {
    for (let i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
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
export function normalize(z: Float32Array, y: Float32Array, p: number, c: number, mean: Float64Array, rstd: Float32Array): void {
  for (let i = 0, o = 0; i < p; i++, o += c) for (let j = 0; j < c; j++) y[o + j] = (z[o + j] - mean[j]) * rstd[j];
}

/** Per channel: mean(dy) and mean(dy·ŷ), the two sums of the batch-norm gradient. */
export function normalizeGradStats(dy: Float32Array, yhat: Float32Array, p: number, c: number): { sumDy: Float64Array; sumDyY: Float64Array } {
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
  return { sumDy, sumDyY };
}

/** dz = rstd·(dy − mean(dy) − ŷ·mean(dy·ŷ)), per channel (float64 sums; the loop path of every BN gradient). */
export function normalizeBackward(dy: Float32Array, yhat: Float32Array, rstd: Float32Array, dz: Float32Array, p: number, c: number): void {
  const { sumDy, sumDyY } = normalizeGradStats(dy, yhat, p, c);
  for (let i = 0, o = 0; i < p; i++, o += c) {
    for (let j = 0; j < c; j++) dz[o + j] = rstd[j] * (dy[o + j] - sumDy[j] - yhat[o + j] * sumDyY[j]);
  }
}

interface BnAttrs {
  readonly epsilon: number;
}

export const bnForward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNorm',
  outputShapes: (s) => [[...s[0]], [s[0][s[0].length - 1]]],
  compute([x], [y, rstd], [shape], { epsilon }) {
    const { c, p } = channelsAndPixels(shape);
    // Scratch: 3c float64 sums, then 3c float32 partials and the mean.
    const simd = simdFor([x, y, rstd], 3 * c + Math.ceil(1.5 * c));
    if (simd) return simd.exports.bn_forward(x.byteOffset, y.byteOffset, rstd.byteOffset, simd.scratch, simd.scratch + 24 * c, p, c, epsilon);
    const mean = new Float64Array(c);
    channelMoments(x, p, c, mean, rstd, epsilon);
    normalize(x, y, p, c, mean, rstd);
  },
};
/** Inputs: dy, d(rstd) (unused), x, y, rstd. */
export const bnBackward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNormGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, , , y, rstd], [dx], [shape]) {
    const { c, p } = channelsAndPixels(shape);
    const simd = simdFor([dy, y, rstd, dx], 3 * c);
    if (simd) return simd.exports.bn_backward(dy.byteOffset, y.byteOffset, rstd.byteOffset, dx.byteOffset, simd.scratch, simd.scratch + 16 * c, p, c);
    normalizeBackward(dy, y, rstd, dx, p, c);
  },
};

// ---------------------------------------------------------------- batch norm, affine, training

/** Per-channel mean and biased variance of x [P, C] (float64 sums, two passes). */
function meanVariance(x: Float32Array, p: number, c: number, mean: Float32Array, variance: Float32Array): void {
  const m = new Float64Array(c);
  const v = new Float64Array(c);
  for (let i = 0, o = 0; i < p; i++, o += c) for (let j = 0; j < c; j++) m[j] += x[o + j];
  for (let j = 0; j < c; j++) m[j] /= p;
  for (let i = 0, o = 0; i < p; i++, o += c) {
    for (let j = 0; j < c; j++) {
      const d = x[o + j] - m[j];
      v[j] += d * d;
    }
  }
  for (let j = 0; j < c; j++) {
    mean[j] = m[j];
    variance[j] = v[j] / p;
  }
}

/** Inputs x [..., C], γ [C], β [C]; outputs y = γ·(x − μ)/√(σ² + ε) + β, μ [C], σ² [C] (biased). */
export const bnTrainForward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNormTrain',
  outputShapes: (s) => [[...s[0]], [...s[1]], [...s[1]]],
  compute([x, gamma, beta], [y, mean, variance], [shape], { epsilon }) {
    const { c, p } = channelsAndPixels(shape);
    // Scratch: 3c float64 sums, then 3c float32 partials and scales.
    const simd = simdFor([x, gamma, beta, y, mean, variance], 3 * c + Math.ceil(1.5 * c));
    if (simd) {
      const o = (a: Float32Array) => a.byteOffset;
      return simd.exports.bn_train_forward(o(x), o(gamma), o(beta), o(y), o(mean), o(variance), simd.scratch, simd.scratch + 24 * c, p, c, epsilon);
    }
    meanVariance(x, p, c, mean, variance);
    const scale = new Float32Array(c);
    for (let j = 0; j < c; j++) scale[j] = gamma[j] / Math.sqrt(variance[j] + epsilon);
    for (let i = 0, o = 0; i < p; i++, o += c) for (let j = 0; j < c; j++) y[o + j] = (x[o + j] - mean[j]) * scale[j] + beta[j];
  },
};
/** Inputs dy, dμ, dσ² (unused: the running statistics are not differentiated), x, γ, β, μ, σ²; outputs dx, dγ, dβ. */
export const bnTrainBackward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNormTrainGrad',
  outputShapes: (s) => [[...s[3]], [...s[4]], [...s[5]]],
  compute([dy, , , x, gamma, , mean, variance], [dx, dgamma, dbeta], shapes, { epsilon }) {
    const { c, p } = channelsAndPixels(shapes[3]);
    // Scratch: 3c float64 sums, then 6c float32 partials and per-channel factors.
    const simd = simdFor([dy, x, gamma, mean, variance, dx, dgamma, dbeta], 6 * c);
    if (simd) {
      const o = (a: Float32Array) => a.byteOffset;
      return simd.exports.bn_train_backward(o(dy), o(x), o(gamma), o(mean), o(variance), o(dx), o(dgamma), o(dbeta), simd.scratch, simd.scratch + 24 * c, p, c, epsilon);
    }
    const rstd = new Float32Array(c);
    for (let j = 0; j < c; j++) rstd[j] = 1 / Math.sqrt(variance[j] + epsilon);
    const sumDy = new Float64Array(c);
    const sumDyX = new Float64Array(c);
    for (let i = 0, o = 0; i < p; i++, o += c) {
      for (let j = 0; j < c; j++) {
        sumDy[j] += dy[o + j];
        sumDyX[j] += dy[o + j] * (x[o + j] - mean[j]) * rstd[j];
      }
    }
    for (let j = 0; j < c; j++) {
      dbeta[j] = sumDy[j];
      dgamma[j] = sumDyX[j];
      sumDy[j] /= p;
      sumDyX[j] /= p;
    }
    for (let i = 0, o = 0; i < p; i++, o += c) {
      for (let j = 0; j < c; j++) {
        const xhat = (x[o + j] - mean[j]) * rstd[j];
        dx[o + j] = gamma[j] * rstd[j] * (dy[o + j] - sumDy[j] - xhat * sumDyX[j]);
      }
    }
  },
};
