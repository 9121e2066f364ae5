/**
 * The weighted channel gather-sum kernel of the fast cell path (partial channels, tiling, op
 * mixing, edge weights, bypass, shuffle, concatenation: all one kernel) and its gradient, as a
 * TypeScript loop and, on wasm, the SIMD kernels of simd/kernels.c. The op is `channelMix` in
 * cell-kernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { channelsAndPixels, registerJsKernel, runJsOp, type JsKernel, type Shapes } from './js-kernels.js';
import { simdFor, type SimdKernels } from './simd.js';
import { gradNeeded, type GradIdsAttr } from './tfjs-patches.js';

/**
 * Terms of a channel mix, 4 integers each: target channel, input index, input channel, coefficient
 * index (−1 = coefficient 1). out[p, target] = Σ coef · input[p, channel].
 */
export interface MixAttrs extends GradIdsAttr {
  readonly terms: Int32Array;
  readonly outChannels: number;
  /** Inputs that are feature maps; a coefficient vector, if any, comes after them. */
  readonly maps: number;
  /**
   * The gradient leaves out d(coef) (a weight step: the coefficients, functions of α and β, are
   * not differentiated): no coefficient sums, the maps' gradients unchanged to the bit.
   */
  readonly noCoefGrad?: boolean;
}

/** A mix's terms unpacked into parallel arrays, and grouped into runs. */
function unpackTerms(terms: Int32Array, shapes: Shapes, mapOffset: number) {
  const n = terms.length / 4;
  const target = new Int32Array(n);
  const map = new Int32Array(n);
  const channel = new Int32Array(n);
  const stride = new Int32Array(n);
  const coefIndex = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    target[t] = terms[4 * t];
    map[t] = terms[4 * t + 1];
    channel[t] = terms[4 * t + 2];
    const shape = shapes[mapOffset + map[t]];
    stride[t] = shape[shape.length - 1];
    coefIndex[t] = terms[4 * t + 3];
  }
  // Runs of up to 4 terms reading consecutive channels of one map with one coefficient (the
  // channels of one op output of one edge, or a bypass): one pass over the pixels for the run.
  const runStart: number[] = [];
  const runLength: number[] = [];
  for (let t = 0; t < n; t++) {
    const r = runStart.length - 1;
    const s = runStart[r];
    if (
      r >= 0 &&
      runLength[r] < 4 &&
      map[t] === map[s] &&
      coefIndex[t] === coefIndex[s] &&
      channel[t] === channel[s] + runLength[r]
    ) {
      runLength[r]++;
    } else {
      runStart.push(t);
      runLength.push(1);
    }
  }
  return { n, target, map, channel, stride, coefIndex, runStart, runLength };
}

/** Where {@link packRuns} put a mix's tables in the SIMD scratch (byte addresses). */
interface RunTables {
  readonly dk: number;
  readonly runs: number;
  readonly coef: number;
  readonly mapPtr: number;
  readonly dxPtr: number;
  readonly mapC: number;
  readonly nruns: number;
}

/** Float64 scratch a mix of `runs` runs over `maps` maps needs for {@link packRuns}. */
const mixScratch = (runs: number, maps: number): number => Math.ceil((8 * runs + 36 * runs + 12 * maps) / 8);

/**
 * Writes a mix's runs (8 ints each: map, channel, map channels, length | wantCoef << 8, 4 targets),
 * their coefficients and the maps' addresses into the SIMD kernels' scratch
 * (layout of kernels.c's channel_mix_*).
 */
