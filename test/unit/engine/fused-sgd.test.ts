/**
 * FusedSgd (one kernel call for every variable) equals tf.train.momentum without weight decay and
 * the PyTorch formula with it; the global norm equals sqrt(Σ g²); buffers are owned and forgotten
 * by prefix; no tensor leak over steps. On cpu and wasm.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FusedSgd } from '../../../runtime/engine/fused-sgd.js';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { useBackend } from './backends.js';
import { randomArr, relError } from './reference.js';

const SHAPES = [[3, 3, 4, 1], [1, 1, 4, 4], [5]];
const value = (shape: number[], seed: number) => tf.tensor(Float32Array.from(randomArr(shape, seed).data), shape);

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused SGD on ${backend}`, () => {
    test('equals tf.train.momentum over steps (no weight decay)', async () => {
      await useBackend(backend);
      const a = SHAPES.map((s, i) => tf.variable(value(s, i)));
      const b = SHAPES.map((s, i) => tf.variable(value(s, i)));
      const stock = tf.train.momentum(0.05, 0.9);
      const fused = new FusedSgd({ momentum: 0.9 });
      for (let step = 0; step < 3; step++) {
        tf.tidy(() => {
          const grads = SHAPES.map((s, i) => value(s, 10 * step + i + 5));
          stock.applyGradients(Object.fromEntries(a.map((v, i) => [v.name, grads[i]])) as unknown as Parameters<typeof stock.applyGradients>[0]);
          fused.apply(Object.fromEntries(b.map((v) => [v.name, v])), Object.fromEntries(b.map((v, i) => [v.name, grads[i]])), 0.05);
        });
      }
      a.forEach((v, i) => assert.ok(relError(b[i].dataSync(), v.dataSync()) < 1e-5, `variable ${i}`));
      stock.dispose();
      fused.dispose();
      tf.dispose([...a, ...b]);
    });

    test('weight decay and gradient scale follow g ← s·g + wd·p; buf ← m·buf + g; p ← p − lr·buf', async () => {
      await useBackend(backend);
      const p = tf.variable(tf.tensor1d([1, -2, 0.5]));
      const sgd = new FusedSgd({ momentum: 0.5, weightDecay: 0.1 });
      const g = tf.tensor1d([0.2, 0.4, -1]);
      sgd.apply({ p }, { p: g }, 0.1, 0.5); // buf = 0.5·g + 0.1·p
      const buf1 = [0.1 + 0.1, 0.2 - 0.2, -0.5 + 0.05];
      const p1 = [1, -2, 0.5].map((x, i) => x - 0.1 * buf1[i]);
      assert.ok(relError(p.dataSync(), p1) < 1e-6);
      sgd.apply({ p }, { p: g }, 0.1, 0.5);
      const buf2 = buf1.map((b, i) => 0.5 * b + 0.5 * [0.2, 0.4, -1][i] + 0.1 * p1[i]);
      assert.ok(relError(p.dataSync(), p1.map((x, i) => x - 0.1 * buf2[i])) < 1e-6);
      assert.ok(Math.abs(FusedSgd.globalNorm([g, tf.tensor1d([2])]) - Math.sqrt(0.04 + 0.16 + 1 + 4)) < 1e-6);
      const before = tf.memory().numTensors;
      sgd.forget('p');
      assert.equal(tf.memory().numTensors, before - 1, 'the momentum buffer of p is disposed');
      sgd.dispose();
      tf.dispose([p, g]);
    });

    test('no tensor leak over steps', async () => {
      await useBackend(backend);
      const vars = SHAPES.map((s, i) => tf.variable(value(s, i)));
      const sgd = new FusedSgd({ momentum: 0.9, weightDecay: 1e-4 });
      const grads = SHAPES.map((s, i) => value(s, i + 7));
      await assertNoLeak(() => sgd.apply(Object.fromEntries(vars.map((v) => [v.name, v])), Object.fromEntries(vars.map((v, i) => [v.name, grads[i]])), 0.01), 4);
      sgd.dispose();
      tf.dispose([...vars, ...grads]);
    });
  });
}
