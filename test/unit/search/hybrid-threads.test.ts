/**
 * Threads with unsharded steps (docs/design.md, "Threads"): the steps stay on the main thread, the
 * workers share pruning candidates, edge probes and measurements, and the run is bit-identical to
 * one thread's, resumed or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSearch } from '../../../runtime/search/search.js';
import { SearchThreads, searchThreads } from '../../../runtime/search/parallel.js';
import { parseRunEvent, type RunEvent } from '../../../runtime/protocol/events.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

const over = { data: { train: 96, test: 32 }, train: { epochs: 2, batch: 16, warmup: 1, seed: 5 } };
// Performance pruning measures edge probes; ucb trains and measures single-path candidates.
const performance = tinySpace({ ...over, pruning: { criterion: 'performance', start: 1, every: 1, drop: 1, samples: 1 } });
const ucb = tinySpace({ ...over, pruning: { criterion: 'ucb', start: 1, every: 1, drop: 1, samples: 2 } });
const fx = searchFixture(performance.data, 5, 'hybrid');

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const events = (dir: string): RunEvent[] => read(dir, 'events.jsonl').trim().split('\n').map((l) => parseRunEvent(JSON.parse(l)) as RunEvent);
/** Every event's numbers that the arithmetic decides (no times, no thread counts), in order. */
const numbers = (dir: string): unknown[] =>
  events(dir).flatMap((e): unknown[] => {
    if (e.type === 'epoch') return [[e.train_loss, e.train_acc, e.valid_loss, e.valid_acc, e.ops_left]];
    if (e.type === 'alphas' || e.type === 'pruned' || e.type === 'genotype') return [{ ...e, time: undefined }];
    return [];
  });
const result = (dir: string) => {
  const r = JSON.parse(read(dir, 'result.json')) as { genotype: unknown; metrics: Record<string, number> };
  return { genotype: r.genotype, valid: r.metrics.valid_acc, test: r.metrics.test_acc, train: r.metrics.train_acc };
};
const arrays = (dir: string) => readFileSync(join(dir, 'checkpoint/arrays.bin'));

/** Runs a search and returns the SearchThreads it computed on (requests counted). */
async function search(space: SearchSpace, outDir: string, extra: Partial<Parameters<typeof runSearch>[0]> = {}) {
  const made: SearchThreads[] = [];
  const start = SearchThreads.start.bind(SearchThreads);
  SearchThreads.start = async (...a: Parameters<typeof SearchThreads.start>) => {
    const th = await start(...a);
    made.push(th);
    return th;
  };
  try {
    const outcome = await runSearch({ space, spaceText: 'x', outDir, dataset: fx.dataset, keepBackend: true, ...extra });
    return { outcome, made };
  } finally {
    SearchThreads.start = start;
  }
}

for (const [name, space, shared] of [['performance', performance, 'edges'], ['ucb', ucb, 'paths']] as const) {
  test(`${name} pruning: 2 threads with unsharded steps give one thread's genotype, α, losses and weights bit for bit; the worker took pruning and measurements`, async () => {
    const one = join(fx.root, `${name}-1`);
    const hybrid = join(fx.root, `${name}-h`);
    assert.equal((await search(space, one, { threads: 1 })).outcome.status, 'finished');
    const { outcome, made } = await search(space, hybrid, { threads: 2, shardSteps: false });
    assert.equal(outcome.status, 'finished', outcome.message);
    assert.equal(made.length, 1);
    const { requests } = made[0];
    assert.equal(requests.weights + requests.arch, 0, 'no step went to the worker');
    assert.ok(requests[shared] > 0, `${shared} went to the worker`);
    // Validation after each epoch and the final test pass: measured on both threads.
    assert.equal(requests.measure, space.train.epochs + 1);
    const started = events(hybrid).find((e) => e.type === 'started');
    assert.ok(started?.type === 'started' && started.threads === 2 && started.shard_steps === false && started.threads_reason === 'asked for, the steps on 1 thread');
    assert.ok(events(hybrid).some((e) => e.type === 'pruned'), 'pruning ran');
    assert.deepEqual(numbers(hybrid), numbers(one));
    assert.deepEqual(result(hybrid), result(one));
    assert.ok(arrays(hybrid).equals(arrays(one)), 'the same weights, α, β and optimizer slots');
  });
}

