/**
 * The WebAssembly SIMD kernels (runtime/engine/simd/kernels.c) equal the TypeScript loops they
 * replace on the wasm backend — forward values and gradients on random inputs (the loops are
 * checked against the engine's verified ops in cell-kernels.test.ts, which on wasm now runs the
 * SIMD path; ops.test.ts checks the dense conv against finite differences) — write no byte of the shared heap outside their outputs and scratch, are really in
 * use after initBackend('wasm'), and leak no tensors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batchNormFast, batchNormTrain, channelMix, pointwiseBn, signSte } from '../../../runtime/engine/cell-kernels.js';
import { conv2d } from '../../../runtime/engine/conv.js';
import { depthwiseFast } from '../../../runtime/engine/depthwise-fast.js';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { avgPool, maxPool } from '../../../runtime/engine/pool.js';
import { poolFast } from '../../../runtime/engine/pool-fast.js';
import { installSimdKernels, simdFor, simdInUse as useSimd, simdSupported, useSimdKernels } from '../../../runtime/engine/simd.js';
import { SIMD_WASM_BASE64 } from '../../../runtime/engine/simd/kernels-wasm.js';
import { useBackend } from './backends.js';
import { randomArr, relError } from './reference.js';

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(Float32Array.from(randomArr(shape, seed, scale).data), shape);
}

/** Value and every input gradient of sum(f(inputs)·r), with the SIMD kernels on or off. */
function run(simd: boolean, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Float32Array[] {
  useSimdKernels(simd);
  try {
    return tf.tidy(() => {
      const y = f(...inputs);
      const r = rand([...y.shape], 99);
      const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
      return [y, ...g].map((t) => t.dataSync() as Float32Array);
    });
  } finally {
    useSimdKernels(true);
  }
}

function assertSimdEqualsLoop(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = 2e-5): void {
  const fast = run(true, f, inputs);
  const loop = run(false, f, inputs);
  fast.forEach((v, i) => {
    const e = relError(v, loop[i]);
    assert.ok(e < tol, `${i === 0 ? 'forward' : `gradient of input ${i - 1}`} differs by ${e}`);
  });
  tf.dispose(inputs);
}

describe('SIMD kernels (wasm)', () => {
  test('are validated by this Node and installed by initBackend', async () => {
    assert.equal(await useBackend('wasm'), undefined);
    assert.ok(SIMD_WASM_BASE64.length > 1000, 'the compiled module is embedded');
    assert.ok(simdSupported());
    assert.ok(installSimdKernels().used);
    const t = tf.ones([8]);
    const view = (tf.backend() as unknown as { typedArrayFromHeap(t: tf.Tensor): Float32Array }).typedArrayFromHeap(t);
    assert.ok(simdFor([view]), 'a heap view gets the kernels');
    assert.equal(simdFor([new Float32Array(8)]), undefined, 'a JS array does not');
    t.dispose();
  });

  for (const [k, stride, dilation, c] of [[3, 1, 1, 16], [5, 1, 1, 12], [3, 2, 1, 8], [5, 2, 1, 20], [3, 1, 2, 13], [5, 1, 2, 4], [1, 1, 1, 6], [3, 2, 2, 8], [5, 1, 3, 4]]) {
    test(`depthwise conv (forward, input and filter gradients) = XNNPACK + loop (k ${k}, stride ${stride}, dilation ${dilation}, ${c} channels)`, async () => {
      await useBackend('wasm');
      assertSimdEqualsLoop((x, w) => depthwiseFast(x as tf.Tensor4D, w as tf.Tensor4D, stride, dilation), [rand([3, 9, 7, c], 1, 2), rand([k, k, c, 1], 2)]);
    });
  }

  for (const [signInput, g, c] of [[true, 3, 4], [false, 3, 4], [true, 1, 4], [false, 5, 4], [true, 6, 2], [false, 2, 2], [true, 2, 8], [false, 3, 16], [true, 1, 12], [true, 2, 20]] as const) {
    test(`sign? → grouped 1×1 → BN = loop (${signInput ? 'sign' : 'real'}, ${g} groups of ${c})`, async () => {
      await useBackend('wasm');
      // 4·37·11 pixels: not a multiple of the kernels' 64-pixel chunks.
      assertSimdEqualsLoop((x, w) => pointwiseBn(x as tf.Tensor4D, w as tf.Tensor3D, signInput), [rand([4, 37, 11, c * g], 3, 1.5), rand([g, c, c], 4)]);
    });
  }

  for (const c of [16, 13, 3]) {
    test(`sign (clipped STE) and batch norm = loop (${c} channels)`, async () => {
      await useBackend('wasm');
      // Exact zeros and values at ±1 exercise sign(0) = +1 and the closed STE window.
      const x = () => tf.concat([rand([3, 7, 5, c], 10 + c, 2), tf.zeros([1, 7, 5, c]), tf.fill([1, 7, 5, c], 1), tf.fill([1, 7, 5, c], -1)]);
      assertSimdEqualsLoop((a) => signSte(a), [x()], 1e-12);
      assertSimdEqualsLoop((a) => batchNormFast(a), [rand([3, 7, 5, c], 11 + c, 3)]);
      // Training batch norm with affine terms: y, and the gradients of x, γ and β.
      assertSimdEqualsLoop((a, g, b) => batchNormTrain(a as tf.Tensor4D, g, b).y, [rand([3, 7, 5, c], 12 + c, 3), rand([c], 13 + c), rand([c], 14 + c)]);
    });
  }

  for (const [k, stride, c] of [[3, 1, 8], [3, 2, 4], [5, 1, 12], [5, 2, 8]]) {
    test(`max and average pooling = the stock-kernel route (k ${k}, stride ${stride}, ${c} channels, negative maxima)`, async () => {
      await useBackend('wasm');
      // Shifted down: many windows have only negative values (the case wasm's MaxPoolGrad gets wrong).
      const x = () => tf.sub(rand([3, 9, 7, c], 20 + k, 2), 1.5);
      assertSimdEqualsLoop((a) => maxPool(a as tf.Tensor4D, k, stride), [x()], 1e-6);
      assertSimdEqualsLoop((a) => avgPool(a as tf.Tensor4D, k, stride), [x()], 1e-5);
    });
  }

  test('the pooling kernels’ loop fallback (channels not in fours) = the stock-kernel route', async () => {
    await useBackend('wasm');
    for (const stride of [1, 2]) {
      const x = () => tf.sub(rand([2, 7, 6, 6], 30 + stride, 2), 1.5);
      assertSimdEqualsLoop((a) => (useSimd() ? poolFast('max', a as tf.Tensor4D, 3, stride) : maxPool(a as tf.Tensor4D, 3, stride)), [x()], 1e-6);
      assertSimdEqualsLoop((a) => (useSimd() ? poolFast('avg', a as tf.Tensor4D, 3, stride) : avgPool(a as tf.Tensor4D, 3, stride)), [x()], 1e-5);
    }
  });

  for (const [k, stride, ci, co] of [[3, 1, 3, 24], [3, 2, 5, 6], [1, 2, 16, 8], [5, 1, 2, 7]]) {
    test(`dense conv filter gradient = loop (k ${k}, stride ${stride}, ${ci} → ${co} channels)`, async () => {
      await useBackend('wasm');
      assertSimdEqualsLoop((x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride), [rand([3, 9, 7, ci], 8), rand([k, k, ci, co], 9)]);
    });
  }

  /**
   * Terms like a cell's: runs of 4 consecutive channels to consecutive targets (an op output),
   * runs to shuffled targets (the channel shuffle), short runs (odd channel counts), plain copies.
   */
  function mixTerms(seed: number): { terms: Int32Array; out: number } {
    const terms: number[] = [];
    let s = seed;
    const next = (n: number): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s % n);
    for (let t = 0; t < 12; t++) {
      const shuffled = t % 3 === 1;
      const base = 4 * (t % 3);
      for (let q = 0; q < 4; q++) terms.push(shuffled ? base + ((q * 3 + 1) % 4) : base + q, t % 2, 4 * (t % 3) + q, t % 4 === 3 ? -1 : t % 5);
    }
    for (let t = 0; t < 7; t++) terms.push(next(14), 2, next(5), t % 2 ? -1 : next(5));
    return { terms: Int32Array.from(terms), out: 14 };
  }

  for (const withCoef of [true, false]) {
    test(`channel mix = loop (${withCoef ? 'with' : 'without'} coefficients; consecutive, shuffled and short runs)`, async () => {
      await useBackend('wasm');
      const { terms, out } = mixTerms(3);
      const plain = withCoef ? terms : terms.map((v, i) => (i % 4 === 3 ? -1 : v));
      const maps = [rand([2, 9, 5, 12], 1), rand([2, 9, 5, 12], 2), rand([2, 9, 5, 5], 3)];
      assertSimdEqualsLoop(
        (...xs) => channelMix(xs.slice(0, 3) as tf.Tensor4D[], plain, out, withCoef ? (xs[3] as tf.Tensor1D) : undefined),
        withCoef ? [...maps, rand([5], 4)] : maps,
      );
    });
  }

  test('write nothing outside their outputs and scratch (no stack, no static data in the shared heap)', () => {
    type Exports = Record<string, (...a: number[]) => void>;
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (o: object) => { buffer: ArrayBuffer }; Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Exports } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 8 });
    const e = new WA.Instance(new WA.Module(Uint8Array.from(Buffer.from(SIMD_WASM_BASE64, 'base64'))), { env: { memory } }).exports;
    const heap = new Float32Array(memory.buffer);
    const SENTINEL = 12345.5;
    heap.fill(SENTINEL);
    // Layout (float indices): inputs from 100000, outputs and scratch after; all else must stay.
    const put = (at: number, n: number, seed: number): number => {
      heap.set(Float32Array.from(randomArr([n], seed).data), at);
      return at * 4;
    };
    const [b, h, w, c, k] = [2, 6, 5, 8, 3];
    const n = b * h * w * c;
    const x = put(100000, n, 1);
    const dy = put(100000 + n, n, 2);
    const wts = put(100000 + 2 * n, 16, 3);
    const out = 100000 + 2 * n + 16;
    const regions: [number, number][] = [];
    const region = (at: number, floats: number): number => {
      regions.push([at, at + floats]);
      return at * 4;
    };
    const dw = region(out, k * k * c);
    const acc = region(out + 1000, 2 * k * k * c);
    e.dw_filter_grad(x, dy, dw, acc, b, h, w, c, h, w, k, 1, 1, 1, 1);
    const y = region(out + 2000, n);
    const rstd = region(out + 2000 + n, c);
    e.pw_bn_forward(x, wts, y, rstd, acc, b * h * w, c, 4, 1, 1e-5);
    const dx = region(out + 3000 + 2 * n, n);
    const dwp = region(out + 4000 + 3 * n, 16 * (c / 4));
    e.pw_bn_backward(dy, x, wts, y, rstd, dx, dwp, acc, b * h * w, c, 2, 1);
    // Dense 3×3 conv, 8 → 4 channels (dy's first 4 channels as [b, h, w, 4]).
    const dwc = region(out + 5000 + 4 * n, k * k * c * 4);
    const acc2 = region(out + 6000 + 4 * n, 3 * k * k * c * 4);
    e.conv_filter_grad(x, dy, dwc, acc2, acc2 + 8 * k * k * c * 4, b, h, w, c, h, w, 4, k, 1, 1, 1);
    const sy = region(out + 7000 + 5 * n, n);
    e.sign_forward(x, sy, n);
    e.sign_backward(dy, x, sy, n);
    const acc3 = region(out + 8000 + 6 * n, 12 * c);
    e.bn_forward(x, sy, rstd, acc3, acc3 + 24 * c, b * h * w, c, 1e-5);
    e.bn_backward(dy, sy, rstd, dx, acc3, acc3 + 16 * c, b * h * w, c);
    const stats = region(out + 8500 + 7 * n, 4 * c);
    e.bn_train_forward(x, wts, wts, sy, stats, stats + 4 * c, acc3, acc3 + 24 * c, b * h * w, c, 1e-5);
    e.bn_train_backward(dy, x, wts, stats, stats + 4 * c, dx, stats + 8 * c, stats + 12 * c, acc3, acc3 + 24 * c, b * h * w, c, 1e-5);
    const pool = region(out + 9000 + 7 * n, n);
    const geo = [b, h, w, c, h, w, 3, 1, 1, 1];
    for (const kind of ['max', 'avg']) {
      e[`${kind}_pool_forward`](x, pool, ...geo);
      if (kind === 'max') e.max_pool_backward(dy, x, pool, ...geo);
      else e.avg_pool_backward(dy, pool, ...geo);
    }
    const dwo = region(out + 10000 + 8 * n, n);
    const turned = region(out + 10000 + 9 * n + 10, 9 * c);
    e.dw_conv(x, wts, dwo, b, h, w, c, h, w, 3, 1, 2, 2, 2, 0, 0);
    e.dw_conv(dy, wts, dwo, b, h, w, c, h, w, 3, 1, 2, 2, 2, 1, turned);
    e.dw_conv(dy, wts, dwo, b, h, w, c, 3, 3, 3, 2, 1, 1, 1, 1, turned);
    const dww = region(out + 11000 + 9 * n, 64);
    const acc4 = region(out + 11100 + 9 * n, 2 * (2 * c + c * c) + 3 * c + c * c);
    e.pw_wide_forward(x, wts, y, rstd, acc4, b * h * w, c, 8, 1, 1e-5);
    e.pw_wide_backward(dy, x, wts, y, rstd, dx, dww, acc4, acc4 + 8 * (2 * c + c * c), b * h * w, c, 8, 1);
    const inputsEnd = 100000 + 2 * n + 16;
    for (let i = 0; i < heap.length; i++) {
      if (i >= 100000 && i < inputsEnd) continue;
      if (regions.some(([s, t]) => i >= s && i < t)) continue;
      if (heap[i] !== SENTINEL) assert.fail(`float ${i} (byte ${4 * i}) was written`);
    }
    assert.ok(Number.isFinite(new Float32Array(memory.buffer, dw, k * k * c)[0]));
  });

  test('no tensor leak over steps with the SIMD kernels', async () => {
    await useBackend('wasm');
    const x = rand([2, 8, 8, 8], 5);
    const w = rand([2, 4, 4], 6);
    const f = rand([3, 3, 8, 1], 7);
    await assertNoLeak(() =>
      tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(depthwiseFast(pointwiseBn(a as tf.Tensor4D, b as tf.Tensor3D, true), d as tf.Tensor4D, 1, 1)))([x, w, f])).forEach((g) => g.dispose()),
    );
    tf.dispose([x, w, f]);
  });
});
