/**
 * The loop kernels of the fused pre-processing op (preprocess.ts): a cell input's ReLU → 1×1 conv
 * → batch norm, or the factorized reduce (ReLU → two 1×1 convs on the even and the odd pixels →
 * concat → batch norm), as ReLU-and-pick → ONE matrix product → batch norm.
 *
 * Why: the composition costs a tape node per op and, backward, a transpose of dy, a transposed
 * product, ReLU's Step/Multiply and (factorized reduce) two Conv2DBackpropInput, which made the
 * pre-processing about a third of a one-op-per-edge search step's fixed cost
 * (bench/search/README.md, "Where a step's time goes"). Here the matrix products stay XNNPACK's
 * (`tf.matMul`, plain: wasm's transposed variants are several times slower, conv.ts), and everything
 * around them is a loop kernel (SIMD on wasm, simd/kernels.c):
 *  - forward `BnasPrepIn`: x [B, H, W, Ci] → H [P, m] = ReLU of the picked pixels (stride 1: every
 *    pixel, m = Ci; stride 2: the even pixel x[2i, 2j] and, for the second filter, the odd pixel
 *    x[2i+1, 2j+1] side by side, m = 2·Ci) and the filters as one block-diagonal matrix Wm [m, Co],
 *    so the two halves of the factorized reduce are one product and need no concat;
 *  - backward `BnasPrepBnGrad`: the batch-norm gradient dZ [P, Co], each filter's channels of it
 *    also transposed (dZ_kᵀ [Co_k, P], for dW_kᵀ = dZ_kᵀ·H as a plain product), and Wmᵀ [Co, m];
 *  - backward `BnasPrepInputGrad`: dx = dH·1[H > 0] scattered back to the picked pixels (zeros
 *    elsewhere), dH = dZ·Wmᵀ;
 *  - backward `BnasPrepFilterGrad`: filter k's block of dZ_kᵀ·H, transposed to [1, 1, Ci, Co_k].
 * The batch norm itself is the engine's one-kernel `BnasBatchNorm` (sign-norm-kernels.ts).
 */
import { normalizeBackward } from './sign-norm-kernels.js';
import { registerJsKernel, type JsKernel } from './js-kernels.js';
import { simdFor } from './simd.js';

/** Geometry of a pre-processing op. */
export interface PrepAttrs {
  /** 1: ReLU → 1×1 → BN; 2: factorized reduce. */
  readonly stride: number;
  /** Output channels of each filter, in output-channel order (one filter, or two at stride 2). */
  readonly splits: number[];
  /** Input shape [B, H, W, Ci] (backward kernels: the shape of dx). */
  readonly xShape: number[];
}

/** Output height and width of the op. */
export function prepOutSize(xShape: readonly number[], stride: number): [number, number] {
  return [Math.ceil(xShape[1] / stride), Math.ceil(xShape[2] / stride)];
}

/**
 * For output pixel q = (b, i, j) and filter block k: the input pixel index (b, y, x) it reads, or
 * −1 where the factorized reduce's shifted half reads its zero padding.
 */
function pixelMap(xShape: readonly number[], stride: number, blocks: number): Int32Array {
  const [b, h, w] = xShape;
  const [ho, wo] = prepOutSize(xShape, stride);
  const map = new Int32Array(b * ho * wo * blocks);
  let n = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        for (let k = 0; k < blocks; k++) {
          // Block 0: x[s·i, s·j]; block 1 (stride 2): x[2i+1, 2j+1] (FactorizedReduce's shifted half).
          const y = stride * i + k;
          const x = stride * j + k;
          map[n++] = y < h && x < w ? (bi * h + y) * w + x : -1;
        }
      }
    }
  }
  return map;
}

const maps = new Map<string, Int32Array>();

/** The cached pixel map of a geometry (shapes repeat every step). */
function cachedMap(xShape: readonly number[], stride: number, blocks: number): Int32Array {
  const key = `${xShape.join('x')}/${stride}/${blocks}`;
  let m = maps.get(key);
  if (!m) {
    m = pixelMap(xShape, stride, blocks);
    maps.set(key, m);
  }
  return m;
}

