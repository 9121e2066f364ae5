/**
 * The loop kernels of the fast cell path equal the engine's verified ops (which are checked
 * against finite differences in ops.test.ts / quantize.test.ts / norm.test.ts): forward values
 * and the gradient of every input, on cpu, wasm and native TensorFlow (where the sign estimator
 * and the batch norms are TensorFlow's own ops; skipped where tfjs-node does not load).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  batchNormFast,
  batchNormTrain,
  channelMix,
  concatChannels,
  packWeights,
  pointwiseBn,
  quantizeActivationsFast,
  reluFast,
  signSte,
} from '../../../runtime/engine/cell-kernels.js';
import { batchNormComposed } from '../../../runtime/engine/composed-kernels.js';
import { depthwiseFast } from '../../../runtime/engine/depthwise-fast.js';
import { depthwiseConv2d } from '../../../runtime/engine/depthwise.js';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { batchNorm } from '../../../runtime/engine/norm.js';
import { quantizeActivations, quantizeWeights, signActivation, type BinarizeOptions } from '../../../runtime/engine/quantize.js';
import { useBackend } from './backends.js';
import { randomArr, relError, TEST_BACKENDS } from './reference.js';

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(Float32Array.from(randomArr(shape, seed, scale).data), shape);
}

/** Values and input gradients of sum(f(inputs)·r) for a fixed random cotangent r. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const y = f(...inputs);
    const r = rand([...y.shape], 99);
    const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
    return { y: y.dataSync() as Float32Array, grads: g.map((t) => t.dataSync() as Float32Array) };
  });
}

function assertSame(fast: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = 1e-4): void {
  const a = valueAndGrads(fast, inputs);
  const b = valueAndGrads(reference, inputs);
  assert.equal(a.y.length, b.y.length);
  assert.ok(relError(a.y, b.y) < tol, `forward differs: ${relError(a.y, b.y)}`);
  a.grads.forEach((g, i) => assert.ok(relError(g, b.grads[i]) < tol, `gradient of input ${i} differs: ${relError(g, b.grads[i])}`));
  tf.dispose(inputs);
}

const XNOR: BinarizeOptions = { weights: 'xnor', scale: 'layer', activations: 'sign' };

const BACKENDS = (['cpu', 'wasm', 'node'] as const).filter((b) => TEST_BACKENDS.includes(b));
// Where native TensorFlow does not load, its suite is skipped with the reason (useBackend fails under BNAS_REQUIRE_NATIVE=1).
const nativeSkip = BACKENDS.includes('node') ? await useBackend('node') : undefined;

for (const backend of BACKENDS) {
  describe(`cell kernels (${backend})`, { skip: backend === 'node' ? nativeSkip : undefined }, () => {
    test('backend loads', async () => assert.equal(await useBackend(backend), undefined));

    test('signSte = signActivation (values ±1, sign(0) = +1, clipped estimator)', () => {
      const x = tf.concat([rand([40], 1, 2), tf.zeros([2])]);
      assertSame(signSte, signActivation, [x]);
      assert.deepEqual(Array.from(tf.tidy(() => signSte(tf.tensor1d([0, -0.5, 3])).dataSync())), [1, -1, 1]);
    });

    test('concatChannels = tf.concat along the channels (values, gradient of every part)', () => {
      assertSame((a, b, c) => concatChannels([a, b, c] as tf.Tensor4D[]), (a, b, c) => tf.concat([a, b, c], 3), [rand([2, 3, 3, 4], 28), rand([2, 3, 3, 2], 29), rand([2, 3, 3, 5], 30)]);
    });

    test('reluFast = tf.relu (gradient 0 at 0)', () => {
      assertSame(reluFast, tf.relu, [tf.concat([rand([40], 27, 2), tf.zeros([2])])]);
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(reluFast(x)))(tf.tensor1d([0, -1, 2])).dataSync());
      assert.deepEqual(Array.from(g), [0, 0, 1]);
    });

    test('batchNormFast = batchNorm', () => {
      assertSame((x) => batchNormFast(x), (x) => batchNorm(x as tf.Tensor4D), [rand([3, 4, 5, 6], 2, 3)]);
    });

    test('batchNormTrain = batch norm then γ·x̂ + β (values, batch statistics, gradients of x, γ and β)', () => {
      const x = rand([3, 4, 5, 6], 21, 3);
      const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.add(tf.mul(batchNormComposed(a, 1e-5), g), b);
      const stats = tf.tidy(() => {
        const r = batchNormTrain(x as tf.Tensor4D, tf.ones([6]), tf.zeros([6]), 1e-5);
        const m = tf.moments(x, [0, 1, 2]);
        return [r.mean, m.mean, r.variance, m.variance].map((t) => t.dataSync() as Float32Array);
      });
      assert.ok(relError(stats[0], stats[1]) < 1e-4, `batch mean differs: ${relError(stats[0], stats[1])}`);
      assert.ok(relError(stats[2], stats[3]) < 1e-4, `batch variance (biased) differs: ${relError(stats[2], stats[3])}`);
      assertSame((a, g, b) => batchNormTrain(a as tf.Tensor4D, g, b, 1e-5).y, reference, [x, rand([6], 22), rand([6], 23)]);
    });

    for (const bin of [XNOR, { ...XNOR, blend: { lambda: 0.5 } }]) {
      test(`quantizeActivationsFast = quantizeActivations (${bin.blend ? 'λ 0.5' : 'sign'})`, () => {
        assertSame((x) => quantizeActivationsFast(x, bin, true), (x) => quantizeActivations(x, bin, true), [rand([2, 3, 3, 4], 26, 1.5)]);
      });
    }

    for (const [signInput, c] of [[false, 4], [true, 4], [true, 3], [true, 8]] as const) {
      test(`pointwiseBn = per-group ${signInput ? 'sign → ' : ''}1×1 → batch norm (${c} channels a group)`, () => {
        const g = 3;
        const reference = (x: tf.Tensor, w: tf.Tensor): tf.Tensor => {
          const parts = Array.from({ length: g }, (_, i) => {
            const xi = tf.slice(x, [0, 0, 0, i * c], [-1, -1, -1, c]);
            const a = signInput ? signActivation(xi) : xi;
            const wi = tf.reshape(tf.slice(w, [i, 0, 0], [1, c, c]), [c, c]);
            return tf.reshape(tf.matMul(tf.reshape(a, [-1, c]), wi as tf.Tensor2D), xi.shape);
          });
          return batchNorm(tf.concat(parts, 3) as tf.Tensor4D);
        };
        assertSame((x, w) => pointwiseBn(x as tf.Tensor4D, w as tf.Tensor3D, signInput), reference, [rand([2, 3, 3, g * c], 3, 1.5), rand([g, c, c], 4)]);
      });
    }

    test('channelMix = gather, weight and sum with tf ops (gradient to maps and coefficients)', () => {
      // out[.., 0] = 2·a[.., 1] + coef0·b[.., 0]; out[.., 1] = a[.., 0]; out[.., 2] = coef1·b[.., 2]
      const terms = Int32Array.from([0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, -1, 2, 1, 2, 1]);
      const reference = (a: tf.Tensor, b: tf.Tensor, coef: tf.Tensor): tf.Tensor => {
        const ch = (t: tf.Tensor, i: number) => tf.slice(t, [0, 0, 0, i], [-1, -1, -1, 1]);
        const k = (i: number) => tf.slice(coef, [i], [1]);
        return tf.concat(
          [tf.add(tf.mul(ch(a, 1), k(2)), tf.mul(ch(b, 0), k(0))), ch(a, 0), tf.mul(ch(b, 2), k(1))],
          3,
        );
      };
      assertSame(
        (a, b, coef) => channelMix([a as tf.Tensor4D, b as tf.Tensor4D], terms, 3, coef as tf.Tensor1D),
        reference,
        [rand([2, 3, 3, 2], 5), rand([2, 3, 3, 3], 6), rand([3], 7)],
      );
    });

    test('channelMix: runs of consecutive channels with one coefficient (shuffled targets) = gather and scale', () => {
      // Channels 0..5 of one map, coefficient 0, to targets 5, 3, 1, 4, 0, 2; channel 6 copied to target 6.
      const targets = [5, 3, 1, 4, 0, 2];
      const terms = Int32Array.from([...targets.flatMap((t, ch) => [t, 0, ch, 0]), 6, 0, 6, -1]);
      const reference = (a: tf.Tensor, coef: tf.Tensor): tf.Tensor => {
        const order = [4, 2, 5, 1, 3, 0]; // source channel of each target 0..5
        const gathered = tf.concat(order.map((ch) => tf.slice(a, [0, 0, 0, ch], [-1, -1, -1, 1])), 3);
        const scaled = tf.mul(gathered, tf.slice(coef, [0], [1]));
        return tf.concat([scaled, tf.slice(a, [0, 0, 0, 6], [-1, -1, -1, 1])], 3);
      };
      assertSame((a, coef) => channelMix([a as tf.Tensor4D], terms, 7, coef as tf.Tensor1D), reference, [rand([2, 3, 3, 8], 17), rand([1], 18)]);
    });

    for (const bin of [XNOR, { ...XNOR, scale: 'channel' as const }, { ...XNOR, weights: 'sign' as const }, { ...XNOR, weights: 'none' as const }]) {
      test(`packWeights = quantizeWeights per layer, then concatenated (${bin.weights}, ${bin.scale})`, () => {
        const dw = [rand([3, 3, 4, 1], 8, 0.8), rand([3, 3, 4, 1], 9, 0.8)];
        assertSame(
          (a, b) => packWeights([a, b], 'dw', bin),
          (a, b) => tf.concat([quantizeWeights(a, bin, 2), quantizeWeights(b, bin, 2)], 2),
          dw,
        );
        const pw = [rand([1, 1, 4, 4], 10, 0.8), rand([1, 1, 4, 4], 11, 0.8), rand([1, 1, 4, 4], 12, 0.8)];
        assertSame(
          (a, b, c) => packWeights([a, b, c], 'pw', bin),
          (a, b, c) => tf.reshape(tf.concat([a, b, c].map((w) => quantizeWeights(w, bin, 3)), 0), [3, 4, 4]),
          pw,
        );
      });
    }

    for (const [stride, dilation, k] of [[1, 1, 3], [1, 2, 3], [1, 1, 5], [2, 1, 3], [2, 2, 3], [1, 3, 3]]) {
      test(`depthwiseFast = depthwiseConv2d (k ${k}, stride ${stride}, dilation ${dilation})`, () => {
        assertSame(
          (x, w) => depthwiseFast(x as tf.Tensor4D, w as tf.Tensor4D, stride, dilation),
          (x, w) => depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, dilation),
          [rand([2, 7, 6, 5], 13), rand([k, k, 5, 1], 14)],
        );
      });
    }

    test('no tensor leak over steps', async () => {
      const x = rand([2, 4, 4, 8], 15) as tf.Tensor4D;
      const w = rand([2, 4, 4], 16) as tf.Tensor3D;
      await assertNoLeak(() =>
        tf.tidy(() => {
          tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(signSte(batchNormFast(pointwiseBn(a as tf.Tensor4D, b as tf.Tensor3D, true)))))([x, w]);
          const g = tf.ones([8]);
          tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(batchNormTrain(a as tf.Tensor4D, b, g).y))([x, g]);
        }),
      );
      tf.dispose([x, w]);
    });
  });
}
