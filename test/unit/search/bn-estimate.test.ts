// Re-estimating a trained network's batch-norm statistics before it is tested (precise batch norm,
// docs/method.md "Evaluation from scratch"): the statistics become the plain average over the
// batches, whatever their order; one batch gives inference what training mode computes on it;
// the default momentum is back afterwards; trainGenotype tests with re-estimated statistics; no
// tensor is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../../runtime/data/index.js';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';
import { BN_ESTIMATE_BATCHES, estimateBatchNorm, realValuedSpace, trainGenotype } from '../../../runtime/search/evaluate.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';

function space(): SearchSpace {
  const { space: s, diagnostics } = loadSearchSpace(`search "t" {
  data { source = synthetic, train = 96, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [conv_3x3, max_pool_3x3, skip_connect, none]
  binarize { weights = xnor, activations = sign }
  pruning { criterion = none }
  train { epochs = 3, batch = 16, warmup = 1, seed = 3 }
}`);
  assert.ok(s, JSON.stringify(diagnostics));
  return s;
}
const CELL: Genotype = {
  normal: [['conv_3x3', 0], ['max_pool_3x3', 1], ['conv_3x3', 2], ['skip_connect', 0]],
  normal_concat: [2, 3],
  reduce: [['max_pool_3x3', 0], ['conv_3x3', 1], ['conv_3x3', 2], ['skip_connect', 1]],
  reduce_concat: [2, 3],
};
const stats = (net: DiscreteNetwork) => net.weights.names().filter((n) => /running(Mean|Var)$/.test(n)).map((n) => Array.from(net.weights.get(n).dataSync()));
const images = (seed: number, n = 16) => tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', seed) as tf.Tensor4D;

test('estimateStatistics: the plain average over the batches, order-free; one batch makes inference match training mode', () => {
  const before = tf.memory().numTensors;
  // Real-valued, so a rounding difference cannot flip a sign() and the comparison is of values.
  const net = new DiscreteNetwork(realValuedSpace(space()), CELL, { input: [8, 8, 1], numClasses: 10, seed: 1 });
  const [a, b, c] = [images(1), images(2), images(3)];
  try {
    assert.equal(net.estimateStatistics([a, b, c]), 3);
    const abc = stats(net);
    net.estimateStatistics([c, a, b]);
    const cab = stats(net);
    abc.flat().forEach((v, i) => assert.ok(Math.abs(v - cab.flat()[i]) < 1e-4 * (1 + Math.abs(v)), `statistic ${i}: ${v} against ${cab.flat()[i]} in another order`));
    // A moving average (momentum 0.1, as training keeps them) would depend on the order.
    net.estimateStatistics([a]);
    const onlyA = stats(net);
    tf.tidy(() => void net.forward(b, true)); // one training step's update: 0.9 × old + 0.1 × new
    const moved = stats(net);
    net.estimateStatistics([b]);
    const onlyB = stats(net);
    moved.flat().forEach((v, i) => assert.ok(Math.abs(v - (0.9 * onlyA.flat()[i] + 0.1 * onlyB.flat()[i])) < 1e-4 * (1 + Math.abs(v)), `momentum back to 0.1 at statistic ${i}`));

    net.estimateStatistics([a]);
    const [inference, training] = tf.tidy(() => [net.forward(a, false).arraySync(), net.forward(a, true).arraySync()]);
    let worst = 0;
    inference.flat().forEach((v, i) => (worst = Math.max(worst, Math.abs(v - training.flat()[i]) / (1 + Math.abs(training.flat()[i])))));
    // The running variance is unbiased (×n/(n−1), n ≥ 16·2·2 values a channel): a small difference only.
    assert.ok(worst < 0.05, `inference after estimating on the batch differs from training mode by ${worst}`);
  } finally {
    [a, b, c].forEach((t) => t.dispose());
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, before, `tensors left behind: ${tf.memory().numTensors - before}`);
});

test('trainGenotype tests with the statistics re-estimated for the final weights', async () => {
  const s = space();
  const dataset = await loadDataset(s.data, { seed: 1 });
  let atTest: number[][] = [];
  let again: number[][] = [];
  let passes = 0;
  const r = await trainGenotype(s, CELL, dataset, {
    epochs: 2,
    seed: 4,
    onTrained: async (net) => {
      atTest = stats(net);
      passes = await estimateBatchNorm(net, dataset, s.train.batch);
      again = stats(net);
    },
  });
  assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
  assert.equal(passes, Math.min(BN_ESTIMATE_BATCHES, Math.ceil(dataset.train.size / s.train.batch)));
  // Estimating again with unchanged weights changes nothing; the moving average training leaves would.
  assert.ok(atTest.length > 0);
  atTest.flat().forEach((v, i) => assert.ok(Math.abs(v - again.flat()[i]) < 1e-4 * (1 + Math.abs(v)), `statistic ${i} at test ${v}, re-estimated ${again.flat()[i]}`));
});
