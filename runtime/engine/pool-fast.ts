/**
 * Max and average pooling ('same', k×k, stride 1 or 2, padding excluded from the average) as
 * registered kernels with registered gradients, SIMD on wasm: the stock route costs a shift (max:
 * wasm's MaxPoolGrad is wrong for negative maxima), a count map and a rescale (average), and
 * wasm's MaxPoolGrad/AvgPoolGrad were ~15 % of a fused cell step. Same values and gradients as
 * pool.ts (maximum: the first maximum of a window in row-major order gets the gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { registerJsKernel, registerJsOp, runJsOp, type JsKernel, type Shapes } from './js-kernels.js';
import { sameAxis } from './padding.js';
import { simdFor } from './simd.js';

interface PoolAttrs {
  readonly k: number;
  readonly stride: number;
}

/** Geometry of a pooling call: [b, h, w, c, ho, wo, k, stride, padTop, padLeft]. */
function geometry(shape: Shapes[number], { k, stride }: PoolAttrs): number[] {
  const [b, h, w, c] = shape;
  const ay = sameAxis(h, k, stride);
  const ax = sameAxis(w, k, stride);
  return [b, h, w, c, ay.out, ax.out, k, stride, ay.before, ax.before];
}

/** Calls `f(o, i)` for every output position o and input position i of its window (element offsets of pixel starts). */
function eachWindow(g: number[], f: (o: number, i: number, count: number) => void): void {
  const [b, h, w, c, ho, wo, k, stride, pt, pl] = g;
  for (let bi = 0; bi < b; bi++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const y0 = Math.max(0, oy * stride - pt);
        const y1 = Math.min(h, oy * stride - pt + k);
        const x0 = Math.max(0, ox * stride - pl);
        const x1 = Math.min(w, ox * stride - pl + k);
        const count = (y1 - y0) * (x1 - x0);
        const o = ((bi * ho + oy) * wo + ox) * c;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) f(o, ((bi * h + iy) * w + ix) * c, count);
      }
    }
  }
}

/** The SIMD kernels when every array is on the wasm heap and channels come in fours, else undefined (the loops run). */
function simdPool(arrays: Float32Array[], g: number[]): NonNullable<ReturnType<typeof simdFor>>['exports'] | undefined {
  const simd = simdFor(arrays);
  return simd && g[3] % 4 === 0 ? simd.exports : undefined;
}

const outShape = (s: Shapes, a: PoolAttrs): number[][] => {
  const g = geometry(s[0], a);
  return [[g[0], g[4], g[5], g[3]]];
};

const maxForward: JsKernel<PoolAttrs> = {
  name: 'BnasMaxPool',
  outputShapes: outShape,
  compute([x], [y], [shape], attrs) {
    const g = geometry(shape, attrs);
    const simd = simdPool([x, y], g);
    if (simd) return simd.max_pool_forward(x.byteOffset, y.byteOffset, ...(g as Geometry));
    y.fill(-Infinity);
    eachWindow(g, (o, i) => {
      for (let j = 0; j < g[3]; j++) if (x[i + j] > y[o + j]) y[o + j] = x[i + j];
    });
  },
};
/** Inputs dy, x. */
const maxBackward: JsKernel<PoolAttrs> = {
  name: 'BnasMaxPoolGrad',
  outputShapes: (s) => [[...s[1]]],
  compute([dy, x], [dx], shapes, attrs) {
    const g = geometry(shapes[1], attrs);
    const simd = simdPool([dy, x, dx], g);
    if (simd) return simd.max_pool_backward(dy.byteOffset, x.byteOffset, dx.byteOffset, ...(g as Geometry));
    const c = g[3];
    dx.fill(0);
    const best = new Float64Array(c);
    const at = new Int32Array(c);
    let current = -1;
    const flush = (): void => {
      if (current >= 0) for (let j = 0; j < c; j++) dx[at[j] + j] += dy[current + j];
    };
    eachWindow(g, (o, i) => {
      if (o !== current) {
        flush();
        current = o;
        best.fill(-Infinity);
      }
      for (let j = 0; j < c; j++) {
        if (x[i + j] > best[j]) {
          best[j] = x[i + j];
          at[j] = i;
        }
      }
    });
    flush();
  },
};

