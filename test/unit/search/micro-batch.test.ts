// Micro-batches with gradient accumulation (runtime/search/shards.ts, `accumulate`; docs/method.md,
// "Micro-batches"): exact for a network without batch norm, close with the search's batch norms,
// batch-norm running statistics as the size-weighted mean, no tensor left behind, and a search
// with `micro_batch` that finishes and resumes to the same weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import type { Batch, Dataset } from '../../../runtime/data/index.js';
import { loadSearchSpace, microBatchPlan } from '../../../runtime/dsl/index.js';
import { runSearch } from '../../../runtime/search/search.js';
import { accumulate, microBatchOf, partDropout, partsOf } from '../../../runtime/search/shards.js';
import { crossEntropy, gradsOf, tensors, Trainer, type GradResult } from '../../../runtime/search/trainer.js';
import { batchCorrect, stepGrads, trainStep } from '../../../runtime/search/evaluate.js';
import { Optimizer } from '../../../runtime/search/optimizers.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';
import { randomGenotype } from '../../../runtime/supernet/random-cells.js';
import { Rng } from '../../../runtime/random/rng.js';
import { parseRunEvent, type RunEvent } from '../../../runtime/protocol/events.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

const space = tinySpace({ data: { train: 96, test: 32 }, train: { epochs: 2, batch: 16, warmup: 1, seed: 5, microBatch: 4 }, regularize: { diversity: 0.5, tau: 7.7 } });
const fx = searchFixture(space.data, 5, 'micro');

const arrays = (r: GradResult) => new Map([...r.grads].map(([n, g]) => [n, Float32Array.from(g.dataSync())]));
const disposeGrads = (r: GradResult) => tf.dispose([...r.grads.values()]);
/** Largest |a − b| over every gradient, relative to the largest |b|. */
function relDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'the same variables get gradients');
  let diff = 0, scale = 0;
  for (const [n, x] of b) {
    const y = a.get(n) as Float32Array;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(y[i] - x[i]));
      scale = Math.max(scale, Math.abs(x[i]));
    }
  }
  return diff / scale;
}
function cosine(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let ab = 0, aa = 0, bb = 0;
  for (const [n, x] of b) {
    const y = a.get(n) as Float32Array;
    for (let i = 0; i < x.length; i++) [ab, aa, bb] = [ab + x[i] * y[i], aa + y[i] * y[i], bb + x[i] * x[i]];
  }
  return ab / Math.sqrt(aa * bb);
}

test('without batch norm the accumulated gradient, loss and correct count equal the whole batch\'s (unequal parts too)', async () => {
  const pixels = fx.dataset.height * fx.dataset.width * fx.dataset.channels;
  const rng = new Rng(3);
  const w = tf.variable(tf.tensor2d(Float32Array.from({ length: pixels * fx.dataset.numClasses }, () => rng.normal() * 0.1), [pixels, fx.dataset.numClasses]), true, 'micro.w');
  const b = tf.variable(tf.zeros([fx.dataset.numClasses]), true, 'micro.b');
  const vars = new Map([['w', w], ['b', b]]);
  const linear = async (part: Batch) => {
    const { x, y, labels } = tensors(part, fx.dataset.numClasses);
    try {
      return await gradsOf(vars, () => {
        const logits = tf.add(tf.matMul(tf.reshape(x, [part.n, pixels]), w), b) as tf.Tensor2D;
        return { loss: crossEntropy(logits, y), logits };
      }, labels);
    } finally {
      tf.dispose([x, y, labels]);
    }
  };
  for (const n of [16, 10]) {
    const batch = fx.dataset.weights.iterator().next(n);
    const whole = await linear(batch);
    const parts = await accumulate(batch, 4, vars, linear);
    assert.ok(relDiff(arrays(parts), arrays(whole)) < 1e-5, `n = ${n}: ${relDiff(arrays(parts), arrays(whole))}`);
    assert.ok(Math.abs(parts.loss - whole.loss) < 1e-5 * Math.abs(whole.loss));
    assert.equal(parts.correct, whole.correct);
    disposeGrads(whole);
    disposeGrads(parts);
  }
  tf.dispose([w, b]);
});

test('statistics the forward pass updates end as the size-weighted mean of the parts\' updates: the update with the batch mean', async () => {
  const s = tf.variable(tf.tensor1d([2, -1]), false, 'micro.running');
  const v = tf.variable(tf.scalar(1), true, 'micro.v');
  const vars = new Map([['v', v]]);
  const batch = fx.dataset.weights.iterator().next(10);
  const mean = batch.x.reduce((a, x) => a + x, 0) / batch.x.length;
  await accumulate(batch, 4, vars, async (part) => {
    const { x, y, labels } = tensors(part, fx.dataset.numClasses);
    // A running-mean update of momentum 0.1, as the derived network's batch norms do.
    tf.tidy(() => s.assign(tf.add(tf.mul(s, 0.9), tf.mul(tf.mean(x), 0.1))));
    try {
      return await gradsOf(vars, () => {
        const logits = tf.mul(tf.sum(tf.reshape(x, [part.n, -1]), 1, true), tf.mul(v, tf.ones([1, fx.dataset.numClasses]))) as tf.Tensor2D;
        return { loss: crossEntropy(logits, y), logits };
      }, labels);
    } finally {
      tf.dispose([x, y, labels]);
    }
  }, [s]).then(disposeGrads);
  const got = s.dataSync();
  assert.ok(Math.abs(got[0] - (0.9 * 2 + 0.1 * mean)) < 1e-5 && Math.abs(got[1] - (0.9 * -1 + 0.1 * mean)) < 1e-5, `${[...got]} vs mean ${mean}`);
  tf.dispose([s, v]);
});

