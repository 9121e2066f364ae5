/**
 * The (sign →) grouped pointwise conv → batch norm unit of the fast cell path, as loop kernels
 * (SIMD on wasm) and, for wide groups, the channel-group ↔ batch moves around a batched matrix
 * product; the op is `pointwiseBn` in cell-kernels.ts. Layout NHWC; P = B·H·W pixels.
 */
import * as tf from '@tensorflow/tfjs';
import { channelsAndPixels, registerJsKernel, registerJsOp, runJsOp, type JsKernel, type Shapes } from './js-kernels.js';
import { gradNeeded, type GradIdsAttr } from './tfjs-patches.js';
import { simdFor } from './simd.js';
import { inside, normalize, normalizeBackward, normalizeGradStats, sgn } from './sign-norm-kernels.js';

// ---------------------------------------------------------------- (sign →) grouped 1×1 → BN

export interface PointwiseAttrs extends GradIdsAttr {
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
/** Wide groups (≥ 8 channels in fours) on the SIMD kernels: no batched matMul (wasm runs it slower than one product per group). */
export const simdWide = (c: number): boolean => c >= WIDE_GROUP && c % 4 === 0;

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
export const WIDE_GROUP = 8;

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

/**
 * The pointwise unit's gradient: both products in one pass when both are needed (a weight step),
 * else one lazy closure per input, so an architecture step — whose packed filters are not a
 * function of α, β ({@link gradNeeded}) — runs the input gradient only.
 */
export function registerPointwiseBn(): void {
  for (const k of [pwBnForward, pwBnBackward, pwBnInputGrad, pwBnFilterGrad]) registerJsKernel(k);
  registerJsOp(toGroups, toGroupsGrad);
  registerJsOp(fromGroups, fromGroupsGrad);
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
