import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { planCells, Supernet } from '../../../runtime/supernet/supernet.js';
import { bypassPool } from '../../../runtime/engine/pool.js';
import { channelShuffle, mixEdge, sumOps } from '../engine/reference/mixed-edge.js';
import type { Op } from '../../../runtime/supernet/candidate-ops.js';
import { tinySpace } from './helpers.js';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

test('cell plan: reductions halve the size and double channels; outputs are nodes × C', () => {
  const plans = planCells(tinySpace({ supernet: { cells: 3, reductions: [1], channels: 8, nodes: 4, stemMultiplier: 3 } }), 16);
  assert.deepEqual(plans.map((p) => [p.kind, p.channels, p.size, p.inPrevPrev, p.inPrev, p.out, p.reductionPrev]), [
    ['normal', 8, 16, 24, 24, 32, false],
    ['reduce', 16, 8, 24, 32, 64, false],
    ['normal', 16, 8, 32, 64, 64, true],
  ]);
});

test('supernet: logits shape, op counts, parameter count, and alpha/beta shapes', () => {
  const space = tinySpace();
  const net = new Supernet(space, { input: [8, 8, 3], numClasses: 4, seed: 1 });
  try {
    const logits = tf.tidy(() => net.forward(tf.randomNormal([3, 8, 8, 3]) as tf.Tensor4D, true));
    assert.deepEqual(logits.shape, [3, 4]);
    logits.dispose();
    assert.equal(net.edges, 5);
    // 2 cells × 5 edges × 3 non-none ops
    assert.equal(net.computedOps(), 30);
    assert.equal(net.opsLeft(), 2 * 5 * 4);
    assert.deepEqual(net.arch.get('alpha.normal').shape, [5, 4]);
    assert.deepEqual(net.arch.get('beta.reduce').shape, [5]);
    assert.ok(net.parameterCount() > 0);
    const before = net.parameterCount();
    net.prune('normal', 0, 3); // sep_conv on edge 0 of the normal cell
    assert.equal(net.computedOps(), 29);
    assert.ok(net.parameterCount() < before);
    const w = net.opWeights('normal');
    const row = w.arraySync()[0];
    w.dispose();
    assert.ok(row[3] < 1e-12 && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  } finally {
    net.dispose();
  }
});

test('partial channels: ops see exactly C/K channels and the bypass keeps the rest untouched', () => {
  const seen: number[] = [];
  const probe: Op = { apply: (x) => (seen.push(x.shape[3]), tf.mul(x, 0) as tf.Tensor4D) };
  const x = tf.tensor4d(Array.from({ length: 2 * 2 * 2 * 8 }, (_, i) => i + 1), [2, 2, 2, 8]);
  const w = tf.ones([1, 1]) as tf.Tensor2D;
  const noShuffle = mixEdge(x, (xa) => sumOps(xa, new Map([[0, probe]]), w, 0, true), { k: 4, shuffle: false, stride: 1 });
  assert.deepEqual(seen, [2]);
  const v = noShuffle.arraySync()[0][0][0];
  // first 2 channels through the (zeroing) op, the other 6 bypass unchanged
  assert.deepEqual(v, [0, 0, 3, 4, 5, 6, 7, 8]);
  const shuffled = mixEdge(x, (xa) => sumOps(xa, new Map([[0, probe]]), w, 0, true), { k: 4, shuffle: true, stride: 1 });
  assert.deepEqual(shuffled.arraySync()[0][0][0], [0, 3, 5, 7, 0, 4, 6, 8]);
  const k2 = mixEdge(x, (xa) => sumOps(xa, new Map([[0, probe]]), w, 0, true), { k: 2, shuffle: false, stride: 1 });
  assert.equal(seen[seen.length - 1], 4);
  assert.deepEqual(k2.arraySync()[0][0][0].slice(4), [5, 6, 7, 8]);
  tf.dispose([x, w, noShuffle, shuffled, k2]);
});

test('channel shuffle and bypass pool', () => {
  const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6]);
  assert.deepEqual(channelShuffle(x, 2).dataSync(), Float32Array.from([0, 3, 1, 4, 2, 5]));
  assert.deepEqual(channelShuffle(x, 3).dataSync(), Float32Array.from([0, 2, 4, 1, 3, 5]));
  const y = tf.tensor4d([-5, -1, -3, -2, -9, -8, -7, -6, -4], [1, 3, 3, 1]);
  const p = bypassPool(y);
  assert.deepEqual(p.shape, [1, 2, 2, 1]);
  assert.deepEqual(p.dataSync(), Float32Array.from([-1, -3, -6, -4]));
  // The gradient reaches each window's maximum only, also where every value is negative (wasm's
  // MaxPoolGrad misroutes those) and in the cut last row/column of an odd size.
  const dy = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(bypassPool(a as tf.Tensor4D), dy)))(y);
  assert.deepEqual(dx.dataSync(), Float32Array.from([0, 1, 2, 0, 0, 0, 0, 3, 4]));
  tf.dispose([x, y, p, dy, dx]);
});

test('single-path forward computes only the chosen ops', () => {
  const net = new Supernet(tinySpace(), { input: [8, 8, 3], numClasses: 4, seed: 1 });
  try {
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const calls = tf.memory().numTensors;
    const full = tf.tidy(() => net.forward(x, true));
    const path = { normal: [3, 1, 2, 0, 3], reduce: [1, 1, 1, 1, 1] };
    const single = tf.tidy(() => net.forward(x, true, path));
    assert.deepEqual(single.shape, full.shape);
    assert.notDeepEqual(Array.from(single.dataSync()), Array.from(full.dataSync()));
    tf.dispose([x, full, single]);
    assert.equal(tf.memory().numTensors, calls - 1);
  } finally {
    net.dispose();
  }
});
