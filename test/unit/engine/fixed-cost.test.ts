/**
 * The search step's fixed-cost kernels (bench/search/profile.ts): the reduction bypass's max-pool
 * gradient on the SIMD kernel equals the stock route (shift to ≥ 1, wasm's MaxPoolGrad) on
 * negative maxima, odd sizes and channels in fours, and leaks nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { maxPoolGradRouted } from '../../../runtime/engine/pool.js';
import { simdInUse, useSimdKernels } from '../../../runtime/engine/simd.js';
import { useBackend } from './backends.js';
import { randomArr } from './reference.js';

function rand(shape: number[], seed: number, shift = 0): tf.Tensor4D {
  return tf.tensor(Float32Array.from(randomArr(shape, seed).data, (v) => v + shift), shape) as tf.Tensor4D;
}

test('bypass max-pool gradient: the SIMD kernel routes as the stock route (2×2 and 3×3, odd sizes, negative maxima)', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  assert.ok(simdInUse(), 'the SIMD kernels are on after initBackend(wasm)');
  for (const [shape, k, stride] of [[[3, 8, 8, 24], 2, 2], [[2, 5, 7, 8], 2, 2], [[2, 5, 5, 4], 3, 2], [[1, 4, 6, 12], 3, 1]] as [number[], number, number][]) {
    // All negative: the case wasm's own MaxPoolGrad misroutes without the shift.
    const x = rand(shape, shape[3], -10);
    const ho = Math.ceil(shape[1] / stride);
    const wo = Math.ceil(shape[2] / stride);
    const dy = rand([shape[0], ho, wo, shape[3]], 7);
    const before = tf.memory().numTensors;
    const fast = maxPoolGradRouted(dy, x, k, stride);
    assert.equal(tf.memory().numTensors, before + 1, 'only the gradient is left');
    useSimdKernels(false);
    const stock = maxPoolGradRouted(dy, x, k, stride);
    useSimdKernels(true);
    assert.deepEqual(fast.shape, shape);
    assert.deepEqual(fast.dataSync(), stock.dataSync(), `${shape} k=${k} s=${stride}: same gradient`);
    // Each window sends its dy to exactly one input: the totals agree (stride = k: no overlaps).
    if (k === stride) assert.ok(Math.abs(tf.sum(fast).dataSync()[0] - tf.sum(dy).dataSync()[0]) < 1e-3);
    tf.dispose([x, dy, fast, stock]);
  }
  const x = rand([2, 4, 4, 8], 3);
  const dy = rand([2, 2, 2, 8], 4);
  const profile = await tf.profile(() => maxPoolGradRouted(dy, x, 2, 2));
  assert.deepEqual(profile.kernels.map((kernel) => kernel.name), ['BnasMaxPoolGrad'], 'one kernel call');
  tf.dispose([x, dy]);
});
