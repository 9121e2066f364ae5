/**
 * The fused kernels of the fast cell path (see js-kernels.ts for why they are loops): sign with
 * its clipped straight-through estimator, batch norm without affine terms, a (sign →) grouped
 * pointwise conv → batch norm unit, a general weighted channel gather-sum (partial channels,
 * tiling, op mixing, edge weights, bypass, shuffle, concatenation: all one kernel), weight
 * packing with the XNOR/sign quantizers of many layers at once, and the depthwise filter
 * gradient. Layout NHWC; "pixels" P = B·H·W, channels are the last axis.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON } from './epsilon.js';
import { channelsAndPixels, registerJsKernel, registerJsOp, runJsOp, type JsKernel, type Shapes } from './js-kernels.js';
import { gradNeeded, installGradNeeds, type GradIdsAttr } from './grad-needs.js';
import type { BinarizeOptions } from './quantize.js';
import { simdFor, simdInUse } from './simd.js';
import { mixBackward, mixForward, type MixAttrs } from './channel-mix.js';

type NoAttrs = Record<string, never>;

// ---------------------------------------------------------------- sign with STE

// Branch-free on purpose: the signs of activations are close to random, and a mispredicted
// branch per element made the sign loop 4× slower (measured 7.6 vs 1.9 ns an element).
/** sign with sign(0) = +1 (the method's convention). */
const sgn = (v: number): number => 1 - 2 * +(v < 0);
/** 1[|v| ≤ 1], the clipped straight-through window. */
const inside = (v: number): number => +(Math.abs(v) <= 1);

