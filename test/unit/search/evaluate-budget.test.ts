// The quality benchmark's budgets (bench/quality/budget.ts): which searches run in which order,
// and the learning curve of trainGenotype (test accuracy after every epoch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { FULL, MODES, searchOrder, seedsOf, type Budget } from '../../../bench/quality/budget.js';
import { loadDataset } from '../../../runtime/data/index.js';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import { trainGenotype } from '../../../runtime/search/evaluate.js';
import { randomGenotype } from '../../../runtime/supernet/discrete.js';
import { Rng } from '../../../runtime/random/rng.js';

test('seedsOf: this method always gets every seed; modeSeeds caps the other modes, never above seeds', () => {
  const b: Budget = { seeds: 3, random: 5, evalEpochs: 1, modeSeeds: { 'pc-darts': 2, darts: 1, bnas: 1 } };
  assert.equal(seedsOf(b, 'bnas'), 3);
  assert.equal(seedsOf(b, 'pc-darts'), 2);
  assert.equal(seedsOf(b, 'darts'), 1);
  assert.equal(seedsOf({ ...b, modeSeeds: { darts: 9 } }, 'darts'), 3);
  assert.equal(seedsOf({ ...b, modeSeeds: undefined }, 'pc-darts'), 3);
});

test('searchOrder: every (mode, seed) once, modes rotated within a seed, capped modes drop out later', () => {
  const full = searchOrder({ seeds: 3, random: 5, evalEpochs: 1 });
  assert.equal(full.length, 9);
  assert.deepEqual(full.slice(0, 3).map((x) => x.mode), ['bnas', 'pc-darts', 'darts']);
  assert.deepEqual(full.slice(3, 6).map((x) => x.mode), ['pc-darts', 'darts', 'bnas']);
  assert.deepEqual(full.slice(6).map((x) => x.mode), ['darts', 'bnas', 'pc-darts']);
  const capped = searchOrder({ seeds: 3, random: 5, evalEpochs: 1, modeSeeds: { 'pc-darts': 2, darts: 1 } });
  const count = (m: string) => capped.filter((x) => x.mode === m).map((x) => x.s);
  assert.deepEqual(count('bnas'), [0, 1, 2]);
  assert.deepEqual(count('pc-darts'), [0, 1]);
  assert.deepEqual(count('darts'), [0]);
  assert.deepEqual(capped.map((x) => x.s), [0, 0, 0, 1, 1, 2], 'seed by seed');
  // The recorded Fashion-MNIST budget keeps 3 seeds of this method and 5 random cells (the claim).
  assert.equal(seedsOf(FULL['fashion-mnist'], 'bnas'), 3);
  assert.equal(FULL['fashion-mnist'].random, 5);
  for (const m of MODES) assert.ok(seedsOf(FULL['fashion-mnist'], m) >= 1, m);
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
