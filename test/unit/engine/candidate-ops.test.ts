/**
 * The per-op test reference (reference/candidate-ops.ts), the root of the fused kernels' chain of
 * references (fused-edge.test.ts, fused-cell.test.ts): shapes and weight counts of every built-in at stride 1 and 2,
 * composite forward and input gradient against float64 references (real and binary), the
 * ReLU-before-sign rule, and parsing of op names.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { binaryConv2d, binaryDepthwiseConv2d, buildCandidateOp, candidateSpecOf } from './reference/candidate-ops.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import type { BinarizeOptions } from '../../../runtime/engine/quantize.js';
import { useBackend } from './backends.js';
import { type Arr, batchNormRef, convRef, engineForwardAndGrads, numericGrad, randomArr, relError } from './reference.js';

const DARTS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5', 'conv_3x3', 'conv_1x1'];
const C = 4;
/** Trainable weights per op at C channels (BN without affine has none). */
const WEIGHTS: Record<string, [number, number]> = {
  none: [0, 0],
  max_pool_3x3: [0, 0],
  avg_pool_3x3: [0, 0],
  skip_connect: [0, 2 * C * (C / 2)],
  sep_conv_3x3: [2 * (9 * C + C * C), 2 * (9 * C + C * C)],
  sep_conv_5x5: [2 * (25 * C + C * C), 2 * (25 * C + C * C)],
  dil_conv_3x3: [9 * C + C * C, 9 * C + C * C],
  dil_conv_5x5: [25 * C + C * C, 25 * C + C * C],
  conv_3x3: [9 * C * C, 9 * C * C],
  conv_1x1: [C * C, C * C],
};
const XNOR_SIGN: BinarizeOptions = { weights: 'xnor', scale: 'layer', activations: 'sign' };

function read(store: ParamStore, name: string): Arr {
  const v = store.get(name);
  return { data: Float64Array.from(v.dataSync()), shape: v.shape };
}

function relu(a: Arr): Arr {
  return { data: a.data.map((v) => Math.max(v, 0)), shape: a.shape };
}

function sign(a: Arr): Arr {
  return { data: a.data.map((v) => (v >= 0 ? 1 : -1)), shape: a.shape };
}

