import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, assertNoLeak } from '../../../runtime/engine/index.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { Trainer } from '../../../runtime/search/trainer.js';
import type { Batch } from '../../../runtime/data/index.js';
import { Rng } from '../../../runtime/random/rng.js';
import { tinySpace } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

function batch(n: number, rng: Rng): Batch {
  const x = new Float32Array(n * 8 * 8 * 3).map(() => rng.normal());
  const y = Int32Array.from({ length: n }, () => rng.int(4));
  return { x, y, n, shape: [n, 8, 8, 3] };
}

/** CPU milliseconds of `f` (robust to other processes sharing the machine, unlike wall time). */
async function cpuMs(f: () => Promise<unknown>, repeats: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < repeats; i++) await f();
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1000 / repeats;
}

test('pruned ops are no longer computed: fewer ops, fewer weights, cheaper steps', async () => {
  const space = tinySpace({ supernet: { cells: 2, reductions: [1], channels: 8, nodes: 3, stemMultiplier: 2 } });
  const net = new Supernet(space, { input: [8, 8, 3], numClasses: 4, seed: 2 });
  const trainer = new Trainer(net, space, 4);
  const rng = new Rng(5);
  const b = batch(16, rng);
  try {
    await trainer.weightStep(b, 0.01);
    const opsBefore = net.computedOps();
    const paramsBefore = net.parameterCount();
    const before = await cpuMs(() => trainer.weightStep(b, 0.01), 3);
    // Keep only skip_connect (op 1) on every edge of both cell kinds.
    for (const kind of ['normal', 'reduce'] as const) {
      for (let e = 0; e < net.edges; e++) for (const o of [0, 2, 3]) for (const p of net.prune(kind, e, o)) trainer.forget(p);
    }
    assert.equal(net.computedOps(), (opsBefore / 3) * 1);
    assert.ok(net.parameterCount() < paramsBefore);
    await trainer.weightStep(b, 0.01);
    const after = await cpuMs(() => trainer.weightStep(b, 0.01), 3);
    assert.ok(after < 0.7 * before, `step after pruning ${after.toFixed(0)} ms, before ${before.toFixed(0)} ms`);
  } finally {
    trainer.dispose();
    net.dispose();
  }
});

test('no tensor leak over weight and architecture steps, and after pruning', async () => {
  const space = tinySpace();
  const net = new Supernet(space, { input: [8, 8, 3], numClasses: 4, seed: 2 });
  const trainer = new Trainer(net, space, 4);
  const rng = new Rng(6);
  try {
    await assertNoLeak(async () => {
      await trainer.archStep(batch(8, rng), 0);
      await trainer.weightStep(batch(8, rng), 0.01);
      await trainer.evaluate(batch(8, rng), { normal: [1, 1, 1, 1, 1], reduce: [2, 2, 2, 2, 2] });
    }, 4, { warmup: 1 });
    const before = tf.memory().numTensors;
    for (const p of net.prune('normal', 0, 3)) trainer.forget(p);
    assert.ok(tf.memory().numTensors < before, 'pruning frees the op weights and their optimizer slots');
  } finally {
    trainer.dispose();
    net.dispose();
  }
});
