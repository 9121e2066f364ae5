/**
 * Quantizers: forward values (sign(0) = +1, XNOR scale per layer and per channel) and the clipped
 * straight-through estimators equal to the formulas of docs/method.md, "Binarization", on cpu and wasm.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { signActivation, signWeights, xnorWeights } from '../../../runtime/engine/quantize.js';
import { useBackend } from './backends.js';
import { TEST_BACKENDS, randomArr } from './reference.js';

/** Values that hit the interesting points: 0, ±1 exactly (inside the clip), beyond ±1. */
const EDGE_VALUES = [0, 1, -1, 0.5, -0.25, 1.5, -2, 1e-8];

function grad(f: (x: tf.Tensor) => tf.Tensor, x: number[], shape: number[], dy: number[]): number[] {
  return tf.tidy(() => {
    const xt = tf.tensor(x, shape);
    const dyt = tf.tensor(dy, shape);
    return Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dyt)))(xt).dataSync());
  });
}

function close(a: number[], b: number[], tol = 1e-6): void {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `index ${i}: ${v} vs ${b[i]}`));
}

for (const backend of TEST_BACKENDS) {
  describe(`quantizers on ${backend}`, () => {
    let skip: string | undefined;
    test(`activate ${backend}`, async (t) => {
      skip = await useBackend(backend);
      if (skip) t.skip(skip);
    });

    test('sign activation: sign(0) = +1, gradient dy·1[|x| ≤ 1]', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      const x = EDGE_VALUES;
      const dy = x.map((_, i) => i + 1);
      const value = tf.tidy(() => Array.from(signActivation(tf.tensor(x)).dataSync()));
      assert.deepEqual(value, x.map((v) => (v >= 0 ? 1 : -1)));
      close(grad(signActivation, x, [x.length], dy), x.map((v, i) => (Math.abs(v) <= 1 ? dy[i] : 0)));
    });

    test('sign weights: same estimator on weights', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      const w = EDGE_VALUES.map((v) => -v);
      const dy = w.map((_, i) => 0.5 - i);
      const value = tf.tidy(() => Array.from(signWeights(tf.tensor(w)).dataSync()));
      assert.deepEqual(value, w.map((v) => (v >= 0 ? 1 : -1)));
      close(grad(signWeights, w, [w.length], dy), w.map((v, i) => (Math.abs(v) <= 1 ? dy[i] : 0)));
    });

    test('xnor per layer: Ŵ = mean|W|·sign(W), ∂W = ∂Ŵ·(1/n + a·1[|W| ≤ 1])', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      const shape = [2, 2, 2, 3];
      const w = Array.from(randomArr(shape, 7, 1.6).data);
      w[0] = 0;
      w[1] = 1;
      const dy = Array.from(randomArr(shape, 8).data);
      const n = w.length;
      const a = w.reduce((s, v) => s + Math.abs(v), 0) / n;
      const value = tf.tidy(() => Array.from(xnorWeights(tf.tensor(w, shape), 'layer').dataSync()));
      close(value, w.map((v) => a * (v >= 0 ? 1 : -1)));
      close(grad((v) => xnorWeights(v, 'layer'), w, shape, dy), w.map((v, i) => dy[i] * (1 / n + a * (Math.abs(v) <= 1 ? 1 : 0))));
    });

    test('xnor per output channel (last axis) and per depthwise channel (axis 2)', async (t) => {
      if (skip) return t.skip(skip);
      await useBackend(backend);
      for (const [shape, axis] of [
        [[3, 3, 2, 4], 3],
        [[3, 3, 5, 1], 2],
      ] as [number[], number][]) {
        const w = Array.from(randomArr(shape, 11 + axis, 1.5).data);
        const dy = Array.from(randomArr(shape, 12 + axis).data);
        const channels = shape[axis];
        const stride = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
        const chan = (i: number): number => Math.floor(i / stride) % channels;
        const n = w.length / channels;
        const a = Array.from({ length: channels }, (_, c) => w.reduce((s, v, i) => (chan(i) === c ? s + Math.abs(v) : s), 0) / n);
        const value = tf.tidy(() => Array.from(xnorWeights(tf.tensor(w, shape), 'channel', axis).dataSync()));
        close(value, w.map((v, i) => a[chan(i)] * (v >= 0 ? 1 : -1)));
        close(
          grad((v) => xnorWeights(v, 'channel', axis), w, shape, dy),
          w.map((v, i) => dy[i] * (1 / n + a[chan(i)] * (Math.abs(v) <= 1 ? 1 : 0))),
        );
      }
    });
  });
}