/** max(v, 0), a NaN kept (the search's NaN-loss check must still see it), as the SIMD kernel. */
function relu(v: number): number {
  return v > 0 || v !== v ? v : 0;
}

/** Number of filter blocks side by side in H: the factorized reduce's two, else one. */
function blocksOf(a: PrepAttrs): number {
  return a.stride === 2 ? a.splits.length : 1;
}

/** Inputs x [B, H, W, Ci], W_k [1, 1, Ci, splits[k]]; outputs H [P, m], Wm [m, Co]. */
const prepIn: JsKernel<PrepAttrs> = {
  name: 'BnasPrepIn',
  outputShapes(s, a) {
    const [ho, wo] = prepOutSize(s[0], a.stride);
    const m = s[0][3] * blocksOf(a);
    const co = a.splits.reduce((x, y) => x + y, 0);
    return [[s[0][0] * ho * wo, m], [m, co]];
  },
  compute([x, ...ws], [hm, wm], [xs], a) {
    const ci = xs[3];
    const blocks = blocksOf(a);
    const m = ci * blocks;
    const co = a.splits.reduce((u, v) => u + v, 0);
    const [ho, wo] = prepOutSize(xs, a.stride);
    const simd = simdFor([x, hm]);
    if (simd) {
      simd.exports.prep_relu_pick(x.byteOffset, hm.byteOffset, xs[0], xs[1], xs[2], ci, ho, wo, a.stride, blocks);
    } else if (a.stride === 1) {
      for (let i = 0; i < x.length; i++) hm[i] = relu(x[i]);
    } else {
      const map = cachedMap(xs, a.stride, blocks);
      for (let n = 0; n < map.length; n++) {
        const src = map[n] * ci;
        const dst = n * ci;
        if (map[n] < 0) {
          for (let c = 0; c < ci; c++) hm[dst + c] = 0;
        } else {
          for (let c = 0; c < ci; c++) {
            hm[dst + c] = relu(x[src + c]);
          }
        }
      }
    }
    // Block-diagonal filters: rows [k·Ci, (k+1)·Ci) × columns of filter k hold W_k.
    wm.fill(0, 0, m * co);
    for (let k = 0, col = 0; k < ws.length; col += a.splits[k], k++) {
      const w = ws[k];
      const ck = a.splits[k];
      for (let r = 0; r < ci; r++) {
        const row = (k * ci + r) * co + col;
        for (let c = 0; c < ck; c++) wm[row + c] = w[r * ck + c];
      }
    }
  },
};

/** Column offset of each filter's block in the output channels. */
function offsets(splits: readonly number[]): number[] {
  const out: number[] = [];
  splits.reduce((acc, c) => (out.push(acc), acc + c), 0);
  return out;
}

/**
 * Inputs dy [B, Ho, Wo, Co], y (BN output, same shape), rstd [Co], W_k [1, 1, Ci, Co_k]; outputs
 * dZ [P, Co] (the batch-norm gradient), dZ_kᵀ [Co_k, P] for each filter (its channels of dZ,
 * transposed), Wmᵀ [Co, m] (the block-diagonal filter matrix, transposed).
 */
const prepBnGrad: JsKernel<PrepAttrs> = {
  name: 'BnasPrepBnGrad',
  outputShapes(s, a) {
    const co = s[0][3];
    const p = s[0][0] * s[0][1] * s[0][2];
    return [[p, co], ...a.splits.map((ck) => [ck, p]), [co, a.xShape[3] * blocksOf(a)]];
  },
  compute([dy, y, rstd, ...ws], [dz, ...rest], [ys], a) {
    const c = ys[3];
    const p = dy.length / c;
    const dzts = rest.slice(0, a.splits.length);
    const wmt = rest[a.splits.length];
    const cols = offsets(a.splits);
    const simd = simdFor([dy, y, rstd, dz, ...dzts], 3 * c);
    if (simd) {
      simd.exports.bn_backward(dy.byteOffset, y.byteOffset, rstd.byteOffset, dz.byteOffset, simd.scratch, simd.scratch + 16 * c, p, c);
      dzts.forEach((t, k) => simd.exports.prep_transpose(dz.byteOffset, t.byteOffset, p, c, cols[k], a.splits[k]));
    } else {
      normalizeBackward(dy, y, rstd, dz, p, c);
      dzts.forEach((t, k) => {
        for (let j = 0; j < a.splits[k]; j++) for (let i = 0; i < p; i++) t[j * p + i] = dz[i * c + cols[k] + j];
      });
    }
    // Wmᵀ[col_k + j, k·Ci + r] = W_k[r, j], zeros off the diagonal blocks.
    const ci = a.xShape[3];
    const m = ci * blocksOf(a);
    wmt.fill(0, 0, c * m);
    ws.forEach((w, k) => {
      const ck = a.splits[k];
      for (let r = 0; r < ci; r++) for (let j = 0; j < ck; j++) wmt[(cols[k] + j) * m + k * ci + r] = w[r * ck + j];
    });
  },
};

