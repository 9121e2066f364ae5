/**
 * The fused pre-processing op (runtime/engine/preprocess.ts) computes what the supernet's
 * composition computes (runtime/supernet/candidate-ops.ts: ReLU → conv2d → BN, and the factorized
 * reduce with its shifted, padded half and strided convs), with the same weight names, shapes and
 * initial values: forward and the gradient of the input and of every filter, on odd shapes (odd
 * sizes, channel counts not in fours, an odd and a single output channel), on wasm and cpu; its
 * tensor count does not grow over training steps; a step runs only the gradient products it needs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ParamStore } from '../../../runtime/engine/params.js';
import { FusedPreprocess, fusedPreprocessFits, type PreprocessKind } from '../../../runtime/engine/preprocess.js';
import { REAL } from '../../../runtime/engine/quantize.js';
import { simdInUse } from '../../../runtime/engine/simd.js';
import { FactorizedReduce, ReluConvBn, type Op } from '../../../runtime/supernet/candidate-ops.js';
import { SEARCH_BN } from '../../../runtime/supernet/supernet.js';
import { useBackend } from './backends.js';
import { randomArr, relError } from './reference.js';

type Shape = [number, number, number, number];

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Float32Array.from(randomArr(shape, seed).data), shape);
}

/** The composition the fused op replaces, on its own store (same seed, so the same filters). */
function composition(kind: PreprocessKind, store: ParamStore, ci: number, co: number): Op {
  const ctx = { store, prefix: 'c2.pre0.', channels: co, stride: (kind === 'relu-conv-bn' ? 1 : 2) as 1 | 2, binarize: REAL, bn: SEARCH_BN };
  return kind === 'relu-conv-bn' ? new ReluConvBn(ctx, ci, co) : new FactorizedReduce(ctx, ci, co);
}

/** Output, then the gradients of x and of every filter (in name order) of Σ f(x)·r. */
function valueAndGrads(op: Op, store: ParamStore, x: tf.Tensor4D, r: tf.Tensor): { names: string[]; out: Float32Array[]; shape: number[] } {
  const names = Object.keys(store.trainableMap()).sort();
  const vars = names.map((n) => store.get(n));
  return tf.tidy(() => {
    const y = op.apply(x, true);
    const xv = tf.variable(x);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(op.apply(xv, true), r)) as tf.Scalar, [xv, ...vars]);
    const out = [y, grads[xv.name], ...vars.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
    xv.dispose();
    return { names, out, shape: y.shape };
  });
}

