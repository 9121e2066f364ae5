/**
 * BatchNormLayer: running statistics (PyTorch convention), evaluation mode, affine terms, no leak,
 * on every test backend (the training batch norm is a loop kernel on cpu and wasm and TensorFlow's
 * fused batch norm on the native backend, skipped where it does not load).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { BatchNormLayer } from '../../../runtime/engine/norm.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import { useBackend } from './backends.js';
import { randomArr, TEST_BACKENDS } from './reference.js';

for (const backend of (['cpu', 'wasm', 'node'] as const).filter((b) => TEST_BACKENDS.includes(b))) test(`running statistics follow the batch, evaluation uses them, affine terms train (${backend})`, async (t) => {
  const skip = await useBackend(backend);
  if (skip) return t.skip(skip);
  const store = new ParamStore(1);
  const bn = new BatchNormLayer(store, 'bn', 2, { affine: true, trackRunningStats: true, momentum: 0.5 });
  const data = randomArr([4, 3, 3, 2], 5, 2);
  const x = tf.tensor4d(Float32Array.from(data.data), [4, 3, 3, 2]);
  const mean = [0, 1].map((c) => data.data.filter((_, i) => i % 2 === c).reduce((a, b) => a + b, 0) / 36);
  const unbiased = [0, 1].map((c) => data.data.filter((_, i) => i % 2 === c).reduce((a, v) => a + (v - mean[c]) ** 2, 0) / 35);
  await assertNoLeak(() => bn.apply(x, true).dispose(), 3, { warmup: 1 });
  // After 4 updates with momentum 0.5 from (0, 1): value = target + (start − target)/16.
  const rm = Array.from(store.get('bn.runningMean').dataSync());
  const rv = Array.from(store.get('bn.runningVar').dataSync());
  mean.forEach((m, c) => assert.ok(Math.abs(rm[c] - m * (1 - 1 / 16)) < 1e-5, `mean ${rm[c]}`));
  unbiased.forEach((v, c) => assert.ok(Math.abs(rv[c] - (v + (1 - v) / 16)) < 1e-4, `var ${rv[c]}`));
  // Evaluation: (x − running mean)/sqrt(running var + ε)·γ + β, no update.
  const evalOut = tf.tidy(() => bn.apply(x, false).dataSync());
  const expected = data.data.map((v, i) => (v - rm[i % 2]) / Math.sqrt(rv[i % 2] + 1e-5));
  expected.forEach((v, i) => assert.ok(Math.abs(evalOut[i] - v) < 1e-4));
  assert.deepEqual(Array.from(store.get('bn.runningMean').dataSync()), rm);
  // γ and β receive gradients.
  const names = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x, true), x)) as tf.Scalar, store.trainable());
    return Object.keys(grads).length;
  });
  assert.equal(names, 2);
  x.dispose();
  store.dispose();
});