const signForward: JsKernel<NoAttrs> = {
  name: 'BnasSign',
  outputShapes: (s) => [[...s[0]]],
  compute([x], [y]) {
    const simd = simdFor([x, y]);
    if (simd) return simd.exports.sign_forward(x.byteOffset, y.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) y[i] = sgn(x[i]);
  },
};
const signBackward: JsKernel<NoAttrs> = {
  name: 'BnasSignGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, x], [dx]) {
    const simd = simdFor([dy, x, dx]);
    if (simd) return simd.exports.sign_backward(dy.byteOffset, x.byteOffset, dx.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) dx[i] = dy[i] * inside(x[i]);
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

/** Per channel: mean(dy) and mean(dy·ŷ), the two sums of the batch-norm gradient. */
function normalizeGradStats(dy: Float32Array, yhat: Float32Array, p: number, c: number): { sumDy: Float64Array; sumDyY: Float64Array } {
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

const bnForward: JsKernel<BnAttrs> = {
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
const bnBackward: JsKernel<BnAttrs> = {
  name: 'BnasBatchNormGrad',
  outputShapes: (s) => [[...s[0]]],
  compute([dy, , , y, rstd], [dx], [shape]) {
    const { c, p } = channelsAndPixels(shape);
    const simd = simdFor([dy, y, rstd, dx], 3 * c);
    if (simd) return simd.exports.bn_backward(dy.byteOffset, y.byteOffset, rstd.byteOffset, dx.byteOffset, simd.scratch, simd.scratch + 16 * c, p, c);
    normalizeBackward(dy, y, rstd, dx, p, c);
  },
};

// ---------------------------------------------------------------- (sign →) grouped 1×1 → BN

interface PointwiseAttrs extends GradIdsAttr {
  /** Binarize the input (sign, clipped STE) before the product. */
  readonly signInput: boolean;
  readonly epsilon: number;
}

/**
 * z[p, g·c + co] = Σ_ci a(x[p, g·c + ci])·w[g, ci, co] for every pixel, a = sign or identity.
 * Group-outer, so a group's c×c weights are loaded once; c = 4 (K = 4 at 16 channels) keeps the
 * 16 weights in registers.
 */
function groupedProduct(
  x: Float32Array,
  w: Float32Array,
  z: Float32Array,
  p: number,
  g: number,
  c: number,
  signInput: boolean,
  sums: { sum: Float64Array; sumSq: Float64Array },
): void {
  const total = g * c;
  const a = new Float64Array(c);
  const { sum, sumSq } = sums;
  for (let gi = 0; gi < g; gi++) {
    const wb = gi * c * c;
    if (c === 4) {
      const [w00, w01, w02, w03, w10, w11, w12, w13, w20, w21, w22, w23, w30, w31, w32, w33] = w.subarray(wb, wb + 16);
      // Batch-norm statistics gathered on the way (saves two passes over z).
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (let i = 0, o = gi * 4; i < p; i++, o += total) {
        let a0 = x[o];
        let a1 = x[o + 1];
        let a2 = x[o + 2];
        let a3 = x[o + 3];
        if (signInput) {
          a0 = sgn(a0);
          a1 = sgn(a1);
          a2 = sgn(a2);
          a3 = sgn(a3);
        }
        // Rounded to float32 first, so the statistics are those of the stored values.
        const z0 = Math.fround(a0 * w00 + a1 * w10 + a2 * w20 + a3 * w30);
        const z1 = Math.fround(a0 * w01 + a1 * w11 + a2 * w21 + a3 * w31);
        const z2 = Math.fround(a0 * w02 + a1 * w12 + a2 * w22 + a3 * w32);
        const z3 = Math.fround(a0 * w03 + a1 * w13 + a2 * w23 + a3 * w33);
        z[o] = z0;
        z[o + 1] = z1;
        z[o + 2] = z2;
        z[o + 3] = z3;
        s0 += z0; s1 += z1; s2 += z2; s3 += z3;
        q0 += z0 * z0; q1 += z1 * z1; q2 += z2 * z2; q3 += z3 * z3;
      }
      sum.set([s0, s1, s2, s3], gi * 4);
      sumSq.set([q0, q1, q2, q3], gi * 4);
      continue;
    }
    for (let i = 0, o = gi * c; i < p; i++, o += total) {
      for (let ci = 0; ci < c; ci++) a[ci] = signInput ? sgn(x[o + ci]) : x[o + ci];
      for (let co = 0; co < c; co++) {
        let acc = 0;
        for (let ci = 0, wi = wb + co; ci < c; ci++, wi += c) acc += a[ci] * w[wi];
        const v = Math.fround(acc);
        z[o + co] = v;
        sum[gi * c + co] += v;
        sumSq[gi * c + co] += v * v;
      }
    }
  }
}

/**
 * Backward of {@link groupedProduct}: dx = (dz·wᵀ)·1[|x| ≤ 1 if sign], dw[g] = a(x_g)ᵀ·dz_g.
 */
function groupedProductBackward(
  x: Float32Array,
  w: Float32Array,
  dz: Float32Array,
  dx: Float32Array,
  dw: Float32Array,
  p: number,
  g: number,
  c: number,
  signInput: boolean,
): void {
  const total = g * c;
  const acc = new Float64Array(c * c);
  const a = new Float64Array(c);
  for (let gi = 0; gi < g; gi++) {
    const wb = gi * c * c;
    acc.fill(0);
    for (let i = 0, o = gi * c; i < p; i++, o += total) {
      for (let ci = 0; ci < c; ci++) a[ci] = signInput ? sgn(x[o + ci]) : x[o + ci];
      for (let ci = 0; ci < c; ci++) {
        let s = 0;
        const ab = ci * c;
        const av = a[ci];
        for (let co = 0; co < c; co++) {
          const d = dz[o + co];
          acc[ab + co] += av * d;
          s += d * w[wb + ab + co];
        }
        a[ci] = s;
      }
      for (let ci = 0; ci < c; ci++) dx[o + ci] = signInput ? a[ci] * inside(x[o + ci]) : a[ci];
    }
    for (let q = 0; q < c * c; q++) dw[wb + q] = acc[q];
  }
}

/** What the batch-norm part of a pointwise unit's gradient needs, per channel. */
interface BnGrad {
  readonly dy: Float32Array;
  readonly y: Float32Array;
  readonly rstd: Float32Array;
  readonly sumDy: Float64Array;
  readonly sumDyY: Float64Array;
}

/** {@link groupedProductBackward} for group `gi` of 4 channels, weights and sums in registers. */
function groupedProductBackward4(
  x: Float32Array,
  w: Float32Array,
  bn: BnGrad,
  dx: Float32Array,
  dw: Float32Array,
  p: number,
  total: number,
  gi: number,
  signInput: boolean,
): void {
  const wb = gi * 16;
  // dz = rstd·(dy − mean(dy) − ŷ·mean(dy·ŷ)) computed on the fly (no dz pass, no scratch).
  const { dy, y } = bn;
  const ch = gi * 4;
  const [r0, r1, r2, r3] = bn.rstd.subarray(ch, ch + 4);
  const [m0, m1, m2, m3] = bn.sumDy.subarray(ch, ch + 4);
  const [n0, n1, n2, n3] = bn.sumDyY.subarray(ch, ch + 4);
  const [w00, w01, w02, w03, w10, w11, w12, w13, w20, w21, w22, w23, w30, w31, w32, w33] = w.subarray(wb, wb + 16);
  let g00 = 0, g01 = 0, g02 = 0, g03 = 0, g10 = 0, g11 = 0, g12 = 0, g13 = 0;
  let g20 = 0, g21 = 0, g22 = 0, g23 = 0, g30 = 0, g31 = 0, g32 = 0, g33 = 0;
  for (let i = 0, o = gi * 4; i < p; i++, o += total) {
    const x0 = x[o];
    const x1 = x[o + 1];
    const x2 = x[o + 2];
    const x3 = x[o + 3];
    const a0 = signInput ? sgn(x0) : x0;
    const a1 = signInput ? sgn(x1) : x1;
    const a2 = signInput ? sgn(x2) : x2;
    const a3 = signInput ? sgn(x3) : x3;
    const d0 = r0 * (dy[o] - m0 - y[o] * n0);
    const d1 = r1 * (dy[o + 1] - m1 - y[o + 1] * n1);
    const d2 = r2 * (dy[o + 2] - m2 - y[o + 2] * n2);
    const d3 = r3 * (dy[o + 3] - m3 - y[o + 3] * n3);
    g00 += a0 * d0; g01 += a0 * d1; g02 += a0 * d2; g03 += a0 * d3;
    g10 += a1 * d0; g11 += a1 * d1; g12 += a1 * d2; g13 += a1 * d3;
    g20 += a2 * d0; g21 += a2 * d1; g22 += a2 * d2; g23 += a2 * d3;
    g30 += a3 * d0; g31 += a3 * d1; g32 += a3 * d2; g33 += a3 * d3;
    const e0 = d0 * w00 + d1 * w01 + d2 * w02 + d3 * w03;
    const e1 = d0 * w10 + d1 * w11 + d2 * w12 + d3 * w13;
    const e2 = d0 * w20 + d1 * w21 + d2 * w22 + d3 * w23;
    const e3 = d0 * w30 + d1 * w31 + d2 * w32 + d3 * w33;
    if (signInput) {
      dx[o] = e0 * inside(x0);
      dx[o + 1] = e1 * inside(x1);
      dx[o + 2] = e2 * inside(x2);
      dx[o + 3] = e3 * inside(x3);
    } else {
      dx[o] = e0;
      dx[o + 1] = e1;
      dx[o + 2] = e2;
      dx[o + 3] = e3;
    }
  }
  dw.set([g00, g01, g02, g03, g10, g11, g12, g13, g20, g21, g22, g23, g30, g31, g32, g33], wb);
}

/** Reused scratch for the batch-norm gradient of a pointwise unit (grown on demand, never shared across calls). */
let scratch = new Float32Array(0);
function scratchOf(size: number): Float32Array {
  if (scratch.length < size) scratch = new Float32Array(size);
  return scratch.subarray(0, size);
}

/** Whether the SIMD pointwise kernels take c channels a group (4 channels, i.e. 1 or 2 groups, a vector). */
const simdPointwise = (c: number, total: number): boolean => (c === 4 || c === 2) && total % 4 === 0;
/** Wide groups (≥ 8 channels in fours) on the SIMD kernels: no batched matMul (wasm runs it ~4× slower than per group). */
const simdWide = (c: number): boolean => c >= WIDE_GROUP && c % 4 === 0;

/** sign? → grouped 1×1 → batch norm. Outputs ŷ [P, G·c] and rstd [G·c]. */
const pwBnForward: JsKernel<PointwiseAttrs> = {
  name: 'BnasPointwiseBn',
  outputShapes: (s) => [[...s[0]], [s[0][s[0].length - 1]]],
  compute([x, w], [y, rstd], [xs, ws], { signInput, epsilon }) {
    const { c: total, p } = channelsAndPixels(xs);
    const wide = simdWide(ws[1]) ? simdFor([x, w, y, rstd], 2 * total) : undefined;
    if (wide) return wide.exports.pw_wide_forward(x.byteOffset, w.byteOffset, y.byteOffset, rstd.byteOffset, wide.scratch, p, total, ws[1], +signInput, epsilon);
    const simd = simdPointwise(ws[1], total) ? simdFor([x, w, y, rstd], 2 * total) : undefined;
    if (simd) {
      simd.exports.pw_bn_forward(x.byteOffset, w.byteOffset, y.byteOffset, rstd.byteOffset, simd.scratch, p, total, ws[1], +signInput, epsilon);
      return;
    }
    const sums = { sum: new Float64Array(total), sumSq: new Float64Array(total) };
    groupedProduct(x, w, y, p, ws[0], ws[1], signInput, sums);
    // One-pass moments in float64: the products are O(1) with near-zero means here, so
    // E[z²] − E[z]² loses nothing that matters (checked against the two-pass batchNorm in tests).
    const mean = new Float64Array(total);
    for (let j = 0; j < total; j++) {
      mean[j] = sums.sum[j] / p;
      rstd[j] = 1 / Math.sqrt(Math.max(sums.sumSq[j] / p - mean[j] * mean[j], 0) + epsilon);
    }
    normalize(y, y, p, total, mean, rstd);
  },
};
/**
 * The gradient of a pointwise unit: dx and/or dw (at least one). Inputs: dy, d(rstd) (unused), x,
 * w, ŷ, rstd. What is computed is computed the same way whichever is asked (bit-identical): the
 * SIMD kernels skip the other product; the TypeScript loops compute both into a throwaway array.
 */
function pointwiseBackward(ins: readonly Float32Array[], dxOut: Float32Array | undefined, dwOut: Float32Array | undefined, shapes: Shapes, signInput: boolean): void {
  const [dy, , x, w, y, rstd] = ins;
  const { c: total, p } = channelsAndPixels(shapes[2]);
  const [g, c] = shapes[3];
  const want = (dxOut ? 1 : 0) | (dwOut ? 2 : 0);
  // The SIMD kernels never touch the output they were not asked for; dy stands in for its address.
  const outs = [dxOut ?? dy, dwOut ?? dy];
  const accDoubles = 2 * c + c * c;
  const wide = simdWide(c) ? simdFor([dy, x, w, y, rstd, ...outs], accDoubles + Math.ceil((3 * c + c * c) / 2)) : undefined;
  if (wide) {
    const part = wide.scratch + 8 * accDoubles;
    wide.exports.pw_wide_backward(dy.byteOffset, x.byteOffset, w.byteOffset, y.byteOffset, rstd.byteOffset, outs[0].byteOffset, outs[1].byteOffset, wide.scratch, part, p, total, c, +signInput, want);
    return;
  }
  const simd = simdPointwise(c, total) ? simdFor([dy, x, w, y, rstd, ...outs], 6 * total) : undefined;
  if (simd) {
    simd.exports.pw_bn_backward(dy.byteOffset, x.byteOffset, w.byteOffset, y.byteOffset, rstd.byteOffset, outs[0].byteOffset, outs[1].byteOffset, simd.scratch, p, total, c, +signInput, want);
    return;
  }
  const dx = dxOut ?? new Float32Array(x.length);
  const dw = dwOut ?? new Float32Array(w.length);
  if (c === 4) {
    const bn = { dy, y, rstd, ...normalizeGradStats(dy, y, p, total) };
    for (let gi = 0; gi < g; gi++) groupedProductBackward4(x, w, bn, dx, dw, p, total, gi, signInput);
    return;
  }
  const dz = scratchOf(p * total);
  normalizeBackward(dy, y, rstd, dz, p, total);
  groupedProductBackward(x, w, dz, dx, dw, p, g, c, signInput);
}

/** Inputs: dy, d(rstd) (unused), x, w, ŷ, rstd. Outputs dx, dw (a weight step). */
const pwBnBackward: JsKernel<PointwiseAttrs> = {
  name: 'BnasPointwiseBnGrad',
  outputShapes: (s) => [[...s[2]], [...s[3]]],
  compute: (ins, [dx, dw], shapes, { signInput }) => pointwiseBackward(ins, dx, dw, shapes, signInput),
};
/** As {@link pwBnBackward}, dx only (an architecture step: the filters are not differentiated). */
const pwBnInputGrad: JsKernel<PointwiseAttrs> = {
  name: 'BnasPointwiseBnInputGrad',
  outputShapes: (s) => [[...s[2]]],
  compute: (ins, [dx], shapes, { signInput }) => pointwiseBackward(ins, dx, undefined, shapes, signInput),
};
/** As {@link pwBnBackward}, dw only (the input is not on the differentiated path). */
const pwBnFilterGrad: JsKernel<PointwiseAttrs> = {
  name: 'BnasPointwiseBnFilterGrad',
  outputShapes: (s) => [[...s[3]]],
  compute: (ins, [dw], shapes, { signInput }) => pointwiseBackward(ins, undefined, dw, shapes, signInput),
};

// ---------------------------------------------------------------- channel groups ↔ batch

/** From this many channels a group, the grouped 1×1 runs as a batched matrix product. */
const WIDE_GROUP = 8;

interface GroupAttrs {
  readonly groups: number;
}

/** x [..., G·c] → [G, P, c] (group g's channels of every pixel, contiguous). */
const toGroups: JsKernel<GroupAttrs> = {
  name: 'BnasToGroups',
  outputShapes: (s, { groups }) => {
    const { c, p } = channelsAndPixels(s[0]);
    return [[groups, p, c / groups]];
  },
  compute([x], [y], [shape], { groups }) {
    const { c: total, p } = channelsAndPixels(shape);
    const c = total / groups;
    for (let g = 0; g < groups; g++) {
      for (let i = 0, src = g * c, dst = g * p * c; i < p; i++, src += total, dst += c) {
        for (let j = 0; j < c; j++) y[dst + j] = x[src + j];
      }
    }
  },
};
/** [G, P, c] → [P, G·c], the inverse of {@link toGroups}. */
const fromGroups: JsKernel<GroupAttrs> = {
  name: 'BnasFromGroups',
  outputShapes: (s) => [[s[0][1], s[0][0] * s[0][2]]],
  compute([x], [y], [shape]) {
    const [groups, p, c] = shape;
    const total = groups * c;
    for (let g = 0; g < groups; g++) {
      for (let i = 0, dst = g * c, src = g * p * c; i < p; i++, dst += total, src += c) {
        for (let j = 0; j < c; j++) y[dst + j] = x[src + j];
      }
    }
  },
};
/** Gradient of {@link toGroups}: inputs dy [G, P, c], x; output [P..., G·c] shaped like x. */
const toGroupsGrad: JsKernel<GroupAttrs> = {
  name: 'BnasToGroupsGrad',
  outputShapes: (s) => [[...s[1]]],
  compute([dy], [dx], shapes, attrs) {
    fromGroups.compute([dy], [dx], [shapes[0]], attrs);
  },
};
/** Gradient of {@link fromGroups}: inputs dy [P, G·c], x [G, P, c]; output [G, P, c]. */
const fromGroupsGrad: JsKernel<GroupAttrs> = {
  name: 'BnasFromGroupsGrad',
  outputShapes: (s) => [[...s[1]]],
  compute([dy], [dx], shapes, attrs) {
    toGroups.compute([dy], [dx], [shapes[0]], attrs);
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
        const q = weights === 'none' ? v : sgn(v) * (a ? a[a.length === 1 ? 0 : i % c] : 1);
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

/** Several packs in one kernel call: group g packs `counts[g]` consecutive inputs with `layouts[g]`. */
interface PackManyAttrs {
  readonly layouts: ('dw' | 'pw')[];
  readonly counts: number[];
  readonly weights: BinarizeOptions['weights'];
  readonly scale: BinarizeOptions['scale'];
}

/** [first input, count] of each group. */
function packGroups(counts: readonly number[]): [number, number][] {
  let at = 0;
  return counts.map((n) => {
    const g: [number, number] = [at, n];
    at += n;
    return g;
  });
}

/** Inputs: every group's layers in order. Outputs: one packed filter per group (as BnasPackWeights). */
const packManyForward: JsKernel<PackManyAttrs> = {
  name: 'BnasPackMany',
  outputShapes: (s, a) => packGroups(a.counts).flatMap(([at, n], g) => packForward.outputShapes(s.slice(at, at + n), { ...a, layout: a.layouts[g] })),
  compute(ws, outs, shapes, a) {
    packGroups(a.counts).forEach(([at, n], g) => packForward.compute(ws.slice(at, at + n), [outs[g]], shapes.slice(at, at + n), { ...a, layout: a.layouts[g] }));
  },
};
/** Inputs: dy of each group's packed filter, then every layer. Outputs: one gradient per layer. */
const packManyBackward: JsKernel<PackManyAttrs> = {
  name: 'BnasPackManyGrad',
  outputShapes: (s, a) => s.slice(a.counts.length).map((x) => [...x]),
  compute(ins, outs, shapes, a) {
    const G = a.counts.length;
    packGroups(a.counts).forEach(([at, n], g) =>
      packBackward.compute([ins[g], ...ins.slice(G + at, G + at + n)], outs.slice(at, at + n), [shapes[g], ...shapes.slice(G + at, G + at + n)], { ...a, layout: a.layouts[g] }),
    );
  },
};

/**
 * The pointwise unit's gradient: both products in one pass when both are needed (a weight step),
 * else one lazy closure per input, so an architecture step — whose packed filters are not a
 * function of α, β ({@link gradNeeded}) — runs the input gradient only.
 */
function registerPointwiseBn(): void {
  for (const k of [pwBnForward, pwBnBackward, pwBnInputGrad, pwBnFilterGrad]) registerJsKernel(k);
  if (tf.getGradient(pwBnForward.name)) return;
  tf.registerGradient({
    kernelName: pwBnForward.name,
    saveAllInputs: true,
    outputsToSave: [true, true],
    gradFunc: (dy, saved, attrs) => {
      const ins = [...(Array.isArray(dy) ? dy : [dy]), ...saved];
      const ids = (attrs as unknown as PointwiseAttrs).gradIds;
      if (gradNeeded(ids?.[0]) && gradNeeded(ids?.[1])) {
        const [dx, dw] = runJsOp(pwBnBackward.name, ins, attrs);
        return { 0: () => dx, 1: () => dw };
      }
      return { 0: () => runJsOp(pwBnInputGrad.name, ins, attrs)[0], 1: () => runJsOp(pwBnFilterGrad.name, ins, attrs)[0] };
    },
  });
}

/**
 * The channel mix's gradient: every map and the coefficients in one pass, but without the
 * coefficient sums when the coefficients are not differentiated (a weight step: they are
 * functions of α, β) — the maps' gradients are the same arithmetic either way.
 */
function registerChannelMix(): void {
  registerJsKernel(mixForward);
  registerJsKernel(mixBackward);
  if (tf.getGradient(mixForward.name)) return;
  tf.registerGradient({
    kernelName: mixForward.name,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as MixAttrs;
      const ins = [dy as tf.Tensor, ...saved];
      const hasCoef = saved.length > a.maps;
      const noCoefGrad = hasCoef && !gradNeeded(a.gradIds?.[a.maps]);
      const grads = runJsOp(mixBackward.name, ins, noCoefGrad ? { ...a, noCoefGrad } : a);
      const out: Record<string, () => tf.Tensor> = {};
      grads.forEach((g, i) => (out[String(i)] = () => g));
      // Not called when the coefficients are off the path (tape pruning); computed all if it is.
      if (noCoefGrad) out[String(a.maps)] = () => runJsOp(mixBackward.name, ins, a)[a.maps];
      return out;
    },
  });
}

let registered = false;

/** Registers the kernels and their gradients (once per process / worker). */
export function registerCellKernels(): void {
  if (registered) return;
  installGradNeeds();
  registerJsOp(signForward, signBackward);
  registerJsOp(bnForward, bnBackward, [true, true]);
  registerPointwiseBn();
  registerChannelMix();
  registerJsOp(packForward, packBackward);
  registerJsOp(packManyForward, packManyBackward);
  registerJsOp(toGroups, toGroupsGrad);
  registerJsOp(fromGroups, fromGroupsGrad);
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
  const c = w.shape[1];
  if (c < WIDE_GROUP || (simdWide(c) && simdInUse())) {
    const attrs: PointwiseAttrs = { signInput, epsilon, gradIds: [x.id, w.id] };
    return runJsOp('BnasPointwiseBn', [x, w], attrs)[0] as tf.Tensor4D;
  }
  // Wide groups: the products as one batched matrix product over the groups (the backend's GEMM
  // is ~2× faster than the loop from 16 channels a group; measured in bench/engine).
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
  registerCellKernels();
  const [b, h, w] = maps[0].shape;
  for (const m of maps) {
    if (m.shape[0] !== b || m.shape[1] !== h || m.shape[2] !== w) throw new Error('channelMix: maps must share batch and spatial size');
  }
  const attrs: MixAttrs = { terms, outChannels, maps: maps.length, gradIds: coef ? [...maps.map((m) => m.id), coef.id] : undefined };
  return runJsOp('BnasChannelMix', coef ? [...maps, coef] : maps, attrs)[0] as tf.Tensor4D;
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
  registerCellKernels();
  const attrs: PackAttrs = { layout, weights: bin.weights, scale: bin.scale };
  return runJsOp('BnasPackWeights', ws, attrs)[0];
}