function packRuns(
  simd: SimdKernels,
  u: ReturnType<typeof unpackTerms>,
  k: Float64Array,
  wantCoef: boolean,
  p: number,
  xs: readonly Float32Array[],
  dxs: readonly Float32Array[] = [],
): RunTables {
  const nruns = u.runStart.length;
  const base = simd.scratch;
  const runsAt = base + 8 * nruns;
  const coefAt = runsAt + 32 * nruns;
  const mapAt = coefAt + 4 * nruns;
  const ints = new Int32Array(simd.memory.buffer, runsAt, 8 * nruns);
  const coefs = new Float32Array(simd.memory.buffer, coefAt, nruns);
  const ptrs = new Int32Array(simd.memory.buffer, mapAt, 3 * xs.length);
  for (let r = 0; r < nruns; r++) {
    const t = u.runStart[r];
    const len = u.runLength[r];
    ints[8 * r] = u.map[t];
    ints[8 * r + 1] = u.channel[t];
    ints[8 * r + 2] = u.stride[t];
    ints[8 * r + 3] = len | (wantCoef && u.coefIndex[t] >= 0 ? 256 : 0);
    for (let q = 0; q < 4; q++) ints[8 * r + 4 + q] = q < len ? u.target[t + q] : 0;
    coefs[r] = k[t];
  }
  xs.forEach((x, m) => {
    ptrs[m] = x.byteOffset;
    ptrs[xs.length + m] = dxs[m]?.byteOffset ?? 0;
    ptrs[2 * xs.length + m] = x.length / p;
  });
  return { dk: base, runs: runsAt, coef: coefAt, mapPtr: mapAt, dxPtr: mapAt + 4 * xs.length, mapC: mapAt + 8 * xs.length, nruns };
}

// Pixels in blocks, terms inside a block, pixels inside a term: a term's inner loop is a plain
// strided loop over one map (fast to compile), and a block's output and input rows stay in
// cache across the block's terms. Terms outermost over all pixels strides through every map once
// per term (cache-bound); pixels outermost with terms inside is indirect (both measured slower).
const MIX_BLOCK = 64;
const mixForward: JsKernel<MixAttrs> = {
  name: 'BnasChannelMix',
  outputShapes: (s, a) => [[...s[0].slice(0, -1), a.outChannels]],
  compute(ins, [out], shapes, { terms, outChannels: co, maps }) {
    const { p } = channelsAndPixels(shapes[0]);
    const coef = ins.length > maps ? ins[maps] : undefined;
    const u = unpackTerms(terms, shapes, 0);
    const k = new Float64Array(u.n);
    for (let t = 0; t < u.n; t++) k[t] = coef && u.coefIndex[t] >= 0 ? coef[u.coefIndex[t]] : 1;
    const xs = ins.slice(0, maps);
    const simd = simdFor([...xs, out], mixScratch(u.runStart.length, maps));
    if (simd) {
      const t = packRuns(simd, u, k, false, p, xs);
      simd.exports.channel_mix_forward(t.runs, t.coef, t.nruns, t.mapPtr, out.byteOffset, p, co);
      return;
    }
    out.fill(0);
    for (let start = 0; start < p; start += MIX_BLOCK) {
      const end = Math.min(p, start + MIX_BLOCK);
      for (let r = 0; r < u.runStart.length; r++) {
        const t = u.runStart[r];
        const x = xs[u.map[t]];
        const kt = k[t];
        const st = u.stride[t];
        if (u.runLength[r] === 4) {
          const [t0, t1, t2, t3] = u.target.subarray(t, t + 4);
          for (let i = start, o = start * co, a = start * st + u.channel[t]; i < end; i++, o += co, a += st) {
            out[o + t0] += kt * x[a];
            out[o + t1] += kt * x[a + 1];
            out[o + t2] += kt * x[a + 2];
            out[o + t3] += kt * x[a + 3];
          }
          continue;
        }
        for (let q = t; q < t + u.runLength[r]; q++) {
          for (let i = start, o = start * co + u.target[q], a = start * st + u.channel[q]; i < end; i++, o += co, a += st) out[o] += kt * x[a];
        }
      }
    }
  },
};
/** Inputs: dy, maps…, coef?. Outputs: one gradient per map, then d(coef). */
const mixBackward: JsKernel<MixAttrs> = {
  name: 'BnasChannelMixGrad',
  outputShapes: (s, a) => s.slice(1, 1 + a.maps + (s.length > a.maps + 1 && !a.noCoefGrad ? 1 : 0)).map((x) => [...x]),
  compute(ins, outs, shapes, { terms, outChannels: co, maps, noCoefGrad }) {
    const dy = ins[0];
    const { p } = channelsAndPixels(shapes[0]);
    const coef = ins.length > maps + 1 ? ins[1 + maps] : undefined;
    const wantCoef = coef !== undefined && !noCoefGrad;
    const u = unpackTerms(terms, shapes, 1);
    const k = new Float64Array(u.n);
    for (let t = 0; t < u.n; t++) k[t] = coef && u.coefIndex[t] >= 0 ? coef[u.coefIndex[t]] : 1;
    const xs = ins.slice(1, 1 + maps);
    const dxs = outs.slice(0, maps);
    // A run's coefficient gradient is summed into its first term (the others share the index).
    const dk = new Float64Array(u.n);
    const simd = simdFor([dy, ...xs, ...dxs], mixScratch(u.runStart.length, maps));
    if (simd) {
      const t = packRuns(simd, u, k, wantCoef, p, xs, dxs);
      simd.exports.channel_mix_backward(t.runs, t.coef, t.nruns, t.mapPtr, t.dxPtr, t.mapC, maps, dy.byteOffset, t.dk, p, co);
      const sums = new Float64Array(simd.memory.buffer, t.dk, t.nruns);
      u.runStart.forEach((start, r) => (dk[start] = sums[r]));
    } else {
      for (const o of dxs) o.fill(0);
      mixBackwardLoop(u, k, dy, xs, dxs, dk, p, co, wantCoef);
    }
    if (wantCoef) {
      const dcoef = outs[maps];
      dcoef.fill(0);
      for (let t = 0; t < u.n; t++) if (u.coefIndex[t] >= 0) dcoef[u.coefIndex[t]] += dk[t];
    }
  },
};

