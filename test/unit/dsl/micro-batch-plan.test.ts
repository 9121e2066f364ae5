/**
 * The micro-batch plan (runtime/dsl/memory.ts): `train.micro_batch` is taken as written, and the
 * automatic choice cuts a step only where the backend's heap is bounded, or the backend allocates
 * in the machine's memory and the run says how much there is, and the estimate at one thread's
 * shard exceeds its share of it, into the fewest parts that fit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateSupernetMemory, HEAP_MB, HEAP_SHARE, loadSearchSpace, microBatchPlan, SYSTEM_BACKENDS, type SearchSpace } from '../../../runtime/dsl/index.js';
import { sharedThreadsThatFit } from '../../../runtime/dsl/memory.js';

function space(body: string): SearchSpace {
  const r = loadSearchSpace(`search s { ${body} budget { memory_mb = 1000000 } }`);
  assert.ok(r.space, JSON.stringify(r.diagnostics));
  return r.space;
}

// The issue's shape at the papers' batch: 32×32, 8 cells, C = 16, K = 4.
const paper = 'data { source = cifar10, path = "x" } supernet { cells = 8, channels = 16 } sampling { k = 4 }';

describe('micro-batch plan', () => {
  it('micro_batch is read from the train block and taken as written (never more than the shard)', () => {
    const s = space('train { batch = 32, micro_batch = 10 }');
    assert.equal(s.train.microBatch, 10);
    assert.deepEqual([microBatchPlan(s, 'tensorflow').count, microBatchPlan(s, 'tensorflow').size], [4, 8]);
    assert.deepEqual([microBatchPlan(s, 'wasm', 2).count, microBatchPlan(s, 'wasm', 2).size], [2, 8]);
    assert.equal(microBatchPlan(space('train { batch = 8, micro_batch = 64 }'), 'wasm').count, 1);
    assert.ok(loadSearchSpace('search s { train { micro_batch = 0 } }').diagnostics.some((d) => d.severity === 'error'));
  });

  it('a small step is one part on every backend', () => {
    for (const b of ['wasm', 'tensorflow', 'webgpu', 'cpu', 'auto']) assert.equal(microBatchPlan(space('train { batch = 32 }'), b).count, 1);
  });

  it('on wasm the papers\' batch is cut into the fewest equal parts whose estimate fits the heap share', () => {
    const s = space(`${paper} train { batch = 256 }`);
    const limit = (HEAP_MB.wasm as number) * HEAP_SHARE;
    assert.ok(estimateSupernetMemory(s).totalMb > limit, 'the test needs a step over the heap share');
    const p = microBatchPlan(s, 'wasm');
    assert.ok(p.count > 1);
    assert.ok(estimateSupernetMemory(s, { batch: p.size }).totalMb <= limit);
    // One part fewer would not fit.
    assert.ok(estimateSupernetMemory(s, { batch: Math.ceil(256 / (p.count - 1)) }).totalMb > limit);
    assert.match(p.reason, /exceeds .* wasm heap/);
    // Two threads hold half the batch each: fewer parts of each shard.
    assert.ok(microBatchPlan(s, 'wasm', 2).count < p.count);
    assert.equal(microBatchPlan(s, 'wasm', 2).size <= Math.ceil(128 / microBatchPlan(s, 'wasm', 2).count), true);
  });

  it('without the machine\'s memory the native backend has no ceiling: one part at the same batch', () => {
    const s = space(`${paper} train { batch = 256 }`);
    assert.equal(microBatchPlan(s, 'tensorflow').count, 1);
    assert.equal(microBatchPlan(s, 'node').count, 1);
  });

  it('on the native backend the plan fits half the machine\'s memory, shared by the threads, at the measured overhead', () => {
    const s = space(`${paper} train { batch = 256 }`);
    const overhead = SYSTEM_BACKENDS.tensorflow as number;
    const systemMb = 24 * 1024;
    const fits = (images: number, threads: number) => overhead * estimateSupernetMemory(s, { batch: images }).totalMb <= (systemMb * HEAP_SHARE) / threads;
    assert.ok(!fits(256, 1), 'the test needs a step over the share');
    for (const threads of [1, 2]) {
      const p = microBatchPlan(s, 'node', threads, { systemMb });
      assert.ok(p.count > 1);
      assert.ok(fits(p.size, threads), `${threads} thread(s): a part of ${p.size} must fit`);
      assert.ok(!fits(Math.ceil(256 / threads / (p.count - 1)), threads), 'one part fewer would not fit');
      assert.match(p.reason, /exceeds 50 % of the machine's 24576 MB/);
      assert.deepEqual(microBatchPlan(s, 'tensorflow', threads, { systemMb }), p);
    }
    // Two threads share one process's memory: each shard gets half the budget, so no fewer parts in all.
    assert.ok(2 * microBatchPlan(s, 'node', 2, { systemMb }).count >= microBatchPlan(s, 'node', 1, { systemMb }).count);
    // Memory enough for the whole batch: one part, and the reason says it fits.
    const big = microBatchPlan(s, 'node', 1, { systemMb: 1e7 });
    assert.equal(big.count, 1);
    assert.match(big.reason, /fits 50 % of the machine's/);
    // WebGPU's tensors are not in the process's memory: one part whatever the machine has.
    assert.equal(microBatchPlan(s, 'webgpu', 1, { systemMb }).count, 1);
  });

  it('threads that share pruning and measurements: as many as hold one thread\'s batches each in the machine\'s memory share', () => {
    const s = space(`${paper} train { batch = 64 }`);
    const each = estimateSupernetMemory(s, { batch: microBatchPlan(s, 'wasm').size }).totalMb;
    // Memory for exactly three workers' share: three fit, not eight.
    const systemMb = (3.5 * each) / HEAP_SHARE;
    assert.equal(sharedThreadsThatFit(s, 'wasm', 8, { systemMb }), 3);
    assert.equal(sharedThreadsThatFit(s, 'wasm', 2, { systemMb }), 2);
    // The native backend's measured overhead counts: fewer fit.
    assert.ok(sharedThreadsThatFit(s, 'tensorflow', 8, { systemMb }) < 3);
    // Never below one thread; without the machine's memory the count stands.
    assert.equal(sharedThreadsThatFit(s, 'wasm', 8, { systemMb: 1 }), 1);
    assert.equal(sharedThreadsThatFit(s, 'wasm', 8), 8);
  });
});