test('the search\'s weight and α steps: micro-batches give the mean of the parts\' own gradients (per-part batch norm), close to the whole batch\'s, the regulariser once', async () => {
  const net = new Supernet(space, { input: [fx.dataset.height, fx.dataset.width, fx.dataset.channels], numClasses: fx.dataset.numClasses, seed: 9 });
  const trainer = new Trainer(net, space, fx.dataset.numClasses);
  const batch = fx.dataset.weights.iterator().next(32);
  const halves = partsOf(batch, 16);
  try {
    for (const kind of ['weights', 'arch'] as const) {
      const grads = (b: Batch) => (kind === 'weights' ? trainer.weightGrads(b) : trainer.archGrads(b, 0));
      trainer.microBatch = Infinity;
      const whole = await grads(batch);
      const own = [await grads(halves[0]), await grads(halves[1])];
      trainer.microBatch = 16;
      const parts = await grads(batch);
      // Each part normalizes over itself: the accumulated gradient is exactly the parts' mean.
      const a = own.map(arrays);
      const mean = new Map([...a[0]].map(([n, g]) => [n, g.map((v, i) => (v + (a[1].get(n) as Float32Array)[i]) / 2)]));
      assert.ok(relDiff(arrays(parts), mean) < 1e-4, `${kind}: the parts' mean (${relDiff(arrays(parts), mean)})`);
      assert.ok(relDiff(arrays(parts), arrays(whole)) > 0, `${kind}: per-part batch norms change the gradient`);
      assert.ok(cosine(arrays(parts), arrays(whole)) > 0.5, `${kind}: and keep its direction (cosine ${cosine(arrays(parts), arrays(whole))})`);
      // The α loss subtracts 0.5 × the mean entropy (≈ ln 4 ≈ 1.4): counted once per part it would be off by ≈ 2.
      assert.ok(Math.abs(parts.loss - whole.loss) < 0.3, `${kind}: loss ${parts.loss} vs ${whole.loss}`);
      [whole, parts, ...own].forEach(disposeGrads);
    }
    trainer.microBatch = 4;
    const aIt = fx.dataset.arch.iterator();
    const wIt = fx.dataset.weights.iterator();
    const report = await assertNoLeak(async () => {
      await trainer.archStep(aIt.next(16), 1);
      await trainer.weightStep(wIt.next(16), 0.025);
      await trainer.evaluate(aIt.next(16));
    }, 3);
    assert.equal(report.after, report.before, 'micro-batched steps leave no tensor behind');
  } finally {
    trainer.dispose();
    net.dispose();
  }
});

test('micro-batches with dropout on parameter-free ops: each part drops with its own masks, the first with the step\'s', async () => {
  const net = new Supernet(space, { input: [fx.dataset.height, fx.dataset.width, fx.dataset.channels], numClasses: fx.dataset.numClasses, seed: 9 });
  const trainer = new Trainer(net, space, fx.dataset.numClasses);
  const batch = fx.dataset.weights.iterator().next(32);
  const halves = partsOf(batch, 16);
  const drop = { rate: 0.5, seed: '7' };
  const mean = (r: GradResult[]) => {
    const a = r.map(arrays);
    return new Map([...a[0]].map(([n, g]) => [n, g.map((v, i) => (v + (a[1].get(n) as Float32Array)[i]) / 2)]));
  };
  try {
    trainer.microBatch = Infinity;
    const own = [await trainer.weightGrads(halves[0], undefined, partDropout(drop, 0)), await trainer.weightGrads(halves[1], undefined, partDropout(drop, 1))];
    const shared = [own[0], await trainer.weightGrads(halves[1], undefined, drop)];
    trainer.microBatch = 16;
    const parts = await trainer.weightGrads(batch, undefined, drop);
    assert.ok(relDiff(arrays(parts), mean(own)) < 1e-4, `the parts' own masks (${relDiff(arrays(parts), mean(own))})`);
    assert.ok(relDiff(arrays(parts), mean(shared)) > 1e-3, 'not one mask for every part');
    [...own, shared[1], parts].forEach(disposeGrads);
  } finally {
    trainer.dispose();
    net.dispose();
  }
});