function xnor(a: Arr): Arr {
  const m = a.data.reduce((s, v) => s + Math.abs(v), 0) / a.data.length;
  return { data: a.data.map((v) => (v >= 0 ? m : -m)), shape: a.shape };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`candidate ops on ${backend}`, () => {
    for (const stride of [1, 2] as const) {
      test(`every built-in at stride ${stride}: output shape and weight count, real and binary`, async () => {
        await useBackend(backend);
        for (const bin of [undefined, XNOR_SIGN]) {
          const store = new ParamStore(1);
          const x = tf.randomNormal([2, 6, 6, C]) as tf.Tensor4D;
          for (const name of DARTS) {
            const op = buildCandidateOp(candidateSpecOf(name), { store, prefix: name, channels: C, stride, binarize: bin });
            const y = op.apply(x);
            assert.deepEqual(y.shape, [2, 6 / stride, 6 / stride, C], name);
            assert.equal(store.count(`${name}.`), WEIGHTS[name][stride - 1], name);
            y.dispose();
          }
          x.dispose();
          store.dispose();
        }
      });
    }

    test('dil_conv_3x3 stride 2 (real): forward and input gradient match ReLU→dilated dw→1×1→BN', async () => {
      await useBackend(backend);
      const store = new ParamStore(5);
      const op = buildCandidateOp(candidateSpecOf('dil_conv_3x3'), { store, prefix: 'd', channels: 3, stride: 2 });
      const dw = read(store, 'd.a.dw');
      const pw = read(store, 'd.a.pw');
      const ref = ([x]: Arr[]): Arr => batchNormRef(convRef(convRef(relu(x), dw, 2, 2, true), pw, 1));
      const x = randomArr([2, 7, 7, 3], 50);
      const r = randomArr([2, 4, 4, 3], 51);
      const got = await engineForwardAndGrads((t) => op.apply(t as tf.Tensor4D), [x], r);
      assert.ok(relError(got.value, ref([x]).data) < 1e-4);
      assert.ok(relError(got.grads[0], numericGrad(ref, [x], r, 0)) < 2e-3);
      store.dispose();
    });

    test('skip_connect stride 2 is a factorized reduce: two 1×1 stride-2 convs, one shifted', async () => {
      await useBackend(backend);
      const store = new ParamStore(6);
      const op = buildCandidateOp(candidateSpecOf('skip_connect'), { store, prefix: 's', channels: 4, stride: 2 });
      const w1 = read(store, 's.w1');
      const w2 = read(store, 's.w2');
      const ref = ([x]: Arr[]): Arr => {
        const a = relu(x);
        const [b, h, w, c] = a.shape;
        const shifted = randomArr(a.shape, 0);
        for (let n = 0; n < b; n++)
          for (let i = 0; i < h; i++)
            for (let j = 0; j < w; j++)
              for (let k = 0; k < c; k++) {
                const inside = i + 1 < h && j + 1 < w;
                shifted.data[((n * h + i) * w + j) * c + k] = inside ? a.data[((n * h + i + 1) * w + j + 1) * c + k] : 0;
              }
        const y1 = convRef(a, w1, 2);
        const y2 = convRef(shifted, w2, 2);
        const cat = randomArr([b, y1.shape[1], y1.shape[2], 4], 0);
        for (let p = 0; p < y1.data.length / 2; p++) {
          cat.data[p * 4] = y1.data[p * 2];
          cat.data[p * 4 + 1] = y1.data[p * 2 + 1];
          cat.data[p * 4 + 2] = y2.data[p * 2];
          cat.data[p * 4 + 3] = y2.data[p * 2 + 1];
        }
        return batchNormRef(cat);
      };
      const x = randomArr([2, 6, 6, 4], 60);
      const r = randomArr([2, 3, 3, 4], 61);
      const got = await engineForwardAndGrads((t) => op.apply(t as tf.Tensor4D), [x], r);
      assert.ok(relError(got.value, ref([x]).data) < 1e-4);
      assert.ok(relError(got.grads[0], numericGrad(ref, [x], r, 0)) < 2e-3);
      store.dispose();
    });

    test('binary sep_conv_3x3 with XNOR weights: ReLU→dw(Ŵ)→1×1(Ŵ)→BN, twice', async () => {
      await useBackend(backend);
      const store = new ParamStore(9);
      const bin: BinarizeOptions = { weights: 'xnor', scale: 'layer', activations: 'real' };
      const op = buildCandidateOp(candidateSpecOf('sep_conv_3x3'), { store, prefix: 'b', channels: 3, stride: 1, binarize: bin });
      const [dwa, pwa, dwb, pwb] = ['b.a.dw', 'b.a.pw', 'b.b.dw', 'b.b.pw'].map((n) => read(store, n));
      const half = (x: Arr, dw: Arr, pw: Arr): Arr => batchNormRef(convRef(convRef(relu(x), xnor(dw), 1, 1, true), xnor(pw), 1));
      const x = randomArr([2, 5, 5, 3], 70);
      const value = tf.tidy(() => op.apply(tf.tensor(Float32Array.from(x.data), [2, 5, 5, 3]) as tf.Tensor4D).dataSync());
      const err = relError(value, half(half(x, dwa, pwa), dwb, pwb).data);
      assert.ok(err < 1e-4, `forward error ${err}`);
      store.dispose();
    });

    test('fully binary convs: sign(x) into XNOR filters, dense and depthwise; no ReLU before sign', async () => {
      await useBackend(backend);
      const x = randomArr([2, 5, 5, 3], 80);
      const wd = randomArr([3, 3, 3, 4], 81);
      const wdw = randomArr([3, 3, 3, 1], 82);
      const [dense, depthwise] = tf.tidy(() => {
        const xt = tf.tensor(Float32Array.from(x.data), [2, 5, 5, 3]) as tf.Tensor4D;
        const t = (a: Arr): tf.Tensor4D => tf.tensor4d(Float32Array.from(a.data), a.shape as [number, number, number, number]);
        return [binaryConv2d(xt, t(wd), 2, XNOR_SIGN).dataSync(), binaryDepthwiseConv2d(xt, t(wdw), 1, 2, XNOR_SIGN).dataSync()];
      });
      assert.ok(relError(dense, convRef(sign(x), xnor(wd), 2).data) < 1e-5);
      assert.ok(relError(depthwise, convRef(sign(x), xnor(wdw), 1, 2, true).data) < 1e-5);
      // Through a whole op every weight still gets a gradient (the estimators pass it on).
      const store = new ParamStore(9);
      const op = buildCandidateOp(candidateSpecOf('sep_conv_3x3'), { store, prefix: 'b', channels: 3, stride: 1, binarize: XNOR_SIGN });
      const norms = tf.tidy(() => {
        const xt = tf.tensor(Float32Array.from(x.data), [2, 5, 5, 3]) as tf.Tensor4D;
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(op.apply(xt))) as tf.Scalar, store.trainable());
        return Object.values(grads).map((g) => tf.norm(g).dataSync()[0]);
      });
      assert.equal(norms.length, 4);
      for (const n of norms) assert.ok(n > 0, 'a binary weight received no gradient');
      // With a ReLU before the sign, x and ReLU(x) would give the same output (all +1 inputs).
      const differ = tf.tidy(() => {
        const xt = tf.tensor(Float32Array.from(x.data), [2, 5, 5, 3]) as tf.Tensor4D;
        return tf.max(tf.abs(tf.sub(op.apply(xt), op.apply(tf.relu(xt))))).dataSync()[0];
      });
      assert.ok(differ > 0.1, 'negative inputs must reach the sign');
      store.dispose();
    });
  });
}

test('op names: built-ins parse to primitives; unknown names say what is allowed', () => {
  assert.deepEqual(candidateSpecOf('dil_conv_5x5'), { kind: 'dil_conv', kernel: 5, dilation: 2, repeat: 1 });
  assert.deepEqual(candidateSpecOf('max_pool_3x3'), { kind: 'max_pool', kernel: 3, dilation: 1, repeat: 1 });
  assert.throws(() => candidateSpecOf('sep_conv_3x5'), /unknown op 'sep_conv_3x5': built-ins are/);
});
