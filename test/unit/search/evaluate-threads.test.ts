// Derived-network training on worker threads (runtime/search/evaluate.ts, EvalThreads).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/index.js';
import { loadDataset, type Dataset } from '../../../runtime/data/index.js';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { EvalThreads, evalArrays, stepGrads, trainGenotype } from '../../../runtime/search/evaluate.js';
import { clipByGlobalNorm, Optimizer, type NamedGrads } from '../../../runtime/search/optimizers.js';
import { shardOf } from '../../../runtime/search/shards.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';
import { randomGenotype } from '../../../runtime/supernet/random-cells.js';
import { Rng } from '../../../runtime/random/rng.js';
import type { GradResult } from '../../../runtime/search/trainer.js';

const { space: parsed } = loadSearchSpace(`search "t" {
  data { source = synthetic, train = 64, test = 48, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]
  binarize { weights = xnor, activations = sign }
  train { epochs = 2, batch = 16, warmup = 1, seed = 3 }
  optimizer weights { kind = sgd, lr = 0.05, momentum = 0.9, weight_decay = 0, schedule = cosine }
}`);
const space = parsed as SearchSpace;
let dataset: Dataset;
const genotype = randomGenotype(space, new Rng(5));

before(async () => {
  await initBackend('wasm');
  dataset = await loadDataset(space.data, { seed: 3 });
});

const snapshot = (net: DiscreteNetwork) => new Map(net.weights.names().map((n) => [n, Float32Array.from(net.weights.get(n).dataSync())]));

test('2-thread steps equal the shard-size-weighted mean of the shards on one thread: gradients and batch-norm running statistics', async () => {
  const opts = { input: [dataset.height, dataset.width, dataset.channels] as const, numClasses: dataset.numClasses, seed: 11 };
  const one = new DiscreteNetwork(space, genotype, opts);
  const two = new DiscreteNetwork(space, genotype, opts);
  const optOne = new Optimizer(space.optimizers.weights, 'opt.one');
  const optTwo = new Optimizer(space.optimizers.weights, 'opt.two');
  const th = await EvalThreads.start(two, { space, genotype, ...opts, backend: 'wasm' }, 2);
  try {
    const it = dataset.train.iterator();
    const tensors = tf.memory().numTensors;
    const { trainable, stats } = evalArrays(one);
    assert.ok(stats.some((n) => n.endsWith('runningMean')), 'the network has running statistics');
    for (let step = 0; step < 3; step++) {
      // Batches of 15: shards of 7 and 8 examples, so the weights by size matter.
      const b = shardOf(it.next(16), 0, 16 / 15);
      await th.step(optTwo, b, 0.05);
      const start = snapshot(one);
      const parts: { r: GradResult; n: number; stats: Float32Array[] }[] = [];
      for (const s of [shardOf(b, 0, 2), shardOf(b, 1, 2)]) {
        tf.tidy(() => stats.forEach((n) => one.weights.get(n).assign(tf.tensor(start.get(n) as Float32Array, one.weights.get(n).shape))));
        const r = await stepGrads(one, s, dataset.numClasses);
        parts.push({ r, n: s.n, stats: stats.map((n) => Float32Array.from(one.weights.get(n).dataSync())) });
      }
      const w = parts.map((p) => p.n / b.n);
      tf.tidy(() => stats.forEach((n, i) => one.weights.get(n).assign(tf.add(tf.mul(tf.tensor(parts[0].stats[i]), w[0]), tf.mul(tf.tensor(parts[1].stats[i]), w[1])))));
      const grads: NamedGrads = new Map(trainable.map((n) => [n, tf.tidy(() => tf.add(tf.mul(parts[0].r.grads.get(n) as tf.Tensor, w[0]), tf.mul(parts[1].r.grads.get(n) as tf.Tensor, w[1])))]));
      for (const p of parts) tf.dispose([...p.r.grads.values()]);
      clipByGlobalNorm(grads, optOne.spec.gradClip);
      optOne.apply(new Map(Object.entries(one.weights.trainableMap())), grads, 0.05);
      tf.dispose([...grads.values()]);
    }
    assert.equal(tf.memory().numTensors, tensors + 2 * trainable.length, 'only the two optimizers\' momentum slots are new');
    for (const name of one.weights.names()) {
      const a = Array.from(one.weights.get(name).dataSync());
      const b = two.weights.get(name).dataSync();
      const diff = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
      assert.ok(diff < 1e-4, `${name} differs by ${diff}`);
    }
    // Test accuracy shared out over the threads equals the one-thread count.
    const single = await EvalThreads.start(two, { space, genotype, ...opts, backend: 'wasm' }, 1);
    assert.equal(await th.testAccuracy(dataset, 16), await single.testAccuracy(dataset, 16));
  } finally {
    await th.close();
    for (const x of [one, two, optOne, optTwo]) x.dispose();
  }
});

test('trainGenotype on 2 threads: the same network twice (same seed), no tensor leak', async () => {
  const before = tf.memory().numTensors;
  const run = () => trainGenotype(space, genotype, dataset, { epochs: 2, seed: 1, threads: 2, backend: 'wasm' });
  const a = await run();
  const b = await run();
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(b.losses, a.losses);
  assert.equal(b.accuracy, a.accuracy);
  assert.ok(a.losses.every(Number.isFinite));
});
