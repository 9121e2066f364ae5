import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureCores, measureStepCost, modelledGain, pickThreads, resolveThreads } from '../../../runtime/engine/cores.js';
import { parseThreads } from '../../../runtime/protocol/threads.js';

test('pickThreads: 1 where cores share one core\'s throughput, n on independent cores, fewer where a step is mostly fixed cost', () => {
  const lean = { fixedMs: 0, perImageMs: 1 };
  assert.equal(pickThreads({ threads: 2, speedup: 1.0 }, 32, lean), 1);
  assert.equal(pickThreads({ threads: 2, speedup: 1.95 }, 32, lean), 2);
  // Three quarters of a batch-32 step are fixed: 2 threads would gain 1/(0.875 + 0.05) < MIN_GAIN.
  assert.equal(pickThreads({ threads: 2, speedup: 2 }, 32, { fixedMs: 96, perImageMs: 1 }), 1);
  // The same step at batch 256 pays on 2 threads, and more threads pay less and less.
  assert.equal(pickThreads({ threads: 2, speedup: 2 }, 256, { fixedMs: 96, perImageMs: 1 }), 2);
  const many = pickThreads({ threads: 16, speedup: 15 }, 256, { fixedMs: 32, perImageMs: 1 });
  assert.ok(many >= 4 && many <= 15, `picked ${many}`);
  assert.ok(modelledGain(many, 15, 256, { fixedMs: 32, perImageMs: 1 }) >= modelledGain(16, 15, 256, { fixedMs: 32, perImageMs: 1 }));
  // At most one thread per 4 examples; 1 thread measured: 1.
  assert.equal(pickThreads({ threads: 16, speedup: 16 }, 8, lean), 2);
  assert.equal(pickThreads({ threads: 1, speedup: 1 }, 256, lean), 1);
  assert.equal(modelledGain(1, 1, 32), 1);
  assert.ok(modelledGain(2, 2, 32) > 1.8 && modelledGain(2, 2, 32) < 2);
});

test('measureStepCost: fits fixed + per-image cost from a step at the batch and at half of it (after a warm-up of each)', async () => {
  const calls: number[] = [];
  const cost = await measureStepCost({ step: async (n) => (calls.push(n), 20 + 0.5 * n), dispose: () => undefined }, 64);
  assert.deepEqual(calls, [64, 32, 64, 32]);
  assert.ok(Math.abs(cost.fixedMs - 20) < 1e-9 && Math.abs(cost.perImageMs - 0.5) < 1e-9, JSON.stringify(cost));
});

test('parseThreads: auto or a whole number from 1 to 32', () => {
  assert.equal(parseThreads('auto'), 'auto');
  assert.equal(parseThreads(' AUTO '), 'auto');
  assert.equal(parseThreads('4'), 4);
  for (const bad of ['0', '33', '1.5', '-2', 'many', '']) assert.throws(() => parseThreads(bad), /'auto' or a whole number from 1 to 32/);
});

test('measureCores: runs the loop on 2 threads at once and reports a positive throughput (its value depends on the machine and its load)', async () => {
  const m = await measureCores(2, 10);
  assert.equal(m.threads, 2);
  assert.ok(Number.isFinite(m.speedup) && m.speedup > 0 && m.speedup <= 2, `speedup ${m.speedup}`);
  assert.deepEqual(await measureCores(1), { threads: 1, speedup: 1 });
});

test('resolveThreads: a number as asked; auto: 1 on the native backend, 1 without timing a step where the cores do not pay, else the step decides', async () => {
  let built = 0, disposed = 0;
  const sampler = (fixedMs: number) => () => (built++, { step: async (n: number) => fixedMs + n, dispose: () => void disposed++ });
  const two = async () => ({ threads: 2, speedup: 2 });
  assert.deepEqual(await resolveThreads(3, 32, 'wasm', sampler(0), two), { threads: 3, reason: 'asked for' });
  assert.equal((await resolveThreads('auto', 32, 'tensorflow', sampler(0), two)).threads, 1);
  assert.equal((await resolveThreads('auto', 32, 'webgpu', sampler(0), two)).threads, 1, 'the GPU backend runs on one thread');
  await assert.rejects(resolveThreads(2, 32, 'webgpu', sampler(0), two), /webgpu backend computes on the GPU from one thread/);
  assert.equal((await resolveThreads('auto', 32, 'wasm', sampler(0), async () => ({ threads: 2, speedup: 1 }))).threads, 1);
  assert.equal(built, 0, 'no step timed where the cores cannot pay');
  const lean = await resolveThreads('auto', 32, 'wasm', sampler(0), two);
  assert.equal(lean.threads, 2);
  assert.match(lean.reason, /^auto: 2 CPU\(s\) at once gave 2\.00× one thread's throughput; a step at batch 32 measured 0 ms fixed \+ 1\.00 ms an image/);
  assert.equal((await resolveThreads('auto', 32, 'wasm', sampler(1000), two)).threads, 1, 'a step that is mostly fixed cost stays on 1 thread');
  assert.equal(disposed, built);
});