/** The TypeScript loop of the mix gradient (dx of every map, coefficient sums into dk). */
function mixBackwardLoop(
  u: ReturnType<typeof unpackTerms>,
  k: Float64Array,
  dy: Float32Array,
  xs: readonly Float32Array[],
  dxs: readonly Float32Array[],
  dk: Float64Array,
  p: number,
  co: number,
  hasCoef: boolean,
): void {
  for (let start = 0; start < p; start += MIX_BLOCK) {
    const end = Math.min(p, start + MIX_BLOCK);
    for (let r = 0; r < u.runStart.length; r++) {
      const t = u.runStart[r];
      const x = xs[u.map[t]];
      const dx = dxs[u.map[t]];
      const kt = k[t];
      const st = u.stride[t];
      const wantCoef = hasCoef && u.coefIndex[t] >= 0;
      let s = 0;
      if (u.runLength[r] === 4) {
        const [t0, t1, t2, t3] = u.target.subarray(t, t + 4);
        for (let i = start, o = start * co, a = start * st + u.channel[t]; i < end; i++, o += co, a += st) {
          const d0 = dy[o + t0];
          const d1 = dy[o + t1];
          const d2 = dy[o + t2];
          const d3 = dy[o + t3];
          dx[a] += kt * d0;
          dx[a + 1] += kt * d1;
          dx[a + 2] += kt * d2;
          dx[a + 3] += kt * d3;
          if (wantCoef) s += d0 * x[a] + d1 * x[a + 1] + d2 * x[a + 2] + d3 * x[a + 3];
        }
      } else {
        for (let q = t; q < t + u.runLength[r]; q++) {
          for (let i = start, o = start * co + u.target[q], a = start * st + u.channel[q]; i < end; i++, o += co, a += st) {
            const d = dy[o];
            dx[a] += kt * d;
            if (wantCoef) s += d * x[a];
          }
        }
      }
      dk[t] += s;
    }
  }
}

/**
 * The channel mix's gradient: every map and the coefficients in one pass, but without the
 * coefficient sums when the coefficients are not differentiated (a weight step: they are
 * functions of α, β) — the maps' gradients are the same arithmetic either way.
 */
export function registerChannelMix(): void {
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
