/**
 * The search step's fixed-cost kernels (bench/search/profile.ts): the reduction bypass's max-pool
 * gradient in one kernel gives the very bits of the stock route (shift to ≥ 1, wasm's MaxPoolGrad)
 * on negative maxima, odd sizes, channels not in fours and ties the shift makes, and leaks nothing; tensors saved for the
 * backward pass share their data (no Identity kernel, no tape node) and give the same gradients;
 * the SIMD depthwise conv computes its filter gradient only when asked; several weight packs in
 * one kernel call equal one call each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batchNormFast, packMany, packWeights } from '../../../runtime/engine/cell-kernels.js';
import type { BinarizeOptions } from '../../../runtime/engine/quantize.js';
import { conv2d } from '../../../runtime/engine/conv.js';
import { depthwiseSimd } from '../../../runtime/engine/depthwise-simd.js';
import { maxPoolGradRouted } from '../../../runtime/engine/pool.js';
import { sharedSavesInUse, useSharedSaves } from '../../../runtime/engine/tfjs-patches.js';
import { simdInUse, useSimdKernels } from '../../../runtime/engine/simd.js';
import { useBackend } from './backends.js';
import { randomArr } from './reference.js';

function rand(shape: number[], seed: number, shift = 0): tf.Tensor4D {
  return tf.tensor(Float32Array.from(randomArr(shape, seed).data, (v) => v + shift), shape as [number, number, number, number]) as tf.Tensor4D;
}

/** The stock route the kernel replaces: x shifted to ≥ 1, the backend's MaxPoolGrad on it. */
function stockRoute(dy: tf.Tensor4D, x: tf.Tensor4D, k: number, stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const shifted = tf.add(x, tf.maximum(0, tf.sub(1, tf.min(x)))) as tf.Tensor4D;
    const pooled = tf.maxPool(shifted, k, stride, 'same');
    return tf.engine().runKernel('MaxPoolGrad', { dy, input: shifted, output: pooled }, { filterSize: k, strides: stride, pad: 'same' }) as tf.Tensor4D;
  });
}

test('bypass max-pool gradient: one kernel, the very bits of the stock route (odd sizes, negative maxima, ties the shift makes), SIMD and loop', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  assert.ok(simdInUse(), 'the SIMD kernels are on after initBackend(wasm)');
  const cases: [number[], number, number][] = [[[3, 8, 8, 24], 2, 2], [[2, 5, 7, 8], 2, 2], [[2, 5, 7, 6], 2, 2], [[2, 5, 5, 4], 3, 2], [[1, 4, 6, 12], 3, 1]];
  for (const simd of [true, false]) {
    useSimdKernels(simd);
    try {
      for (const [shape, k, stride] of cases) {
        // All negative (wasm's own MaxPoolGrad misroutes those without the shift), and values 1e-7
        // apart that the shift by ~11 rounds to ties: the last one must get dy, as before.
        const x = tf.tidy(() => {
          const base = rand(shape, shape[3], -10);
          const near = tf.mul(tf.cast(tf.greater(rand(shape, 5), 0.5), 'float32'), 1e-7);
          return tf.add(tf.where(tf.greater(rand(shape, 6), 0), tf.fill(shape as [number, number, number, number], 0.5), base), near) as tf.Tensor4D;
        });
        const ho = Math.ceil(shape[1] / stride);
        const wo = Math.ceil(shape[2] / stride);
        const dy = rand([shape[0], ho, wo, shape[3]], 7);
        const before = tf.memory().numTensors;
        const fast = maxPoolGradRouted(dy, x, k, stride);
        assert.equal(tf.memory().numTensors, before + 1, 'only the gradient is left');
        const stock = stockRoute(dy, x, k, stride);
        assert.deepEqual(fast.shape, shape);
        assert.deepEqual(fast.dataSync(), stock.dataSync(), `${shape} k=${k} s=${stride} simd=${simd}: the same bits`);
        tf.dispose([x, dy, fast, stock]);
      }
    } finally {
      useSimdKernels(true);
    }
  }
  const x = rand([2, 4, 4, 8], 3);
  const dy = rand([2, 2, 2, 8], 4);
  const profile = await tf.profile(() => maxPoolGradRouted(dy, x, 2, 2));
  assert.deepEqual(profile.kernels.map((kernel) => kernel.name), ['BnasMaxPoolGradShifted'], 'one kernel call');
  tf.dispose([x, dy]);
});

