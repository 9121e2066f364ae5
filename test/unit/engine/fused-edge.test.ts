/**
 * The per-edge test reference (reference/fused-edge.ts) computes exactly what the per-op mixed edge computes (same weights by
 * name and seed): forward, the gradient of the input, of the mixing weights and of every weight;
 * stride 1 and 2, real and binary weights, on cpu and wasm; pruning drops an op's weights.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildCandidateOp, candidateSpecOf } from './reference/candidate-ops.js';
import { FusedMixedOp } from './reference/fused-edge.js';
import { depthwiseMultiplier } from '../../../runtime/engine/depthwise.js';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import type { BinarizeOptions } from '../../../runtime/engine/quantize.js';
import { useBackend } from './backends.js';
import { type Arr, convRef, engineForwardAndGrads, numericGrad, randomArr, relError } from './reference.js';

const OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5', 'conv_3x3'];
const C = 4;

function mixed(store: ParamStore, stride: 1 | 2, bin: BinarizeOptions | undefined, fused: boolean) {
  const opts = { store, prefix: 'e', channels: C, stride, binarize: bin };
  if (fused) {
    const op = new FusedMixedOp(OPS.map((name) => ({ ...candidateSpecOf(name), name })), opts);
    return { apply: (x: tf.Tensor4D, w: tf.Tensor1D) => op.apply(x, w), op };
  }
  const ops = OPS.map((name) => (name === 'none' ? undefined : buildCandidateOp(candidateSpecOf(name), { ...opts, prefix: `e.${name}` })));
  return {
    apply: (x: tf.Tensor4D, w: tf.Tensor1D) =>
      tf.tidy(() => tf.addN(ops.flatMap((op, o) => (op ? [tf.mul(op.apply(x), tf.slice(w, [o], [1]))] : []))) as tf.Tensor4D),
    op: undefined,
  };
}

function run(stride: 1 | 2, bin: BinarizeOptions | undefined, fused: boolean) {
  const store = new ParamStore(21);
  const edge = mixed(store, stride, bin, fused);
  const x = tf.tensor4d(Float32Array.from(randomArr([2, 6, 6, C], 3).data), [2, 6, 6, C]);
  const w = tf.tensor1d(Float32Array.from(randomArr([OPS.length], 4).data));
  const r = tf.tensor(Float32Array.from(randomArr([2, 6 / stride, 6 / stride, C], 5).data), [2, 6 / stride, 6 / stride, C]);
  const names = store.names().filter((n) => store.get(n).trainable);
  const out = tf.tidy(() => {
    const y = edge.apply(x, w);
    const f = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(edge.apply(xi as tf.Tensor4D, wi as tf.Tensor1D), r)) as tf.Scalar;
    const [gx, gw] = tf.grads(f)([x, w]);
    const { grads } = tf.variableGrads(() => f(x, w), names.map((n) => store.get(n)));
    return {
      y: y.dataSync(),
      gx: gx.dataSync(),
      gw: gw.dataSync(),
      gvars: names.map((n) => Array.from(Object.values(grads)[names.indexOf(n)].dataSync())),
    };
  });
  x.dispose();
  w.dispose();
  r.dispose();
  return { ...out, names, store, edge };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused mixed edge on ${backend}`, () => {
    for (const stride of [1, 2] as const) {
      for (const [label, bin] of [
        ['real', undefined],
        ['xnor weights', { weights: 'xnor', scale: 'channel', activations: 'real' }],
      ] as [string, BinarizeOptions | undefined][]) {
        test(`stride ${stride}, ${label}: equals the per-op edge (value and all gradients)`, async () => {
          await useBackend(backend);
          const a = run(stride, bin, false);
          const b = run(stride, bin, true);
          assert.deepEqual(b.names, a.names, 'same weights by name');
          assert.ok(relError(b.y, a.y) < 1e-4, `forward ${relError(b.y, a.y)}`);
          assert.ok(relError(b.gx, a.gx) < 1e-3, `input gradient ${relError(b.gx, a.gx)}`);
          assert.ok(relError(b.gw, a.gw) < 1e-3, `mixing-weight gradient ${relError(b.gw, a.gw)}`);
          a.names.forEach((n, i) => assert.ok(relError(b.gvars[i], a.gvars[i]) < 1e-3, `gradient of ${n}: ${relError(b.gvars[i], a.gvars[i])}`));
          a.store.dispose();
          b.store.dispose();
        });
      }
    }

    test('drop(name) disposes the op weights and stops computing it; no tensor leak', async () => {
      await useBackend(backend);
      const store = new ParamStore(2);
      const edge = new FusedMixedOp(OPS.map((name) => ({ ...candidateSpecOf(name), name })), { store, prefix: 'e', channels: C, stride: 1 });
      const x = tf.randomNormal([2, 6, 6, C]) as tf.Tensor4D;
      const w = tf.ones([OPS.length]) as tf.Tensor1D;
      const before = tf.tidy(() => edge.apply(x, w).dataSync());
      const sepOut = tf.tidy(() => edge.apply(x, tf.oneHot(OPS.indexOf('sep_conv_5x5'), OPS.length).toFloat() as tf.Tensor1D).dataSync());
      edge.drop('sep_conv_5x5');
      assert.equal(store.names('e.sep_conv_5x5.').length, 0);
      assert.ok(!edge.aliveNames().includes('sep_conv_5x5'));
      const after = tf.tidy(() => edge.apply(x, w).dataSync());
      // Without sep_conv_5x5 the sum loses exactly its term (BN is per channel, so others are unchanged).
      assert.ok(relError(after, before.map((v, i) => v - sepOut[i])) < 1e-4);
      await assertNoLeak(() => tf.tidy(() => {
        tf.grads((xi: tf.Tensor) => tf.sum(edge.apply(xi as tf.Tensor4D, w)))([x]);
      }), 3);
      x.dispose();
      w.dispose();
      store.dispose();
    });

    test('depthwise with channel multiplier 3: forward and gradients (stride 1 dilation 2, stride 2)', async () => {
      await useBackend(backend);
      for (const [s, d] of [[1, 2], [2, 1]]) {
        const x = randomArr([2, 6, 6, 2], 7 + s);
        const w = randomArr([3, 3, 2, 3], 8 + s);
        const ref = ([xa, wa]: Arr[]): Arr => {
          const per = [0, 1, 2].map((j) => convRef(xa, { data: wa.data.filter((_, i) => i % 3 === j), shape: [3, 3, 2, 1] }, s, d, true));
          const out = { data: new Float64Array(per[0].data.length * 3), shape: [...per[0].shape.slice(0, 3), 6] };
          per.forEach((p, j) => p.data.forEach((v, i) => (out.data[i * 3 + j] = v)));
          return out;
        };
        const r = randomArr(ref([x, w]).shape, 9);
        const got = await engineForwardAndGrads((a, b) => depthwiseMultiplier(a as tf.Tensor4D, b as tf.Tensor4D, s, d), [x, w], r);
        assert.ok(relError(got.value, ref([x, w]).data) < 1e-4);
        [0, 1].forEach((i) => assert.ok(relError(got.grads[i], numericGrad(ref, [x, w], r, i)) < 2e-3, `grad ${i}`));
      }
    });
  });
}
