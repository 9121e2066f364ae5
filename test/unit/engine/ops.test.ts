/**
 * Every primitive op: forward against a float64 direct loop, gradients against central
 * differences of that loop, on cpu, wasm (and native TensorFlow when it loads), stride 1 and 2,
 * odd kernels, even and odd sizes, dilation 1–3.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../../../runtime/engine/conv.js';
import { depthwiseConv2d, separableConv2d } from '../../../runtime/engine/depthwise.js';
import { batchNorm } from '../../../runtime/engine/norm.js';
import { avgPool, maxPool } from '../../../runtime/engine/pool.js';
import { useBackend } from './backends.js';
import {
  type Arr,
  TEST_BACKENDS,
  arr,
  batchNormRef,
  convRef,
  engineForwardAndGrads,
  numericGrad,
  poolRef,
  randomArr,
  relError,
} from './reference.js';

const FORWARD_TOL = 1e-4;
const GRAD_TOL = 2e-3;

/** Checks forward and every input gradient of `op` against `ref`. */
async function check(op: (...t: tf.Tensor[]) => tf.Tensor, ref: (inputs: Arr[]) => Arr, inputs: Arr[], seed: number): Promise<void> {
  const expected = ref(inputs);
  const r = randomArr(expected.shape, seed + 99);
  const got = await engineForwardAndGrads(op, inputs, r);
  assert.deepEqual(got.shape, [...expected.shape], 'output shape');
  const fErr = relError(got.value, expected.data);
  assert.ok(fErr < FORWARD_TOL, `forward error ${fErr}`);
  inputs.forEach((_, i) => {
    const num = numericGrad(ref, inputs, r, i);
    const gErr = relError(got.grads[i], num);
    assert.ok(gErr < GRAD_TOL, `gradient of input ${i}: error ${gErr}`);
  });
}

for (const backend of TEST_BACKENDS) {
  describe(`engine ops on ${backend}`, () => {
    let skip: string | undefined;
    test(`activate ${backend}`, async (t) => {
      skip = await useBackend(backend);
      if (skip) t.skip(skip);
      else assert.equal(tf.getBackend(), backend === 'node' ? 'tensorflow' : backend);
    });

    const convCases: [number, number, number][] = [
      [1, 1, 6], [1, 2, 6], [1, 2, 5], [3, 1, 5], [3, 2, 6], [3, 2, 5], [5, 1, 6], [5, 2, 5],
    ];
    for (const [k, s, h] of convCases) {
      test(`conv2d k=${k} stride=${s} ${h}×${h}`, async (t) => {
        if (skip) return t.skip(skip);
        await useBackend(backend);
        const x = randomArr([2, h, h, 3], 1 + k * 10 + s);
        const w = randomArr([k, k, 3, 4], 2 + k * 10 + s, 0.5);
        await check((a, b) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s), ([a, b]) => convRef(a, b, s), [x, w], k + s);
      });
    }

    const dwCases: [number, number, number, number][] = [
      [3, 1, 1, 6], [3, 2, 1, 6], [3, 2, 1, 7], [5, 1, 1, 6], [5, 2, 1, 5],
      [3, 1, 2, 6], [3, 2, 2, 6], [5, 1, 2, 7], [5, 2, 2, 6], [3, 1, 3, 7], [3, 2, 3, 7],
    ];
    for (const [k, s, d, h] of dwCases) {
      test(`depthwise k=${k} stride=${s} dilation=${d} ${h}×${h}`, async (t) => {
        if (skip) return t.skip(skip);
        await useBackend(backend);
        const x = randomArr([2, h, h, 3], 3 + k + s * 7 + d * 13);
        const w = randomArr([k, k, 3, 1], 4 + k + s * 7 + d * 13);
        await check(
          (a, b) => depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, d),
          ([a, b]) => convRef(a, b, s, d, true),
          [x, w],
          k * s * d,
        );
      });
    }

    test('separable conv k=3 stride=2 dilation=2', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      const x = randomArr([2, 6, 6, 3], 5);
      const dw = randomArr([3, 3, 3, 1], 6);
      const pw = randomArr([1, 1, 3, 4], 7);
      await check(
        (a, b, c) => separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, 2, 2),
        ([a, b, c]) => convRef(convRef(a, b, 2, 2, true), c, 1),
        [x, dw, pw],
        8,
      );
    });

    for (const s of [1, 2]) {
      for (const h of [5, 6]) {
        test(`max pool 3×3 stride=${s} ${h}×${h}, negative maxima`, async (t) => {
          if (skip) return t.skip(skip);
          await useBackend(backend);
          // Shift most windows below zero: the case wasm's stock MaxPoolGrad gets wrong.
          const x = randomArr([2, h, h, 3], 10 + s + h);
          const shifted = arr(x.shape, (i) => x.data[i] - 1.5);
          await check((a) => maxPool(a as tf.Tensor4D, 3, s), ([a]) => poolRef(a, 3, s, 'max'), [shifted], s + h);
        });
        test(`avg pool 3×3 stride=${s} ${h}×${h}, padding excluded`, async (t) => {
          if (skip) return t.skip(skip);
          await useBackend(backend);
          const x = randomArr([2, h, h, 3], 20 + s + h);
          await check((a) => avgPool(a as tf.Tensor4D, 3, s), ([a]) => poolRef(a, 3, s, 'avg'), [x], s * h);
        });
      }
    }

    test('batch norm without affine terms', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      const x = randomArr([3, 4, 4, 5], 30, 2);
      await check((a) => batchNorm(a as tf.Tensor4D), ([a]) => batchNormRef(a), [x], 31);
    });

    test('relu, identity and the gradient of a sum of ops', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      const x = randomArr([2, 4, 4, 3], 40);
      await check(
        (a) => tf.add(tf.relu(a), a),
        ([a]) => ({ data: a.data.map((v) => Math.max(v, 0) + v), shape: a.shape }),
        [x],
        41,
      );
    });
  });
}
