import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runSearch } from '../../../runtime/search/search.js';
import { SearchThreads } from '../../../runtime/search/parallel.js';
import { searchThreads } from '../../../runtime/search/parallel.js';
import { searchStepSampler } from '../../../runtime/search/backend-probe.js';
import { Optimizer } from '../../../runtime/search/optimizers.js';
import { Trainer } from '../../../runtime/search/trainer.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { parseRunEvent, type RunEvent } from '../../../runtime/protocol/events.js';
import { meanLoss, type PathChoice } from '../../../runtime/search/pruning.js';
import { shardDropout, shardOf } from '../../../runtime/search/shards.js';
import type { NamedGrads } from '../../../runtime/search/optimizers.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

// Performance pruning, so both the steps and the pruning candidates run on the workers.
const space = tinySpace({
  data: { train: 96, test: 32 },
  pruning: { criterion: 'performance', start: 1, every: 1, drop: 1, samples: 1 },
  train: { epochs: 2, batch: 16, warmup: 1, seed: 5 },
});
const fx = searchFixture(space.data, 5, 'threads');

const events = (dir: string): RunEvent[] =>
  readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => parseRunEvent(JSON.parse(l)) as RunEvent);
const genotype = (dir: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).genotype);
const weights = (dir: string) => readFileSync(join(dir, 'checkpoint/arrays.bin'));
const search = (outDir: string, extra: Partial<Parameters<typeof runSearch>[0]> = {}) =>
  runSearch({ space, spaceText: 'x', outDir, dataset: fx.dataset, keepBackend: true, threads: 2, ...extra });

test('auto threads: a resumed run keeps its count; the native backend gets 1; a number is taken as asked', async () => {
  assert.deepEqual(await searchThreads('auto', 'wasm', 32, { threads: 3 }), { threads: 3, shardSteps: true, reason: 'auto: the thread count the run started with' });
  assert.equal((await searchThreads('auto', 'tensorflow', 32)).threads, 1);
  assert.deepEqual(await searchThreads(2, 'tensorflow', 32, { threads: 3 }), { threads: 2, shardSteps: true, reason: 'asked for' });
  await assert.rejects(searchThreads(0, 'wasm', 32), /whole number from 1/);
});

test('threads = 2: same seed twice gives the same genotype and weights; cancel + resume gives identical weights', async () => {
  const a = join(fx.root, 'a');
  const r1 = await search(a);
  assert.equal(r1.status, 'finished', r1.message);
  const ev = events(a);
  assert.ok(ev.some((e) => e.type === 'started' && e.threads === 2));
  assert.ok(ev.some((e) => e.type === 'pruned'), 'performance pruning ran');
  assert.ok(ev.filter((e) => e.type === 'epoch').every((e) => e.type === 'epoch' && (e.train_seconds ?? 0) > 0 && e.valid_seconds !== undefined));
  const b = join(fx.root, 'b');
  assert.equal((await search(b)).status, 'finished');
  assert.equal(genotype(a), genotype(b));
  assert.ok(weights(a).equals(weights(b)), 'same weights after the same 2-thread search');

  const c = join(fx.root, 'c');
  const controller = new AbortController();
  let steps = 0;
  const cancelled = await search(c, { signal: controller.signal, stepEventSeconds: 0, emit: (e) => e.type === 'step' && e.epoch === 2 && ++steps === 1 && controller.abort() });
  assert.equal(cancelled.status, 'cancelled');
  const resumed = await search(c, { resume: true });
  assert.equal(resumed.status, 'finished');
  assert.equal(genotype(c), genotype(a));
  assert.ok(weights(c).equals(weights(a)), 'identical weights across cancel + resume on 2 threads');
});

test('timing the step for auto on 1 and 2 threads (a throwaway supernet) leaves a search that follows it unchanged', async () => {
  const e = join(fx.root, 'e');
  assert.equal((await search(e, { threads: 1 })).status, 'finished');
  const tensors = tf.memory().numTensors;
  const sampler = searchStepSampler(space, fx.dataset)();
  for (const n of [1, 2]) {
    const rig = await sampler.start(n);
    assert.ok((await rig.step()) > 0 && (await rig.step()) > 0);
    await rig.close();
  }
  sampler.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'the sampler leaves no tensor behind');
  const f = join(fx.root, 'f');
  assert.equal((await search(f, { threads: 1 })).status, 'finished');
  assert.ok(weights(e).equals(weights(f)));
  assert.equal(genotype(e), genotype(f));
});