/**
 * Inputs dy, x: the stock route's max-pool gradient (pool.ts, maxPoolGradRouted) in one kernel —
 * windows compared on x + s, s = max(0, 1 − min(x)) in float32, and dy given to the LAST
 * maximum in row-major order, as wasm's MaxPoolGrad does on the shifted input. The same bits as
 * that route, also where the shift rounds two values to a tie (a search is chaotic in them).
 */
const maxBackwardShifted: JsKernel<PoolAttrs> = {
  name: 'BnasMaxPoolGradShifted',
  outputShapes: (s) => [[...s[1]]],
  compute([dy, x], [dx], shapes, attrs) {
    const g = geometry(shapes[1], attrs);
    const simd = simdFor([dy, x, dx]);
    if (simd) return simd.exports.max_pool_backward_shifted(dy.byteOffset, x.byteOffset, dx.byteOffset, ...(g as Geometry));
    let m = x[0];
    for (let i = 1; i < x.length; i++) if (x[i] < m) m = x[i];
    let s = Math.fround(1 - m);
    if (!(s > 0)) s = 0;
    const c = g[3];
    dx.fill(0);
    const best = new Float32Array(c);
    const at = new Int32Array(c);
    let current = -1;
    const flush = (): void => {
      if (current >= 0) for (let j = 0; j < c; j++) if (at[j] >= 0) dx[at[j] + j] += dy[current + j];
    };
    eachWindow(g, (o, i) => {
      if (o !== current) {
        flush();
        current = o;
        best.fill(-Infinity);
        at.fill(-1);
      }
      for (let j = 0; j < c; j++) {
        const v = Math.fround(x[i + j] + s);
        if (v >= best[j]) {
          best[j] = v;
          at[j] = i;
        }
      }
    });
    flush();
  },
};

const avgForward: JsKernel<PoolAttrs> = {
  name: 'BnasAvgPool',
  outputShapes: outShape,
  compute([x], [y], [shape], attrs) {
    const g = geometry(shape, attrs);
    const simd = simdPool([x, y], g);
    if (simd) return simd.avg_pool_forward(x.byteOffset, y.byteOffset, ...(g as Geometry));
    y.fill(0);
    eachWindow(g, (o, i, count) => {
      for (let j = 0; j < g[3]; j++) y[o + j] += x[i + j] / count;
    });
  },
};
/** Inputs dy, x (unused: the gradient needs only the geometry). */
const avgBackward: JsKernel<PoolAttrs> = {
  name: 'BnasAvgPoolGrad',
  outputShapes: (s) => [[...s[1]]],
  compute([dy], [dx], shapes, attrs) {
    const g = geometry(shapes[1], attrs);
    const simd = simdPool([dy, dx], g);
    if (simd) return simd.avg_pool_backward(dy.byteOffset, dx.byteOffset, ...(g as Geometry));
    dx.fill(0);
    eachWindow(g, (o, i, count) => {
      for (let j = 0; j < g[3]; j++) dx[i + j] += dy[o + j] / count;
    });
  },
};

type Geometry = [number, number, number, number, number, number, number, number, number, number];

let registered = false;

function registerPoolKernels(): void {
  if (registered) return;
  registerJsOp(maxForward, maxBackward);
  registerJsOp(avgForward, avgBackward);
  registerJsKernel(maxBackwardShifted);
  registered = true;
}

/**
 * The gradient of a k×k 'same' max pool alone, one kernel, with the stock route's routing (see
 * `BnasMaxPoolGradShifted`): for pools whose forward is the backend's own (the reduction bypass's 2×2).
 * @param dy gradient of the pooled output, shape [B, Ho, Wo, C], float32
 * @param x the pool's input, shape [B, H, W, C], float32
 * @returns shape [B, H, W, C], float32
 */
export function maxPoolGradShifted(dy: tf.Tensor4D, x: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  registerPoolKernels();
  return runJsOp(maxBackwardShifted.name, [dy, x], { k, stride } satisfies PoolAttrs)[0] as tf.Tensor4D;
}

/**
 * Max or average pooling k×k, 'same', stride 1 or 2 (average: padding excluded from the count),
 * one kernel each way.
 * @param x shape [B, H, W, C], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function poolFast(kind: 'max' | 'avg', x: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  registerPoolKernels();
  return runJsOp(kind === 'max' ? maxForward.name : avgForward.name, [x], { k, stride } satisfies PoolAttrs)[0] as tf.Tensor4D;
}
