/**
 * The fused pre-processing op (runtime/engine/preprocess.ts) computes what the supernet's
 * composition computes (runtime/supernet/candidate-ops.ts: ReLU → conv2d → BN, and the factorized
 * reduce with its shifted, padded half and strided convs), with the same weight names, shapes and
 * initial values: forward and the gradient of the input and of every filter bit for bit, on odd
 * shapes (odd sizes, channel counts not in fours, an odd and a single output channel) and the
 * search's shapes, on wasm and cpu (the fused kernels' TypeScript loops up to rounding); its
 * tensor count does not grow over training steps; a step runs only the gradient products it needs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ParamStore } from '../../../runtime/engine/params.js';
import { FusedPreprocess, fusedPreprocessFits, reluConvBn, type PreprocessKind } from '../../../runtime/engine/preprocess.js';
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

/**
 * `exact`: the fused op as the supernet uses it gives the composition's very bits (wasm: the fused
 * kernels; cpu: the composition itself). Otherwise the fused op's own kernels (the TypeScript
 * loops off wasm) agree up to float rounding.
 */
function compare(kind: PreprocessKind, shape: Shape, co: number, seed: number, exact = true): void {
  const [sa, sb] = [new ParamStore(seed), new ParamStore(seed)];
  const ref = composition(kind, sa, shape[3], co);
  const layer = new FusedPreprocess(sb, 'c2.pre0.', kind, shape[3], co);
  const names = kind === 'relu-conv-bn' ? ['c2.pre0.conv'] : ['c2.pre0.fr.a', 'c2.pre0.fr.b'].slice(0, co > 1 ? 2 : 1);
  const fused: Op = exact ? layer : { apply: (x) => reluConvBn(x, names.map((n) => sb.get(n) as tf.Tensor4D), kind === 'relu-conv-bn' ? 1 : 2) };
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
    if (exact) {
      // The same bits: a search is chaotic in the last bit (binary ops flip signs on it).
      const n = b.out[i].reduce((m, v, j) => m + +(!Object.is(v, a.out[i][j]) && v !== a.out[i][j]), 0);
      assert.equal(n, 0, `${kind} ${shape.join('×')}→${co}: ${label} differs in ${n} of ${b.out[i].length} values`);
    } else {
      const err = relError(b.out[i], a.out[i]);
      assert.ok(err < 2e-5, `${kind} ${shape.join('×')}→${co}: ${label} differs (relative error ${err})`);
    }
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

    test('the search shapes (paper-shaped space): the same bits', async () => {
      assert.equal(await useBackend(backend), undefined);
      compare('relu-conv-bn', [32, 8, 8, 48], 16, 31);
      compare('relu-conv-bn', [32, 2, 2, 256], 64, 32);
      compare('factorized-reduce', [32, 8, 8, 64], 32, 33);
    });

    test('the fused kernels themselves agree with the composition up to rounding (wasm: SIMD; cpu: the TypeScript loops)', async () => {
      assert.equal(await useBackend(backend), undefined);
      compare('relu-conv-bn', [3, 5, 7, 6], 5, 41, false);
      compare('factorized-reduce', [3, 5, 7, 5], 7, 42, false);
      compare('factorized-reduce', [2, 7, 5, 4], 1, 43, false);
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
  const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  const w = tf.zeros([1, 1, 4, 4]) as tf.Tensor4D;
  assert.throws(() => reluConvBn(x, [w], 1), /filters must be \[1, 1, 3, Co\]/);
  assert.throws(() => reluConvBn(x, [w, w], 1), /stride 1 takes 1 filters, got 2/);
  tf.dispose([x, w]);
});

test('lazy gradients: only the products a step needs run (inputs only: no filter products, as in the architecture step)', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  assert.ok(simdInUse(), 'the SIMD kernels are on');
  const filterKernels = ['BnasPrepFilterGrad', 'BnasConvFilterGrad'];
  for (const kind of ['relu-conv-bn', 'factorized-reduce'] as const) {
    const store = new ParamStore(9);
    const op = new FusedPreprocess(store, 'p.', kind, 8, 6);
    const x = rand([2, 6, 6, 8], 1) as tf.Tensor4D;
    const r = rand(kind === 'relu-conv-bn' ? [2, 6, 6, 6] : [2, 3, 3, 6], 2);
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
    assert.ok(onlyX.includes('BnasPrepInputGrad') && !onlyX.some((k) => filterKernels.includes(k)), `${kind}, inputs only: ${onlyX.join(', ')}`);
    const onlyW = await kernelsOf('w');
    assert.ok(onlyW.some((k) => filterKernels.includes(k)) && !onlyW.includes('BnasPrepInputGrad'), `${kind}, filters only: ${onlyW.join(', ')}`);
    const both = await kernelsOf('both');
    assert.equal(both.filter((k) => filterKernels.includes(k)).length, vars.length, `${kind}: one filter gradient per filter`);
    // Forward and input products, plus one product per filter where the filter gradient is one.
    assert.equal(both.filter((k) => k === 'BatchMatMul').length, kind === 'relu-conv-bn' ? 3 : 2, `${kind}: products`);
    tf.dispose([x, r]);
    store.dispose();
  }
});
