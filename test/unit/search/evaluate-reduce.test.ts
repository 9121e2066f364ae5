// The op table's fast kernels (runtime/supernet/candidate-ops.ts, what the discrete network
// trains with: factorized reduce by pixel picking, separable/dilated convs on the fast depthwise
// kernel) compute what its stock kernels compute, with the same weights: outputs and every gradient agree (even and odd sizes, strides 1
// and 2, binary and real), so trained cells are unchanged by the faster kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/index.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import { REAL, type BinarizeOptions } from '../../../runtime/engine/quantize.js';
import type { OpSpec } from '../../../runtime/dsl/space.js';
import { buildOp, EvenOddFactorizedReduce, FactorizedReduce, type Op, type OpContext } from '../../../runtime/supernet/candidate-ops.js';
import { EVAL_BN } from '../../../runtime/supernet/discrete.js';

const XNOR: BinarizeOptions = { weights: 'xnor', scale: 'layer', activations: 'sign' };

type Build = (ctx: OpContext) => Op;

function compare(shape: [number, number, number, number], co: number, binarize: BinarizeOptions, stride: 1 | 2 = 2, build?: [Build, Build]): void {
  const ctx = (store: ParamStore): OpContext => ({ store, prefix: 'c1.pre0.', channels: co, stride, binarize, bn: EVAL_BN });
  const [sa, sb] = [new ParamStore(11), new ParamStore(11)];
  const ref = build ? build[0](ctx(sa)) : new FactorizedReduce(ctx(sa), shape[3], co);
  const fast = build ? build[1](ctx(sb)) : new EvenOddFactorizedReduce(ctx(sb), shape[3], co);
  assert.deepEqual(Object.keys(sb.trainableMap()).sort(), Object.keys(sa.trainableMap()).sort(), 'same weight names');
  const x = tf.randomNormal(shape, 0, 1, 'float32', 5) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const run = (op: { apply(x: tf.Tensor4D, t: boolean): tf.Tensor4D }, store: ParamStore) => {
    const vars = Object.values(store.trainableMap());
    const dx = tf.variable(x);
    // A non-uniform loss so every output position and channel weighs differently.
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.mul(op.apply(dx, true), tf.linspace(0.1, 2, co)))) as tf.Scalar, [...vars, dx]);
    const out = { y: tf.tidy(() => op.apply(x, false)), value, grads };
    dx.dispose();
    return out;
  };
  const a = run(ref, sa);
  const mid = tf.memory().numTensors;
  const b = run(fast, sb);
  assert.equal(tf.memory().numTensors - mid, mid - before, 'both leave the same tensors: output, loss, gradients');
  assert.deepEqual(b.y.shape, [shape[0], Math.ceil(shape[1] / stride), Math.ceil(shape[2] / stride), co]);
  const maxAbs = (t: () => tf.Tensor) => tf.tidy(() => tf.max(tf.abs(t())).dataSync()[0]);
  assert.ok(maxAbs(() => tf.sub(a.y, b.y)) < 1e-5, 'same output');
  assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-3, 'same loss');
  const names = Object.keys(a.grads);
  assert.equal(names.length, Object.keys(b.grads).length);
  const ga = Object.values(a.grads);
  const gb = Object.values(b.grads);
  for (let i = 0; i < ga.length; i++) {
    const diff = maxAbs(() => tf.sub(ga[i], gb[i]));
    const scale = maxAbs(() => ga[i]);
    assert.ok(diff <= 1e-4 * Math.max(1, scale), `gradient ${i} (${ga[i].shape}) differs by ${diff}`);
  }
  tf.dispose([a.y, b.y, a.value, b.value, ...ga, ...gb]);
  assert.equal(tf.memory().numTensors - before, 0, 'no tensor left behind');
  sa.dispose();
  sb.dispose();
  x.dispose();
}

test('EvenOddFactorizedReduce = FactorizedReduce: even size, binary', async () => {
  await tf.setBackend('cpu');
  compare([4, 6, 6, 8], 8, XNOR);
});

test('EvenOddFactorizedReduce = FactorizedReduce: odd sizes (zero padding of the shifted half), real, odd output channels', async () => {
  await tf.setBackend('cpu');
  compare([3, 5, 7, 4], 5, REAL);
  compare([2, 7, 5, 4], 4, XNOR);
});

const spec = (kind: OpSpec['kind'], dilation = 1): OpSpec => ({ name: kind, kind, kernel: 3, dilation, repeat: 1, builtin: true });

test('fast kernels = stock kernels: sep_conv and dil_conv (strides 1 and 2), strided skip, pools; on wasm and cpu', async () => {
  assert.ok(await initBackend('wasm'));
  assert.equal(tf.getBackend(), 'wasm');
  const ops = [[spec('sep_conv'), 1], [spec('sep_conv'), 2], [spec('dil_conv', 2), 1], [spec('dil_conv', 2), 2], [spec('skip'), 2], [spec('max_pool'), 2], [spec('avg_pool'), 1]] as const;
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    for (const [s, stride] of ops) {
      for (const bin of [XNOR, REAL]) compare([2, 6, 6, 4], 4, bin, stride, [(c) => buildOp(s, c) as Op, (c) => buildOp(s, { ...c, kernels: 'fast' }) as Op]);
    }
  }
  assert.equal(buildOp(spec('zero'), { store: new ParamStore(1), prefix: 'x.', channels: 4, stride: 1, binarize: XNOR, bn: EVAL_BN, kernels: 'fast' }), undefined);
});
