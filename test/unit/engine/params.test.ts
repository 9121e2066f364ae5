/** ParamStore: determinism, ownership, snapshots. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ParamStore } from '../../../runtime/engine/params.js';
import { tensorCount } from '../../../runtime/engine/memory.js';

test('same seed and name give the same weights, independent of creation order', async () => {
  await tf.setBackend('cpu');
  const a = new ParamStore(7);
  const b = new ParamStore(7);
  const c = new ParamStore(8);
  a.create('x', [3, 3, 2, 4]);
  a.create('y', [4]);
  b.create('y', [4]);
  b.create('x', [3, 3, 2, 4]);
  c.create('x', [3, 3, 2, 4]);
  assert.deepEqual(a.get('x').dataSync(), b.get('x').dataSync());
  assert.notDeepEqual(a.get('x').dataSync(), c.get('x').dataSync());
  // He init: std ≈ sqrt(2 / fanIn), fanIn = 3·3·2.
  const v = Array.from(a.get('x').dataSync());
  const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 18)) < 0.1, `std ${std}`);
  for (const s of [a, b, c]) s.dispose();
});

test('ownership: disposePrefix frees one op, dispose frees all; duplicate names are rejected', () => {
  const start = tensorCount();
  const s = new ParamStore(1);
  s.create('e0.sep.dw', [3, 3, 4, 1]);
  s.create('e0.sep.pw', [1, 1, 4, 4]);
  s.create('e0.pool.runningMean', [4], 'zeros', false);
  s.create('e1.dil.dw', [3, 3, 4, 1]);
  assert.equal(s.count(), 36 + 16 + 36);
  assert.equal(s.count('', true), 36 + 16 + 4 + 36);
  assert.equal(s.trainable('e0.').length, 2);
  assert.throws(() => s.create('e1.dil.dw', [1]), /already exists/);
  assert.equal(s.disposePrefix('e0.'), 3);
  assert.deepEqual(s.names(), ['e1.dil.dw']);
  assert.throws(() => s.get('e0.sep.dw'), /no variable named 'e0.sep.dw'/);
  s.dispose();
  assert.equal(tensorCount(), start);
});

test('save and load restore values exactly; shape mismatches are explained', async () => {
  const s = new ParamStore(3);
  s.create('w', [2, 3]);
  const saved = await s.save();
  const before = Array.from(s.get('w').dataSync());
  s.get('w').assign(tf.zeros([2, 3]));
  s.load(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual(Array.from(s.get('w').dataSync()), before);
  assert.throws(() => s.load({ w: { shape: [3, 2], values: before, trainable: true } }), /shape \[2,3\] but the snapshot has \[3,2\]/);
  s.dispose();
});