test('shared saves: gradients as with TensorFlow.js clones, no Identity call or tape node per saved tensor, no leak', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    assert.equal(await useBackend(backend), undefined);
    assert.ok(sharedSavesInUse(), `initBackend(${backend}) turns shared saves on`);
    const x = rand([2, 5, 5, 8], 1);
    const w = tf.variable(rand([3, 3, 8, 4], 2));
    // A chain of ops that save inputs and outputs (a stock conv, the engine's batch norm, ReLU).
    const f = () => tf.sum(tf.mul(batchNormFast(tf.relu(conv2d(x, w as unknown as tf.Tensor4D))), rand([2, 5, 5, 4], 3))) as tf.Scalar;
    const grads = (shared: boolean) => {
      useSharedSaves(shared);
      try {
        const g = tf.variableGrads(f, [w]);
        const out = g.grads[w.name].dataSync().slice();
        tf.dispose([g.value, ...Object.values(g.grads)]);
        return out;
      } finally {
        useSharedSaves(true);
      }
    };
    assert.deepEqual(grads(true), grads(false), `${backend}: same gradient`);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => tf.dispose(Object.values(tf.variableGrads(f, [w]).grads)));
    assert.equal(profile.kernels.filter((k) => k.name === 'Identity').length, 0, `${backend}: no Identity kernel for saved tensors`);
    useSharedSaves(false);
    const stock = await tf.profile(() => tf.dispose(Object.values(tf.variableGrads(f, [w]).grads)));
    useSharedSaves(true);
    assert.ok(stock.kernels.filter((k) => k.name === 'Identity').length > 3, 'the stock route clones every saved tensor (the test sees the difference)');
    // Each profiled variableGrads leaves its loss value (2 scalars); nothing saved stays behind.
    assert.equal(tf.memory().numTensors - before, 2, `${backend}: no saved tensor left behind`);
    x.dispose();
    w.dispose();
  }
});

test('SIMD depthwise conv: the filter gradient runs only when the filter is differentiated (architecture steps skip it)', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  const x = rand([2, 6, 6, 8], 11);
  const w = rand([3, 3, 8, 1], 12);
  const r = rand([2, 6, 6, 8], 13);
  const kernelsOf = async (wrt: tf.Tensor[]): Promise<string[]> =>
    (await tf.profile(() => tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(depthwiseSimd(a as tf.Tensor4D, b as tf.Tensor4D, 1, 1), r)))(wrt)))).kernels.map((k) => k.name);
  const both = await kernelsOf([x, w]);
  assert.ok(both.includes('BnasDepthwiseSimdInputGrad') && both.includes('BnasDepthwiseFilterGrad'), both.join(', '));
  const onlyX = await tf.profile(() => tf.dispose(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(depthwiseSimd(a as tf.Tensor4D, w, 1, 1), r)))(x)));
  const names = onlyX.kernels.map((k) => k.name);
  assert.ok(names.includes('BnasDepthwiseSimdInputGrad') && !names.includes('BnasDepthwiseFilterGrad'), names.join(', '));
  tf.dispose([x, w, r]);
});

test('packMany = one packWeights per group, values and gradients bit for bit (xnor by layer and by channel, sign, real)', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    assert.equal(await useBackend(backend), undefined);
    const dws = [rand([3, 3, 4, 1], 21), rand([3, 3, 4, 1], 22)];
    const pws = [rand([1, 1, 4, 4], 23), rand([1, 1, 4, 4], 24)];
    const groups = [{ ws: dws, layout: 'dw' as const }, { ws: pws, layout: 'pw' as const }, { ws: dws.slice(1), layout: 'dw' as const }];
    const bins: BinarizeOptions[] = [
      { weights: 'xnor', scale: 'layer', activations: 'sign' },
      { weights: 'xnor', scale: 'channel', activations: 'sign' },
      { weights: 'sign', scale: 'layer', activations: 'sign' },
      { weights: 'none', scale: 'layer', activations: 'real' },
    ];
    const inputs = [...dws, ...pws];
    for (const bin of bins) {
      const rs = groups.map((g, i) => tf.tidy(() => rand([...packWeights(g.ws, g.layout, bin).shape], 30 + i)));
      const loss = (packs: (ws: tf.Tensor[]) => tf.Tensor[]) => (...ws: tf.Tensor[]) =>
        tf.addN(packs(ws).map((p, i) => tf.sum(tf.mul(p, rs[i])))) as tf.Scalar;
      const split = (ws: tf.Tensor[]) => [packWeights(ws.slice(0, 2), 'dw', bin), packWeights(ws.slice(2, 4), 'pw', bin), packWeights(ws.slice(1, 2), 'dw', bin)];
      const many = (ws: tf.Tensor[]) => packMany([{ ws: ws.slice(0, 2), layout: 'dw' }, { ws: ws.slice(2, 4), layout: 'pw' }, { ws: ws.slice(1, 2), layout: 'dw' }], bin);
      const a = tf.tidy(() => [...split(inputs), ...tf.grads(loss(split))(inputs)].map((t) => t.dataSync().slice()));
      const b = tf.tidy(() => [...many(inputs), ...tf.grads(loss(many))(inputs)].map((t) => t.dataSync().slice()));
      assert.deepEqual(b, a, `${backend} ${bin.weights}/${bin.scale}: same packs and gradients`);
      tf.dispose(rs);
    }
    tf.dispose(inputs);
  }
});
