/**
 * Direct-loop float64 references of the engine's ops (NHWC, TensorFlow 'same' geometry), and a
 * finite-difference gradient on them: the tests compare the engine's float32 forward with these
 * and its gradients with central differences computed here in float64.
 */
import * as tf from '@tensorflow/tfjs';
import { sameAxis } from '../../../runtime/engine/padding.js';

/** A dense float64 array with an NHWC-style shape. */
export interface Arr {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

export function arr(shape: readonly number[], fill: (i: number) => number): Arr {
  const size = shape.reduce((a, b) => a * b, 1);
  return { data: Float64Array.from({ length: size }, (_, i) => fill(i)), shape };
}

/** Deterministic pseudo-random values in [-1, 1) (no ties in practice). */
export function randomArr(shape: readonly number[], seed: number, scale = 1): Arr {
  let s = seed >>> 0;
  return arr(shape, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return scale * ((s / 4294967296) * 2 - 1);
  });
}

export function toTensor(a: Arr): tf.Tensor {
  return tf.tensor(Float32Array.from(a.data), [...a.shape], 'float32');
}

/**
 * Convolution by definition. Dense: w [k, k, Ci, Co]; depthwise: w [k, k, C, 1].
 * Output [B, ceil(H/s), ceil(W/s), Co] (depthwise: C).
 */
export function convRef(x: Arr, w: Arr, stride: number, dilation = 1, depthwise = false): Arr {
  const [b, h, wd, ci] = x.shape;
  const [k, , , co0] = w.shape;
  const co = depthwise ? ci : co0;
  const keff = (k - 1) * dilation + 1;
  const ay = sameAxis(h, keff, stride);
  const ax = sameAxis(wd, keff, stride);
  const out = new Float64Array(b * ay.out * ax.out * co);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < ay.out; oy++)
      for (let ox = 0; ox < ax.out; ox++)
        for (let o = 0; o < co; o++) {
          let acc = 0;
          for (let i = 0; i < k; i++) {
            const y = oy * stride - ay.before + i * dilation;
            if (y < 0 || y >= h) continue;
            for (let j = 0; j < k; j++) {
              const xx = ox * stride - ax.before + j * dilation;
              if (xx < 0 || xx >= wd) continue;
              if (depthwise) {
                acc += x.data[((n * h + y) * wd + xx) * ci + o] * w.data[(i * k + j) * ci + o];
              } else {
                for (let c = 0; c < ci; c++) {
                  acc += x.data[((n * h + y) * wd + xx) * ci + c] * w.data[((i * k + j) * ci + c) * co + o];
                }
              }
            }
          }
          out[((n * ay.out + oy) * ax.out + ox) * co + o] = acc;
        }
  return { data: out, shape: [b, ay.out, ax.out, co] };
}

/** Pooling by definition: max (padding never wins) or average excluding padding. */
export function poolRef(x: Arr, k: number, stride: number, kind: 'max' | 'avg'): Arr {
  const [b, h, wd, c] = x.shape;
  const ay = sameAxis(h, k, stride);
  const ax = sameAxis(wd, k, stride);
  const out = new Float64Array(b * ay.out * ax.out * c);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < ay.out; oy++)
      for (let ox = 0; ox < ax.out; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let i = 0; i < k; i++) {
            const y = oy * stride - ay.before + i;
            if (y < 0 || y >= h) continue;
            for (let j = 0; j < k; j++) {
              const xx = ox * stride - ax.before + j;
              if (xx < 0 || xx >= wd) continue;
              const v = x.data[((n * h + y) * wd + xx) * c + ch];
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              count++;
            }
          }
          out[((n * ay.out + oy) * ax.out + ox) * c + ch] = kind === 'max' ? acc : acc / count;
        }
  return { data: out, shape: [b, ay.out, ax.out, c] };
}

/** Batch norm without affine terms, biased batch variance. */
export function batchNormRef(x: Arr, eps = 1e-5): Arr {
  const c = x.shape[3];
  const m = x.data.length / c;
  const mean = new Float64Array(c);
  const sq = new Float64Array(c);
  x.data.forEach((v, i) => (mean[i % c] += v / m));
  x.data.forEach((v, i) => (sq[i % c] += (v - mean[i % c]) ** 2 / m));
  return { data: x.data.map((v, i) => (v - mean[i % c]) / Math.sqrt(sq[i % c] + eps)), shape: x.shape };
}

