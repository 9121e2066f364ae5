// The quality benchmark's budgets (bench/quality/budget.ts): how many searches each mode runs,
// and the learning curve of trainGenotype (test accuracy after every epoch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { FULL, MODES, seedsOf, type Budget } from '../../../bench/quality/budget.js';
import { loadDataset } from '../../../runtime/data/index.js';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import { trainGenotype } from '../../../runtime/search/evaluate.js';
import { randomGenotype } from '../../../runtime/supernet/random-cells.js';
import { Rng } from '../../../runtime/random/rng.js';

test('seedsOf: this method always gets every seed; modeSeeds caps the other modes, never above seeds', () => {
  const b: Budget = { seeds: 3, random: 5, evalEpochs: 1, modeSeeds: { 'pc-darts': 2, darts: 1, bnas: 1 } };
  assert.equal(seedsOf(b, 'bnas'), 3);
  assert.equal(seedsOf(b, 'pc-darts'), 2);
  assert.equal(seedsOf(b, 'darts'), 1);
  assert.equal(seedsOf({ ...b, modeSeeds: { darts: 9 } }, 'darts'), 3);
  assert.equal(seedsOf({ ...b, modeSeeds: undefined }, 'pc-darts'), 3);
});

test('the recorded Fashion-MNIST budget: 3 seeds of this method, at least 5 random cells over them (the claim), every mode searched', () => {
  const b = FULL['fashion-mnist'];
  assert.equal(seedsOf(b, 'bnas'), 3);
  assert.ok(b.random * seedsOf(b, 'bnas') >= 5, `${b.random} random cells a seed`);
  for (const m of MODES) assert.ok(seedsOf(b, m) >= 1, m);
});

test('trainGenotype: curve = test accuracy after every epoch, the last equal to the result; losses per epoch; no tensor leak', async () => {
  const { space } = loadSearchSpace(`search "t" {
  data { source = synthetic, train = 32, test = 16, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]
  binarize { weights = xnor, activations = sign }
  train { epochs = 3, batch = 16, warmup = 1, seed = 3 }
  optimizer weights { kind = adam, lr = 0.01, weight_decay = 0, schedule = cosine }
}`);
  assert.ok(space);
  await tf.setBackend('cpu');
  const dataset = await loadDataset(space.data, { seed: 3 });
  const g = randomGenotype(space, new Rng(5));
  const before = tf.memory().numTensors;
  const r = await trainGenotype(space, g, dataset, { epochs: 3, seed: 1, curve: true });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.curve?.length, 3);
  assert.equal(r.curve?.[2], r.accuracy);
  for (const a of r.curve ?? []) assert.ok(a >= 0 && a <= 1 && Number.isInteger(a * 16), `${a} is a share of 16 test images`);
  assert.equal(r.losses.length, 3);
  assert.ok(r.losses.every((l) => Number.isFinite(l) && l > 0));
  // Same seed without the curve: the same training, the same final accuracy (the curve only observes).
  const plain = await trainGenotype(space, g, dataset, { epochs: 3, seed: 1 });
  assert.equal(plain.curve, undefined);
  assert.equal(plain.accuracy, r.accuracy);
  assert.deepEqual(plain.losses, r.losses);
});