test('resuming on another thread count warns that results may differ', async () => {
  const d = join(fx.root, 'd');
  const controller = new AbortController();
  await search(d, { threads: 1, signal: controller.signal, stepEventSeconds: 0, emit: (e) => e.type === 'step' && controller.abort() });
  const seen: RunEvent[] = [];
  const r = await search(d, { resume: true, emit: (e) => seen.push(e) });
  assert.equal(r.status, 'finished');
  assert.ok(seen.some((e) => e.type === 'warning' && /steps started on 1 thread\(s\) and resume on 2/.test(e.message)));
});

/** A supernet, trainer and SearchThreads on `threads` threads for direct tests. */
async function rig(threads: number) {
  const net = new Supernet(space, { input: [fx.dataset.height, fx.dataset.width, fx.dataset.channels], numClasses: fx.dataset.numClasses, seed: 9 });
  const trainer = new Trainer(net, space, fx.dataset.numClasses);
  const sgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune');
  const th = await SearchThreads.start(trainer, sgd, { space, input: [fx.dataset.height, fx.dataset.width, fx.dataset.channels], numClasses: fx.dataset.numClasses, seed: 9, backend: 'wasm' }, threads);
  const dispose = async () => {
    await th.close();
    trainer.dispose();
    sgd.dispose();
    net.dispose();
  };
  return { net, trainer, th, dispose };
}