/** Inputs dH [P, m], H [P, m]; output dx [B, H, W, Ci] (ReLU's mask, scattered back to the picked pixels). */
const prepInputGrad: JsKernel<PrepAttrs> = {
  name: 'BnasPrepInputGrad',
  outputShapes: (_s, a) => [[...a.xShape]],
  compute([dh, hm], [dx], _s, a) {
    const ci = a.xShape[3];
    const blocks = blocksOf(a);
    const [ho, wo] = prepOutSize(a.xShape, a.stride);
    const simd = simdFor([dh, hm, dx]);
    if (simd) {
      simd.exports.prep_out_grad(dh.byteOffset, hm.byteOffset, dx.byteOffset, a.xShape[0], a.xShape[1], a.xShape[2], ci, ho, wo, a.stride, blocks);
    } else if (a.stride === 1) {
      // ReLU's gradient: H > 0 exactly where x > 0.
      for (let i = 0; i < dx.length; i++) dx[i] = hm[i] > 0 ? dh[i] : 0;
    } else {
      dx.fill(0);
      const map = cachedMap(a.xShape, a.stride, blocks);
      // Each input pixel is picked at most once (even and odd pixels differ), so no sums.
      for (let n = 0; n < map.length; n++) {
        if (map[n] < 0) continue;
        const src = n * ci;
        const dst = map[n] * ci;
        for (let c = 0; c < ci; c++) dx[dst + c] = hm[src + c] > 0 ? dh[src + c] : 0;
      }
    }
  },
};

/** Filter k's gradient: input dZ_kᵀ·H [Co_k, m]; output dW_k [1, 1, Ci, Co_k] (its block, transposed). */
const prepFilterGrad: JsKernel<PrepAttrs & { readonly block: number }> = {
  name: 'BnasPrepFilterGrad',
  outputShapes: (_s, a) => [[1, 1, a.xShape[3], a.splits[a.block]]],
  compute([g], [dw], _s, a) {
    const ci = a.xShape[3];
    const m = ci * blocksOf(a);
    const ck = a.splits[a.block];
    const from = a.block * ci;
    for (let r = 0; r < ci; r++) for (let j = 0; j < ck; j++) dw[r * ck + j] = g[j * m + from + r];
  },
};

/** Columns [from, from + len) of t [P, n], as [B, Ho, Wo, len] (a filter's block of H or dZ). */
const prepBlock: JsKernel<{ readonly from: number; readonly len: number; readonly shape: number[] }> = {
  name: 'BnasPrepBlock',
  outputShapes: (_s, a) => [[...a.shape, a.len]],
  compute([t], [out], [ts], { from, len }) {
    const n = ts[1];
    const p = ts[0];
    for (let i = 0; i < p; i++) for (let j = 0; j < len; j++) out[i * len + j] = t[i * n + from + j];
  },
};

let registered = false;

/** Registers the three kernels on every backend (once per process / worker). */
export function registerPrepKernels(): void {
  if (registered) return;
  registerJsKernel(prepIn);
  registerJsKernel(prepBnGrad);
  registerJsKernel(prepInputGrad);
  registerJsKernel(prepFilterGrad);
  registerJsKernel(prepBlock);
  registered = true;
}
