/**
 * Progressive binarization (docs/method.md, "Progressive binarization"): the blended quantizers'
 * values and gradients against their formulas; a supernet at λ = 1 computes bit for bit what it
 * computes without a blend, at λ = 0 what the full-precision space computes (values and every
 * gradient); changing λ rebuilds nothing and leaks no tensor. On cpu, wasm and native TensorFlow.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { quantizeActivations, quantizeWeights, type BinarizeOptions } from '../../../runtime/engine/quantize.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { binarizeFor, Supernet, type NetworkPart } from '../../../runtime/supernet/supernet.js';
import { useBackend } from '../engine/backends.js';
import { randomArr, relError } from '../engine/reference.js';
import { ALL_KIND_OPS, tinySpace } from './helpers.js';

/** Values around the clip of the straight-through estimator and the ReLU's kink. */
const XS = [0, 1, -1, 0.5, -0.25, 1.5, -2, 0.75];
const LAMBDA = 0.3;

/** ∂/∂x of Σ f(x)·dy, and f(x). */
function valueAndGrad(f: (x: tf.Tensor) => tf.Tensor, x: number[], shape: number[], dy: number[]): { value: number[]; grad: number[] } {
  return tf.tidy(() => {
    const xt = tf.tensor(x, shape);
    const dyt = tf.tensor(dy, shape);
    const grad = Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dyt)))(xt).dataSync());
    return { value: Array.from(f(xt).dataSync()), grad };
  });
}