test('pruning candidates: the same accuracies on 1 and 2 threads, pruned ops gone, supernet weights unchanged afterwards', async () => {
  const one = await rig(1);
  const two = await rig(2);
  try {
    for (const r of [one, two]) {
      // Op 0 of space.ops is `none`, 1 skip, 2 max pool, 3 sep conv: drop sep conv on edge 0 of normal cells.
      r.net.prune('normal', 0, 3);
      assert.ok(!r.net.weights.names().some((n) => n.startsWith('c0.e0.o3.')), 'the pruned op has no variables left');
    }
    const wIt = fx.dataset.weights.iterator();
    const aIt = fx.dataset.arch.iterator();
    const batches = { train: [wIt.next(16), wIt.next(16)], eval: [aIt.next(16)] };
    const choices: PathChoice[] = [
      { normal: [1, 2, 3, 1, 2], reduce: [3, 3, 1, 2, 0] },
      { normal: [2, 3, 1, 3, 1], reduce: [1, 2, 3, 3, 2] },
      { normal: [0, 1, 2, 3, 3], reduce: [2, 1, 3, 0, 3] },
    ];
    // A weight of the sep conv on normal edge 1, which the second candidate trains.
    const probe = one.net.weights.names().find((n) => n.startsWith('c0.e1.o3.')) as string;
    const before = one.net.weights.get(probe).dataSync().slice();
    const tensors = tf.memory().numTensors;
    const a = await one.th.evaluatePaths(choices, batches, 0.05);
    const b = await two.th.evaluatePaths(choices, batches, 0.05);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind by the evaluations');
    assert.deepEqual(b.map((x) => x.accuracy), a.map((x) => x.accuracy));
    assert.ok(a.every((x) => x.accuracy >= 0 && x.accuracy <= 1 && Number.isFinite(x.loss)));
    assert.deepEqual([...one.net.weights.get(probe).dataSync()], [...before], 'candidate training is undone');
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

test('edge probes: the same losses on 1 and 2 threads; a probe is the supernet with one edge one-hot, the rest mixed', async () => {
  const one = await rig(1);
  const two = await rig(2);
  try {
    const aIt = fx.dataset.arch.iterator();
    const batches = [aIt.next(16), aIt.next(16)];
    const probes = [undefined, { cell: 'normal' as const, edge: 0, op: 3 }, { cell: 'reduce' as const, edge: 4, op: 1 }, { cell: 'normal' as const, edge: 2, op: 0 }];
    const tensors = tf.memory().numTensors;
    const a = await one.th.measureEdges(probes, batches);
    const b = await two.th.measureEdges(probes, batches);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind by the probes');
    assert.deepEqual(b, a);
    assert.ok(a.every((xs) => xs.length === 32 && xs.every(Number.isFinite)), 'a loss per example of both batches');
    const means = a.map(meanLoss);
    assert.equal(new Set(means).size, means.length, 'each restriction changes the loss');
    // The same number from α: a large α on the probed op makes its softmax row one-hot in float32.
    const alpha = one.net.arch.get('alpha.normal');
    const saved = alpha.dataSync().slice();
    const hot = saved.slice();
    for (let o = 0; o < space.ops.length; o++) hot[o] = o === 3 ? 1e4 : 0;
    tf.tidy(() => alpha.assign(tf.tensor(hot, alpha.shape)));
    const viaAlpha = await one.th.measureEdges([undefined], batches);
    tf.tidy(() => alpha.assign(tf.tensor(saved, alpha.shape)));
    assert.ok(viaAlpha[0].every((x, i) => Math.abs(x - a[1][i]) < 1e-5), `${viaAlpha[0]} vs ${a[1]}`);
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

/** Mean of two shards' gradients (equal shard sizes); disposes the inputs. */
function meanGrads(a: NamedGrads, b: NamedGrads): NamedGrads {
  const out: NamedGrads = new Map();
  for (const [name, g] of a) out.set(name, tf.tidy(() => tf.mul(tf.add(g, b.get(name) as tf.Tensor), 0.5)));
  tf.dispose([...a.values(), ...b.values()]);
  return out;
}

test('2-thread steps equal the mean of the shards computed on one thread, also after pruning (replicas stay in sync)', async () => {
  const one = await rig(1);
  const two = await rig(2);
  try {
    const wIt = fx.dataset.weights.iterator();
    const aIt = fx.dataset.arch.iterator();
    for (let step = 0; step < 3; step++) {
      if (step === 1) for (const r of [one, two]) r.net.prune('normal', 1, 2);
      const ab = aIt.next(16);
      await two.th.archStep(ab, 1);
      one.trainer.applyArchGrads(meanGrads((await one.trainer.archGrads(shardOf(ab, 0, 2), 1)).grads, (await one.trainer.archGrads(shardOf(ab, 1, 2), 1)).grads));
      const wb = wIt.next(16);
      await two.th.weightStep(wb, 0.05);
      one.trainer.applyWeightGrads(meanGrads((await one.trainer.weightGrads(shardOf(wb, 0, 2))).grads, (await one.trainer.weightGrads(shardOf(wb, 1, 2))).grads), 0.05);
    }
    assertSameVariables(one.net, two.net);
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

test('2-thread steps with dropout on parameter-free ops: each shard drops with its own masks, on either thread', async () => {
  const one = await rig(1);
  const two = await rig(2);
  try {
    const drop = { rate: 0.5, seed: '3' };
    const ab = fx.dataset.arch.iterator().next(16);
    await two.th.archStep(ab, 1, drop);
    const archShard = async (s: number) => (await one.trainer.archGrads(shardOf(ab, s, 2), 1, shardDropout(drop, s))).grads;
    one.trainer.applyArchGrads(meanGrads(await archShard(0), await archShard(1)));
    const wb = fx.dataset.weights.iterator().next(16);
    await two.th.weightStep(wb, 0.05, drop);
    const weightShard = async (s: number) => (await one.trainer.weightGrads(shardOf(wb, s, 2), undefined, shardDropout(drop, s))).grads;
    one.trainer.applyWeightGrads(meanGrads(await weightShard(0), await weightShard(1)), 0.05);
    assertSameVariables(one.net, two.net);
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

test('2-thread steps and measurements at a binary share below 1: the replicas compute with the main thread\'s λ', async () => {
  const one = await rig(1);
  const two = await rig(2);
  try {
    for (const r of [one, two]) r.net.binaryShare = 0.5;
    const wb = fx.dataset.weights.iterator().next(16);
    await two.th.weightStep(wb, 0.05);
    const shard = async (s: number) => (await one.trainer.weightGrads(shardOf(wb, s, 2))).grads;
    one.trainer.applyWeightGrads(meanGrads(await shard(0), await shard(1)), 0.05);
    assertSameVariables(one.net, two.net);
    const aIt = fx.dataset.arch.iterator();
    const batches = [aIt.next(16), aIt.next(16)];
    const a = await one.th.measure(batches);
    const b = await two.th.measure(batches);
    assert.deepEqual(b, a, 'measurements sum their batches in order: the same numbers on any thread count');
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

/** Every weight, α and β of two supernets agrees to 1e-4. */
function assertSameVariables(one: Supernet, two: Supernet): void {
  for (const store of ['weights', 'arch'] as const) {
    for (const name of one[store].names()) {
      const a = Array.from(one[store].get(name).dataSync());
      const b = two[store].get(name).dataSync();
      const diff = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
      assert.ok(diff < 1e-4, `${store} ${name} differs by ${diff}`);
    }
  }
}

test('a failing worker fails the step with a clear message; close() ends the workers', async () => {
  const r = await rig(2);
  try {
    // A variable the replicas do not have: the worker reports it is out of sync.
    r.net.weights.create('extra.w', [2]);
    await assert.rejects(r.th.weightStep(fx.dataset.weights.iterator().next(16), 0.01), /a search worker thread failed: .*out of sync/);
  } finally {
    await r.dispose();
  }
  // Closing twice is harmless (a search closes on every way out).
  await r.th.close();
});