function compare(kind: PreprocessKind, shape: Shape, co: number, seed: number): void {
  const [sa, sb] = [new ParamStore(seed), new ParamStore(seed)];
  const ref = composition(kind, sa, shape[3], co);
  const fused = new FusedPreprocess(sb, 'c2.pre0.', kind, shape[3], co);
  // Positive and negative inputs, so ReLU masks about half (and exact zeros: ReLU's gradient at 0 is 0).
  const x = tf.tidy(() => tf.mul(rand(shape, seed + 1), tf.cast(tf.notEqual(rand(shape, seed + 2), 0), 'float32'))) as tf.Tensor4D;
  const stride = kind === 'relu-conv-bn' ? 1 : 2;
  const outShape = [shape[0], Math.ceil(shape[1] / stride), Math.ceil(shape[2] / stride), co];
  const r = rand(outShape, seed + 3);
  const a = valueAndGrads(ref, sa, x, r);
  const b = valueAndGrads(fused, sb, x, r);
  assert.deepEqual(b.names, a.names, 'same weight names');
  for (const n of a.names) assert.deepEqual(sb.get(n).shape, sa.get(n).shape, `${n}: same shape`);
  for (const n of a.names) assert.deepEqual(sb.get(n).dataSync(), sa.get(n).dataSync(), `${n}: same initial values`);
  assert.deepEqual(b.shape, outShape);
  const labels = ['output', 'dx', ...a.names.map((n) => `d${n}`)];
  assert.equal(b.out.length, labels.length);
  labels.forEach((label, i) => {
    const err = relError(b.out[i], a.out[i]);
    assert.ok(err < 2e-5, `${kind} ${shape.join('×')}→${co}: ${label} differs (relative error ${err})`);
  });
  // Not all zero: a gradient that vanished would pass the comparison above only if both vanished
  // (a 1-pixel-wide image has no odd pixel: the shifted half sees only padding there).
  const oddPixels = shape[1] > 1 && shape[2] > 1;
  for (let i = 1; i < b.out.length; i++) if (oddPixels || !labels[i].endsWith('fr.b')) assert.ok(b.out[i].some((v) => v !== 0), `${labels[i]} is not all zero`);
  tf.dispose([x, r]);
  sa.dispose();
  sb.dispose();
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fused pre-processing on ${backend}`, () => {
    test('ReLU → 1×1 → BN = the composition: forward, dx and dW (odd sizes and channel counts)', async () => {
      assert.equal(await useBackend(backend), undefined);
      compare('relu-conv-bn', [3, 5, 7, 6], 5, 11);
      compare('relu-conv-bn', [2, 4, 4, 16], 8, 12);
      compare('relu-conv-bn', [4, 3, 3, 9], 12, 13);
    });

    test('factorized reduce = the composition: even and odd sizes, odd and single output channels', async () => {
      assert.equal(await useBackend(backend), undefined);
      compare('factorized-reduce', [2, 6, 6, 8], 8, 21);
      compare('factorized-reduce', [3, 5, 7, 5], 7, 22);
      compare('factorized-reduce', [2, 7, 5, 4], 1, 23);
      compare('factorized-reduce', [2, 1, 1, 3], 4, 24);
    });

    test('the tensor count does not grow over training steps', async () => {
      assert.equal(await useBackend(backend), undefined);
      const store = new ParamStore(5);
      const ops = [new FusedPreprocess(store, 'a.', 'relu-conv-bn', 6, 4), new FusedPreprocess(store, 'b.', 'factorized-reduce', 6, 5)];
      const x = rand([2, 5, 5, 6], 6) as tf.Tensor4D;
      const vars = Object.values(store.trainableMap());
      const step = () =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.add(tf.sum(tf.square(ops[0].apply(x))), tf.sum(ops[1].apply(x))) as tf.Scalar, vars);
          for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
        });
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) step();
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind by a step');
      x.dispose();
      store.dispose();
    });
  });
}

test('the fused op covers exactly the search flavour: real, batch statistics only', () => {
  assert.ok(fusedPreprocessFits(REAL, SEARCH_BN));
  assert.ok(!fusedPreprocessFits({ ...REAL, activations: 'sign' }, SEARCH_BN));
  assert.ok(!fusedPreprocessFits({ ...REAL, weights: 'xnor' }, SEARCH_BN));
  assert.ok(!fusedPreprocessFits(REAL, { affine: true, trackRunningStats: true }));
});

test('wrong filters are refused with the shapes allowed', async () => {
  assert.equal(await useBackend('cpu'), undefined);
  const store = new ParamStore(1);
  const op = new FusedPreprocess(store, 'p.', 'relu-conv-bn', 4, 4);
  assert.throws(() => tf.tidy(() => op.apply(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D)), /filters must be \[1, 1, 3, Co\]/);
  store.dispose();
});

test('lazy gradients: only the products a step needs run (inputs only: no filter products, as in the architecture step)', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  assert.ok(simdInUse(), 'the SIMD kernels are on');
  const store = new ParamStore(9);
  const op = new FusedPreprocess(store, 'p.', 'factorized-reduce', 8, 6);
  const x = rand([2, 6, 6, 8], 1) as tf.Tensor4D;
  const r = rand([2, 3, 3, 6], 2);
  const vars = Object.values(store.trainableMap());
  const kernelsOf = async (wrt: 'x' | 'w' | 'both'): Promise<string[]> => {
    const xv = tf.variable(x);
    const profile = await tf.profile(() => {
      const g = tf.variableGrads(() => tf.sum(tf.mul(op.apply(xv), r)) as tf.Scalar, wrt === 'x' ? [xv] : wrt === 'w' ? vars : [xv, ...vars]);
      tf.dispose([g.value, ...Object.values(g.grads)]);
    });
    xv.dispose();
    return profile.kernels.map((k) => k.name);
  };
  const onlyX = await kernelsOf('x');
  assert.ok(onlyX.includes('BnasPrepInputGrad') && !onlyX.includes('BnasPrepFilterGrad'), `inputs only: ${onlyX.join(', ')}`);
  const onlyW = await kernelsOf('w');
  assert.ok(onlyW.includes('BnasPrepFilterGrad') && !onlyW.includes('BnasPrepInputGrad'), `filters only: ${onlyW.join(', ')}`);
  const both = await kernelsOf('both');
  assert.equal(both.filter((k) => k === 'BnasPrepFilterGrad').length, 2, 'one filter gradient per filter');
  assert.equal(both.filter((k) => k === 'BatchMatMul').length, 4, 'forward, input and two filter products');
  tf.dispose([x, r]);
  store.dispose();
});