test('bnas evaluate\'s step: micro-batches close to the whole batch, running statistics the parts\' mean, no tensor left behind', async () => {
  const genotype = randomGenotype(space, new Rng(5));
  const opts = { input: [fx.dataset.height, fx.dataset.width, fx.dataset.channels] as const, numClasses: fx.dataset.numClasses, seed: 11 };
  const a = new DiscreteNetwork(space, genotype, opts);
  const b = new DiscreteNetwork(space, genotype, opts);
  const opt = new Optimizer(space.optimizers.weights, 'opt.micro');
  try {
    const batch = fx.dataset.weights.iterator().next(32);
    const whole = await stepGrads(a, batch, fx.dataset.numClasses);
    const parts = await stepGrads(b, batch, fx.dataset.numClasses, 16);
    const c = cosine(arrays(parts), arrays(whole));
    assert.ok(c > 0.8, `cosine ${c}`);
    disposeGrads(whole);
    disposeGrads(parts);
    const stat = a.weights.names().find((n) => n.endsWith('.runningMean')) as string;
    const ra = a.weights.get(stat).dataSync(), rb = b.weights.get(stat).dataSync();
    // The mean of the parts' means is the batch's mean: the running means agree.
    for (let i = 0; i < ra.length; i++) assert.ok(Math.abs(ra[i] - rb[i]) < 1e-4, `${stat}[${i}]: ${ra[i]} vs ${rb[i]}`);
    const it = fx.dataset.weights.iterator();
    const report = await assertNoLeak(() => trainStep(b, opt, it.next(16), 0.05, fx.dataset.numClasses, 4), 3);
    assert.equal(report.after, report.before);
    // Inference mode (running statistics) normalizes every image alike: parts count exactly the same.
    for (const n of [16, 11]) {
      const test = fx.dataset.test.iterator().next(n);
      assert.equal(await batchCorrect(b, test, fx.dataset.numClasses, 4), await batchCorrect(b, test, fx.dataset.numClasses));
    }
  } finally {
    opt.dispose();
    a.dispose();
    b.dispose();
  }
});

const events = (dir: string): RunEvent[] => readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => parseRunEvent(JSON.parse(l)) as RunEvent);
const weights = (dir: string) => readFileSync(join(dir, 'checkpoint/arrays.bin'));
const search = (outDir: string, extra: Partial<Parameters<typeof runSearch>[0]> = {}) => runSearch({ space, spaceText: 'x', outDir, dataset: fx.dataset, keepBackend: true, threads: 1, ...extra });

test('a search with micro_batch = 4 finishes with a valid genotype, says so, and resumes to the same weights', async () => {
  const a = join(fx.root, 'a');
  const r = await search(a);
  assert.equal(r.status, 'finished', r.message);
  assert.ok(r.result?.genotype.normal.length);
  const started = events(a).find((e) => e.type === 'started');
  assert.ok(started?.type === 'started' && started.micro_batches === 4 && started.micro_batch === 4, JSON.stringify(started));
  const c = join(fx.root, 'c');
  const controller = new AbortController();
  let steps = 0;
  const cancelled = await search(c, { signal: controller.signal, stepEventSeconds: 0, emit: (e) => e.type === 'step' && e.epoch === 2 && ++steps === 1 && controller.abort() });
  assert.equal(cancelled.status, 'cancelled');
  assert.equal((await search(c, { resume: true })).status, 'finished');
  assert.ok(weights(c).equals(weights(a)), 'identical weights across cancel + resume with micro-batches');
  // Micro-batches change the numbers (per-part batch norm): the same search without them ends elsewhere.
  const d = join(fx.root, 'd');
  assert.equal((await search(d, { space: { ...space, train: { ...space.train, microBatch: 16 } } })).status, 'finished');
  assert.ok(!weights(d).equals(weights(a)));
});

test('two threads with micro-batches: each shard is cut on its own worker, and the search finishes', async () => {
  const e = join(fx.root, 'e');
  const r = await search(e, { threads: 2 });
  assert.equal(r.status, 'finished', r.message);
  const started = events(e).find((x) => x.type === 'started');
  assert.ok(started?.type === 'started' && started.threads === 2 && started.micro_batches === 2 && started.micro_batch === 4, JSON.stringify(started));
});

test('a run\'s plan on the native backend reads this machine\'s memory: a step too large for it is cut into parts that fit', () => {
  const r = loadSearchSpace('search s { data { source = cifar10, path = "x" } supernet { cells = 8, channels = 16 } sampling { k = 4 } train { batch = 4096 } budget { memory_mb = 100000000 } }');
  assert.ok(r.space, JSON.stringify(r.diagnostics));
  const data = { height: 32, width: 32, channels: 3, numClasses: 10 } as Dataset;
  const systemMb = totalmem() / 2 ** 20;
  const plan = microBatchOf(r.space, data, 'node', 1);
  assert.deepEqual(plan, microBatchPlan(r.space, 'tensorflow', 1, { image: 32, inChannels: 3, classes: 10, systemMb }));
  assert.ok(plan.count > 1, `batch 4096 at 32×32 must not fit half of ${Math.round(systemMb)} MB: ${plan.reason}`);
  assert.match(plan.reason, /of the machine's \d+ MB/);
  // wasm keeps its heap's ceiling whatever the machine has.
  assert.match(microBatchOf(r.space, data, 'wasm', 1).reason, /wasm heap/);
});