/**
 * Central-difference gradient of L(inputs) = Σ r · f(inputs) with respect to input `which`.
 * float64 throughout, so the only float32 error in a comparison is the engine's own.
 */
export function numericGrad(f: (inputs: Arr[]) => Arr, inputs: Arr[], r: Arr, which: number, h = 1e-6): Float64Array {
  const target = inputs[which];
  const grad = new Float64Array(target.data.length);
  const loss = (): number => {
    const y = f(inputs);
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += y.data[i] * r.data[i];
    return s;
  };
  for (let i = 0; i < target.data.length; i++) {
    const keep = target.data[i];
    target.data[i] = keep + h;
    const up = loss();
    target.data[i] = keep - h;
    const down = loss();
    target.data[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/** max |a − b| / max(1, max |b|): a scale-aware error for float32-vs-float64 comparisons. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/**
 * The engine side of a check: forward value and gradients of Σ r · op(inputs) for every input,
 * read back asynchronously (a GPU backend has no synchronous read-back in Node).
 * @returns plain arrays (everything tensor-shaped is disposed)
 */
export async function engineForwardAndGrads(
  op: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: Arr[],
  r: Arr,
): Promise<{ value: Float32Array; shape: number[]; grads: Float32Array[] }> {
  const [value, ...grads] = tf.tidy(() => {
    const ts = inputs.map(toTensor);
    const rt = toTensor(r);
    return [op(...ts), ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), rt)))(ts)];
  });
  try {
    return {
      value: (await value.data()) as Float32Array,
      shape: value.shape,
      grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
    };
  } finally {
    tf.dispose([value, ...grads]);
  }
}

export type TestBackend = 'cpu' | 'wasm' | 'node' | 'webgpu';

/**
 * Backends to test on: cpu and wasm always; native TensorFlow when it loads. `BNAS_TEST_BACKENDS`
 * (comma-separated) names others: the WebGPU suite (test/webgpu) runs these tests on `webgpu`.
 */
export const TEST_BACKENDS: readonly TestBackend[] = (process.env.BNAS_TEST_BACKENDS?.split(',') as TestBackend[] | undefined) ?? ['cpu', 'wasm', 'node'];

/**
 * A filter whose XNOR scale is a power of two: element i is sign(i) · m · 2^e, e ∈ {−2, …, 1}
 * from the layer's `index` (and, with `channel` scale, from the output channel), some scales
 * above 1 so the clipped estimator's mask is exercised. With sign activations a binary conv's
 * true output is a multiple of the scale, often exactly 0, and sign's answer at 0 then hangs on
 * the order of the float additions; with a power-of-two scale every partial sum is exact, so
 * two implementations agree to rounding whatever order they add in. m is 1, or with `spread` and
 * `layer` scale ½ and 3⁄2 alternating along the innermost axis (the layer's mean stays 2^e while
 * the per-channel means do not), so a path that uses the wrong scale differs by far more.
 * @param name the weight's name; depthwise filters (`.dw`) have their channel on axis 2
 * @param sign +1 or −1 for element i, called once per element in order
 */
export function powerOfTwoFilter(
  name: string,
  shape: readonly number[],
  index: number,
  scale: 'layer' | 'channel',
  sign: (i: number) => number,
  spread = false,
): tf.Tensor {
  const axis = name.endsWith('.dw') ? 2 : shape.length - 1;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const size = shape.reduce((a, b) => a * b, 1);
  const mixed = spread && scale === 'layer' && size % 2 === 0;
  const values = Array.from({ length: size }, (_, i) => {
    const channel = Math.floor(i / strides[axis]) % shape[axis];
    const e = (((scale === 'channel' ? channel : 0) + index) % 4) - 2;
    return sign(i) * (mixed ? (i % 2 === 0 ? 0.5 : 1.5) : 1) * 2 ** e;
  });
  return tf.tensor(values, [...shape]);
}