test('a cancelled run with unsharded steps resumes with auto on the same threads and sharding, still one thread\'s numbers; the checkpoint says so', async () => {
  const one = join(fx.root, 'performance-1r');
  assert.equal((await search(performance, one, { threads: 1 })).outcome.status, 'finished');
  const dir = join(fx.root, 'resumed');
  const controller = new AbortController();
  let steps = 0;
  const cancelled = await search(performance, dir, {
    threads: 2, shardSteps: false, signal: controller.signal, stepEventSeconds: 0,
    emit: (e) => e.type === 'step' && e.epoch === 2 && ++steps === 1 && controller.abort(),
  });
  assert.equal(cancelled.outcome.status, 'cancelled');
  const { state } = JSON.parse(read(dir, 'checkpoint/state.json')) as { state: { threads: number; shardSteps: boolean } };
  assert.deepEqual([state.threads, state.shardSteps], [2, false]);
  const seen: RunEvent[] = [];
  const resumed = await search(performance, dir, { resume: true, threads: 'auto', emit: (e) => seen.push(e) });
  assert.equal(resumed.outcome.status, 'finished', resumed.outcome.message);
  const started = seen.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started' && started.resumed && started.threads === 2 && started.shard_steps === false, JSON.stringify(started));
  assert.ok(!seen.some((e) => e.type === 'warning'), 'nothing differs, nothing to warn about');
  assert.equal(resumed.made[0].requests.weights, 0);
  assert.ok(resumed.made[0].requests.measure > 0);
  assert.deepEqual(result(dir), result(one));
  assert.ok(arrays(dir).equals(arrays(one)), 'identical weights across cancel + resume');
});

test('searchThreads: auto resumes the threads and step sharding a run started with (sharded where the checkpoint does not say); a number shards unless asked not to', async () => {
  assert.deepEqual(await searchThreads('auto', 'wasm', 32, { threads: 2, shardSteps: false }), { threads: 2, shardSteps: false, reason: 'auto: the thread count and the unsharded steps the run started with' });
  assert.deepEqual(await searchThreads('auto', 'wasm', 32, { threads: 3 }), { threads: 3, shardSteps: true, reason: 'auto: the thread count the run started with' });
  assert.deepEqual(await searchThreads(2, 'wasm', 32, { threads: 2, shardSteps: false }), { threads: 2, shardSteps: true, reason: 'asked for' });
  assert.deepEqual(await searchThreads(2, 'wasm', 32, undefined, undefined, undefined, false), { threads: 2, shardSteps: false, reason: 'asked for, the steps on 1 thread' });
  assert.deepEqual(await searchThreads(1, 'wasm', 32, undefined, undefined, undefined, false), { threads: 1, shardSteps: true, reason: 'asked for' });
});

test('searchThreads: auto takes no more shared threads than fit the machine\'s memory; asked-for and sharded counts are not bounded', async () => {
  const fits = (most: number) => (n: number) => Math.min(n, most);
  const shared = { threads: 4, shardSteps: false };
  assert.deepEqual(await searchThreads('auto', 'wasm', 32, shared, undefined, undefined, true, fits(2)), {
    threads: 2, shardSteps: false, reason: "auto: the thread count and the unsharded steps the run started with; 2 of them fit the machine's memory",
  });
  // One fits: no workers at all, the run on one thread.
  assert.deepEqual((({ threads, shardSteps }) => ({ threads, shardSteps }))(await searchThreads('auto', 'wasm', 32, shared, undefined, undefined, true, fits(1))), { threads: 1, shardSteps: true });
  // Enough memory: unchanged.
  assert.equal((await searchThreads('auto', 'wasm', 32, shared, undefined, undefined, true, fits(8))).threads, 4);
  // Sharded steps hold a shard each, and an asked-for count is the user's: neither is bounded.
  assert.equal((await searchThreads('auto', 'wasm', 32, { threads: 4 }, undefined, undefined, true, fits(1))).threads, 4);
  assert.equal((await searchThreads(4, 'wasm', 32, undefined, undefined, undefined, false, fits(1))).threads, 4);
});