function close(a: number[], b: number[], what: string, tol = 1e-6): void {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}, index ${i}: ${v} vs ${b[i]}`));
}

const sgn = (v: number) => (v >= 0 ? 1 : -1);
const inside = (v: number) => (Math.abs(v) <= 1 ? 1 : 0);

describe('blended quantizers', () => {
  const blended = (o: Omit<BinarizeOptions, 'blend'>): BinarizeOptions => ({ ...o, blend: { lambda: LAMBDA } });

  test('activations: (1 − λ)·real + λ·sign(x); gradient (1 − λ)·∂real + λ·1[|x| ≤ 1]; real is ReLU(x) after a ReLU, else x', async () => {
    await useBackend('cpu');
    const dy = XS.map((_, i) => i + 1);
    const o = blended({ weights: 'xnor', scale: 'layer', activations: 'sign' });
    for (const afterRelu of [false, true]) {
      const real = (v: number) => (afterRelu ? Math.max(v, 0) : v);
      const dReal = (v: number) => (afterRelu ? (v > 0 ? 1 : 0) : 1);
      const r = valueAndGrad((x) => quantizeActivations(x, o, afterRelu), XS, [XS.length], dy);
      close(r.value, XS.map((v) => (1 - LAMBDA) * real(v) + LAMBDA * sgn(v)), `value, afterRelu ${afterRelu}`);
      close(r.grad, XS.map((v, i) => dy[i] * ((1 - LAMBDA) * dReal(v) + LAMBDA * inside(v))), `gradient, afterRelu ${afterRelu}`);
    }
    // Real activations have nothing to blend.
    const real = valueAndGrad((x) => quantizeActivations(x, blended({ weights: 'xnor', scale: 'layer', activations: 'real' }), true), XS, [XS.length], dy);
    assert.deepEqual(real.value, XS);
  });

  test('xnor weights: (1 − λ)·W + λ·a·sign(W); gradient (1 − λ) + λ·(1/n + a·1[|W| ≤ 1])', async () => {
    await useBackend('cpu');
    const shape = [2, 2, 2, 2];
    const w = Array.from(randomArr(shape, 3, 1.6).data);
    const dy = w.map((_, i) => 0.5 - 0.1 * i);
    const n = w.length;
    const a = w.reduce((s, v) => s + Math.abs(v), 0) / n;
    const r = valueAndGrad((x) => quantizeWeights(x, blended({ weights: 'xnor', scale: 'layer', activations: 'sign' })), w, shape, dy);
    close(r.value, w.map((v) => (1 - LAMBDA) * v + LAMBDA * a * sgn(v)), 'value', 1e-5);
    close(r.grad, w.map((v, i) => dy[i] * (1 - LAMBDA + LAMBDA * (1 / n + a * inside(v)))), 'gradient', 1e-5);
    const s = valueAndGrad((x) => quantizeWeights(x, blended({ weights: 'sign', scale: 'layer', activations: 'sign' })), w, shape, dy);
    close(s.grad, w.map((v, i) => dy[i] * (1 - LAMBDA + LAMBDA * inside(v))), 'sign weights gradient', 1e-5);
  });

  test('λ outside [0, 1] is refused', async () => {
    await useBackend('cpu');
    const x = tf.tensor([1, -1]);
    assert.throws(() => quantizeActivations(x, { weights: 'xnor', scale: 'layer', activations: 'sign', blend: { lambda: 1.5 } }), /outside \[0, 1\]/);
    const net = new Supernet(tinySpace(), { input: [8, 8, 3], numClasses: 3, seed: 1 });
    assert.throws(() => (net.binaryShare = -0.1), /outside \[0, 1\]/);
    net.dispose();
    x.dispose();
  });
});

/** A supernet whose quantizers carry no blend at all: what the supernet computed before progressive binarization. */
class UnblendedSupernet extends Supernet {
  override quantizers(part: NetworkPart): BinarizeOptions {
    return binarizeFor(this.space, part);
  }
}

/** Logits and the gradients of every trainable weight, α and β of Σ logits·r. */
function run(net: Supernet, x: tf.Tensor4D, r: tf.Tensor2D): { logits: Float32Array; grads: Float32Array[]; names: string[] } {
  return tf.tidy(() => {
    const names = net.weights.names().filter((n) => net.weights.get(n).trainable);
    const vars = [...names.map((n) => net.weights.get(n)), ...net.arch.trainable()];
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.forward(x, true), r)) as tf.Scalar, vars);
    return { logits: net.forward(x, true).dataSync() as Float32Array, grads: vars.map((v) => grads[v.name].dataSync() as Float32Array), names: [...names, ...net.arch.names()] };
  });
}

// Every op kind, a reduction cell (stride-2 edges, factorized reduce) and every part binarized.
const supernet = { cells: 2, reductions: [1], channels: 4, nodes: 2, stemMultiplier: 2 };
const binary: SearchSpace['binarize'] = { weights: 'xnor', scale: 'channel', activations: 'sign', keepReal: [], shortcut: true, progressive: 3 };
const options = { input: [8, 8, 3] as const, numClasses: 3, seed: 6 };

for (const backend of ['cpu', 'wasm', 'node'] as const) {
  describe(`a supernet with progressive binarization on ${backend}`, () => {
    test('λ = 1 computes bit for bit what the supernet computes without a blend, also after other λ', async (t) => {
      const skip = await useBackend(backend);
      if (skip) return t.skip(skip);
      const space = tinySpace({ ops: ALL_KIND_OPS, binarize: binary, supernet });
      const plain = new UnblendedSupernet(space, options);
      const net = new Supernet(space, options);
      const x = tf.tensor4d(Float32Array.from(randomArr([2, 8, 8, 3], 1).data), [2, 8, 8, 3]);
      const r = tf.tensor2d(Float32Array.from(randomArr([2, 3], 2).data), [2, 3]);
      try {
        const want = run(plain, x, r);
        assert.equal(net.binaryShare, 1, 'fully binary unless the search says otherwise');
        net.binaryShare = 0.5;
        const half = run(net, x, r);
        assert.ok(relError(half.logits, want.logits) > 1e-3, 'λ = 0.5 computes something else');
        net.binaryShare = 1;
        const got = run(net, x, r);
        assert.deepEqual(got.logits, want.logits);
        got.grads.forEach((g, i) => assert.deepEqual(g, want.grads[i], `gradient of ${want.names[i]}`));
      } finally {
        tf.dispose([x, r]);
        plain.dispose();
        net.dispose();
      }
    });

    test('λ = 0 computes what the full-precision space computes (weights = none, activations = real), values and gradients', async (t) => {
      const skip = await useBackend(backend);
      if (skip) return t.skip(skip);
      const space = tinySpace({ ops: ALL_KIND_OPS, binarize: binary, supernet });
      const realSpace = tinySpace({ ops: ALL_KIND_OPS, binarize: { ...binary, weights: 'none', activations: 'real' }, supernet });
      const real = new Supernet(realSpace, options);
      const net = new Supernet(space, options);
      const x = tf.tensor4d(Float32Array.from(randomArr([2, 8, 8, 3], 3).data), [2, 8, 8, 3]);
      const r = tf.tensor2d(Float32Array.from(randomArr([2, 3], 4).data), [2, 3]);
      try {
        net.binaryShare = 0;
        const want = run(real, x, r);
        const got = run(net, x, r);
        assert.deepEqual(got.names, want.names, 'same weights');
        // The real space's pre-processing is a fused kernel of its own: equal up to float rounding.
        assert.ok(relError(got.logits, want.logits) < 1e-5, `logits ${relError(got.logits, want.logits)}`);
        got.grads.forEach((g, i) => assert.ok(relError(g, want.grads[i]) < 1e-4, `gradient of ${want.names[i]}: ${relError(g, want.grads[i])}`));
        net.binaryShare = 1;
        const binaryRun = run(net, x, r);
        assert.ok(relError(binaryRun.logits, want.logits) > 1e-2, 'λ = 1 is the binary network, not the real one');
      } finally {
        tf.dispose([x, r]);
        real.dispose();
        net.dispose();
      }
    });

    test('changing λ between passes rebuilds nothing and leaks no tensor', async (t) => {
      const skip = await useBackend(backend);
      if (skip) return t.skip(skip);
      const net = new Supernet(tinySpace({ ops: ALL_KIND_OPS, binarize: binary, supernet }), options);
      const x = tf.tensor4d(Float32Array.from(randomArr([2, 8, 8, 3], 5).data), [2, 8, 8, 3]);
      const r = tf.tensor2d(Float32Array.from(randomArr([2, 3], 6).data), [2, 3]);
      try {
        const variables = net.weights.names().length;
        net.binaryShare = 0.25;
        run(net, x, r);
        const before = tf.memory().numTensors;
        for (const lambda of [0, 0.6, 1, 0.25]) {
          net.binaryShare = lambda;
          run(net, x, r);
        }
        assert.equal(tf.memory().numTensors, before);
        assert.equal(net.weights.names().length, variables);
      } finally {
        tf.dispose([x, r]);
        net.dispose();
      }
    });
  });
}
