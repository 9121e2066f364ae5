/** Partial channels as products equal slice → concat → shuffle, values and gradients, K = 1, 2, 4. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/backend.js';
import { tensorCount } from '../../../runtime/engine/memory.js';
import { PartialChannels } from '../../../runtime/engine/partial-channels.js';
import { relError } from './reference.js';

/** The definition: first C/K channels through f, concatenate the rest, shuffle with K groups. */
function reference(x: tf.Tensor4D, k: number, f: (t: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const part = c / k;
  if (k === 1) return f(x);
  const joined = tf.concat([f(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, part])), tf.slice(x, [0, 0, 0, part], [-1, -1, -1, c - part])], 3);
  return tf.reshape(tf.transpose(tf.reshape(joined, [b, h, w, k, part]), [0, 1, 2, 4, 3]), [b, h, w, c]);
}

test('select/combine equal slice-concat-shuffle (values and gradients) on wasm and cpu', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await initBackend(backend);
    for (const k of [1, 2, 4]) {
      const start = tensorCount();
      const pc = new PartialChannels(8, k);
      const x = tf.randomNormal([2, 3, 3, 8]) as tf.Tensor4D;
      const r = tf.randomNormal([2, 3, 3, 8]);
      const f = (t: tf.Tensor4D): tf.Tensor4D => tf.mul(tf.square(t), 0.5) as tf.Tensor4D;
      const [mine, ref, gMine, gRef] = tf.tidy(() => [
        pc.combine(f(pc.select(x)), x).dataSync(),
        reference(x, k, f).dataSync(),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pc.combine(f(pc.select(t as tf.Tensor4D)), t as tf.Tensor4D), r)))(x).dataSync(),
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reference(t as tf.Tensor4D, k, f), r)))(x).dataSync(),
      ]);
      assert.ok(relError(mine, ref) < 1e-6, `${backend} K=${k} value`);
      assert.ok(relError(gMine, gRef) < 1e-6, `${backend} K=${k} gradient`);
      // The strided form: bypass selected (then pooled by the caller), combined as given.
      const viaRest = tf.tidy(() => pc.combine(f(pc.select(x)), k === 1 ? x : pc.rest(x)).dataSync());
      assert.ok(relError(viaRest, ref) < 1e-6, `${backend} K=${k} rest path`);
      tf.dispose([x, r]);
      pc.dispose();
      assert.equal(tensorCount(), start, 'constants disposed');
    }
  }
  assert.throws(() => new PartialChannels(6, 4), /6 channels do not split into K = 4/);
});
