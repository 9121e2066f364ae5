import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileTrialCache, threadsCachePath, userTrialMemory } from '../../../runtime/engine/backend-cache.js';
import { measureCores, measureThreads, modelledGain, pickThreads, resolveThreads, threadCandidates, type StepSampler } from '../../../runtime/engine/cores.js';
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

/**
 * A sampler whose step on n threads takes `ms[n]` milliseconds (or the next of a list of them),
 * logging what runs: `start n`, `step n`, `close n`.
 */
function fakeSampler(ms: Record<number, number | number[]>, log: string[] = []): () => StepSampler {
  return () => {
    log.push('build');
    return {
      start: async (n) => {
        log.push(`start ${n}`);
        let i = 0;
        return {
          step: async () => {
            log.push(`step ${n}`);
            const t = ms[n];
            return Array.isArray(t) ? t[i++ % t.length] : t;
          },
          close: async () => void log.push(`close ${n}`),
        };
      },
      dispose: () => void log.push('dispose'),
    };
  };
}

test('measureThreads: a warm-up step each, then 1 and n threads alternating; medians; both rigs closed', async () => {
  const log: string[] = [];
  // The warm-up step (first of each list) is slow and not counted; one later 2-thread step is an outlier.
  const t = await measureThreads(fakeSampler({ 1: [900, 100, 104, 98], 2: [900, 60, 500, 62] }, log)(), 2);
  assert.deepEqual(log, ['build', 'start 1', 'start 2', 'step 1', 'step 2', ...Array(3).fill(['step 1', 'step 2']).flat(), 'close 2', 'close 1']);
  assert.deepEqual(t, { threads: 2, oneMs: 100, manyMs: 62, gain: 100 / 62 });
});

test('threadCandidates: 2, 4, 8, … and the most', () => {
  assert.deepEqual(threadCandidates(1), []);
  assert.deepEqual(threadCandidates(2), [2]);
  assert.deepEqual(threadCandidates(3), [2, 3]);
  assert.deepEqual(threadCandidates(8), [2, 4, 8]);
  assert.deepEqual(threadCandidates(12), [2, 4, 8, 12]);
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

test('resolveThreads: a number as asked; auto: 1 on the native backend and the GPU, 1 without timing where the cores do not pay, else the real step on 1 and n threads decides', async () => {
  const log: string[] = [];
  const two = async () => ({ threads: 2, speedup: 2 });
  const fast = fakeSampler({ 1: 100, 2: 60 }, log);
  assert.deepEqual(await resolveThreads(3, 32, 'wasm', fast, two), { threads: 3, reason: 'asked for' });
  assert.equal((await resolveThreads('auto', 32, 'tensorflow', fast, two)).threads, 1);
  assert.equal((await resolveThreads('auto', 32, 'webgpu', fast, two)).threads, 1, 'the GPU backend runs on one thread');
  await assert.rejects(resolveThreads(2, 32, 'webgpu', fast, two), /webgpu backend computes on the GPU from one thread/);
  const shared = await resolveThreads('auto', 32, 'wasm', fast, async () => ({ threads: 2, speedup: 1 }));
  assert.deepEqual(shared, { threads: 1, reason: "auto: 2 CPU(s) at once gave 1.00× one thread's throughput, so 1 thread" });
  assert.equal((await resolveThreads('auto', 32, 'wasm', undefined, two)).threads, 1, 'nothing timed, nothing assumed');
  assert.deepEqual(log, [], 'no step timed where the cores cannot pay');

  const gains = await resolveThreads('auto', 32, 'wasm', fast, two);
  assert.equal(gains.threads, 2);
  assert.equal(gains.reason, "auto: 2 CPU(s) at once gave 2.00× one thread's throughput; the step at batch 32 timed on a throwaway network: 1 thread 100 ms, 2 threads 60 ms (1.67×), so 2 thread(s) (the fastest)");
  // The cores pay, but the step is slower on 2 threads (as the paper-shaped bench space measured): 1.
  const slower = await resolveThreads('auto', 32, 'wasm', fakeSampler({ 1: 188, 2: 220 }, log), two);
  assert.equal(slower.threads, 1);
  assert.match(slower.reason, /1 thread 188 ms, 2 threads 220 ms \(0\.85×\), so 1 thread\(s\) \(below the 1\.15× that threads must gain\)$/);
  assert.equal((await resolveThreads('auto', 32, 'wasm', fakeSampler({ 1: 100, 2: 90 }, log), two)).threads, 1, 'a gain within the noise (1.11×) stays on 1 thread');
  // Many cores: more threads while each count beats the last by NEXT_GAIN (8 does not beat 4).
  const eight = await resolveThreads('auto', 256, 'wasm', fakeSampler({ 1: 100, 2: 55, 4: 30, 8: 29 }, log), async () => ({ threads: 8, speedup: 8 }));
  assert.equal(eight.threads, 4);
  assert.deepEqual(eight.trials?.map((t) => t.threads), [2, 4, 8]);
  // Workers that cannot start: 1 thread, and the reason says why.
  const broken: () => StepSampler = () => {
    const s = fakeSampler({ 1: 100 }, log)();
    return { ...s, start: async (n) => (n > 1 ? Promise.reject(new Error('no worker entry found')) : s.start(n)) };
  };
  const none = await resolveThreads('auto', 32, 'wasm', broken, two);
  assert.equal(none.threads, 1);
  assert.match(none.reason, /; 2 threads failed: no worker entry found, so 1 thread\(s\) \(none timed\)$/);
  // Every rig started was closed and every sampler disposed.
  const count = (re: RegExp) => log.filter((l) => re.test(l)).length;
  assert.equal(count(/^start/), count(/^close/));
  assert.equal(count(/^build/), count(/^dispose/));
});

test('resolveThreads for work with shared parts (the search): where the step does not split but the cores are free, the cores\' count with the steps unsharded; on busy cores 1 thread', async () => {
  const log: string[] = [];
  const two = async () => ({ threads: 2, speedup: 2 });
  const loses = () => fakeSampler({ 1: 188, 2: 220 }, log);
  const hybrid = await resolveThreads('auto', 32, 'wasm', loses(), two, undefined, true);
  assert.deepEqual([hybrid.threads, hybrid.shardSteps], [2, false]);
  assert.match(hybrid.reason, /1 thread 188 ms, 2 threads 220 ms \(0\.85×\), so the steps on 1 thread \(below the 1\.15× that sharding them must gain\) and pruning and measurements shared by 2 threads$/);
  // Work without shared parts (an evaluation) stays on 1 thread.
  const evaluation = await resolveThreads('auto', 32, 'wasm', loses(), two);
  assert.deepEqual([evaluation.threads, evaluation.shardSteps], [1, undefined]);
  // Busy cores: no trial, no workers, 1 thread.
  log.length = 0;
  const busy = await resolveThreads('auto', 32, 'wasm', loses(), async () => ({ threads: 2, speedup: 1.1 }), undefined, true);
  assert.deepEqual([busy.threads, busy.shardSteps], [1, undefined]);
  assert.deepEqual(log, [], 'nothing timed on busy cores');
  // A step that splits well is still sharded.
  const gains = await resolveThreads('auto', 32, 'wasm', fakeSampler({ 1: 100, 2: 60 }, log), two, undefined, true);
  assert.deepEqual([gains.threads, gains.shardSteps], [2, undefined]);
  // Many free cores: all of them share the pruning when 2 threads already lose the step.
  const eight = await resolveThreads('auto', 256, 'wasm', fakeSampler({ 1: 100, 2: 120 }, log), async () => ({ threads: 8, speedup: 7.5 }), undefined, true);
  assert.deepEqual([eight.threads, eight.shardSteps, eight.trials?.length], [8, false, 1]);
  // Workers that cannot start: 1 thread, not workers for the rest either.
  const broken: () => StepSampler = () => {
    const s = fakeSampler({ 1: 100 }, log)();
    return { ...s, start: async (n) => (n > 1 ? Promise.reject(new Error('no worker entry found')) : s.start(n)) };
  };
  const none = await resolveThreads('auto', 32, 'wasm', broken, two, undefined, true);
  assert.deepEqual([none.threads, none.shardSteps], [1, undefined]);
  // A remembered losing trial decides the same way without timing again.
  const cache = fileTrialCache(join(mkdtempSync(join(tmpdir(), 'bnas-hybrid-')), 'threads-trials.json'));
  assert.ok(cache);
  await resolveThreads('auto', 32, 'wasm', loses(), two, { cache, key: 'search h' }, true);
  log.length = 0;
  const again = await resolveThreads('auto', 32, 'wasm', loses(), two, { cache, key: 'search h' }, true);
  assert.deepEqual([again.threads, again.shardSteps, log.length], [2, false, 0]);
  assert.match(again.reason, /\(remembered\).*so the steps on 1 thread/);
});

test('resolveThreads remembers its trials per work, backend and thread count: a second start of the same work times nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bnas-threads-'));
  const path = join(dir, 'threads-trials.json');
  const cache = fileTrialCache(path);
  assert.ok(cache);
  const log: string[] = [];
  const two = async () => ({ threads: 2, speedup: 2 });
  const resolve = (key: string, backend = 'wasm', ms: Record<number, number> = { 1: 188, 2: 220 }) => resolveThreads('auto', 32, backend, fakeSampler(ms, log), two, { cache, key });
  const runs = () => log.splice(0).filter((l) => /^(build|start|step)/.test(l)).length;

  const first = await resolve('search aaa');
  assert.equal(first.threads, 1);
  assert.ok(runs() > 0, 'the first start times the step');
  assert.doesNotMatch(first.reason, /remembered/);
  // The same work again (another process would read the same file): the times from then, no trial.
  const again = await resolve('search aaa', 'wasm', { 1: 100, 2: 50 });
  assert.equal(runs(), 0, 'no sampler built, no rig started, no step run');
  assert.equal(again.threads, 1, 'the remembered answer, not what a new trial would give');
  assert.equal(again.reason, "auto: 2 CPU(s) at once gave 2.00× one thread's throughput; the step at batch 32 as an earlier run on this machine timed it on a throwaway network (remembered): 1 thread 188 ms, 2 threads 220 ms (0.85×), so 1 thread(s) (below the 1.15× that threads must gain)");
  // Another shape, step kind or backend is timed again.
  for (const [key, backend] of [['search bbb', 'wasm'], ['evaluate aaa', 'wasm'], ['search aaa', 'cpu']]) {
    assert.equal((await resolve(key, backend, { 1: 100, 2: 50 })).threads, 2, `${key} on ${backend}`);
    assert.ok(runs() > 0, `${key} on ${backend} is timed`);
  }
  assert.equal(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object).length, 4);
  assert.match(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object)[0], /^tfjs [\d.]+ · \d+ × .* · search aaa · wasm · 2 threads$/, 'the key names the machine, the work, the backend and the count');

  // Many cores: a remembered count is not timed again, a count never timed is, and the reason says which is which.
  const eight = async () => ({ threads: 8, speedup: 8 });
  const wide = (ms: Record<number, number>) => resolveThreads('auto', 256, 'wasm', fakeSampler(ms, log), eight, { cache, key: 'search wide' });
  await resolveThreads('auto', 256, 'wasm', fakeSampler({ 1: 100, 2: 55 }, log), async () => ({ threads: 2, speedup: 2 }), { cache, key: 'search wide' });
  log.length = 0;
  const mixed = await wide({ 1: 100, 2: 999, 4: 30, 8: 29 });
  assert.equal(mixed.threads, 4);
  assert.ok(!log.includes('start 2') && log.includes('start 4') && log.includes('start 8'), log.join());
  assert.match(mixed.reason, /timed on a throwaway network: 1 thread 100 ms, 2 threads 55 ms \(1\.82×, remembered\), 4 threads 30 ms \(3\.33×\), 8 threads 29 ms/);

  // A corrupt file, or an entry it cannot trust, costs a new trial and is replaced.
  writeFileSync(path, '{not json');
  await resolve('search aaa');
  assert.ok(runs() > 0, 'a corrupt file: timed again');
  await resolve('search aaa');
  assert.equal(runs(), 0, 'and remembered again');
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, number>>;
  for (const k of Object.keys(stored)) stored[k] = { ...stored[k], manyMs: -1 };
  writeFileSync(path, JSON.stringify(stored));
  await resolve('search aaa');
  assert.ok(runs() > 0, 'a non-positive time is not trusted');
  // A trial whose threads lose by more than half is used but not remembered: the next start times again.
  await resolve('search implausible', 'wasm', { 1: 100, 2: 400 });
  assert.ok(runs() > 0);
  const retimed = await resolve('search implausible', 'wasm', { 1: 100, 2: 50 });
  assert.ok(runs() > 0, 'a 0.25× trial is timed again at the next start');
  assert.equal(retimed.threads, 2);
  await resolve('search implausible');
  assert.equal(runs(), 0, 'a plausible one is remembered');
  // A file that cannot be written: every start times the step, and still decides.
  const blocked = fileTrialCache(join(path, 'below-a-file.json'));
  assert.ok(blocked);
  for (let i = 0; i < 2; i++) {
    assert.equal((await resolveThreads('auto', 32, 'wasm', fakeSampler({ 1: 100, 2: 50 }, log), two, { cache: blocked, key: 'search aaa' })).threads, 2);
    assert.ok(runs() > 0);
  }
});

test('the trials\' cache sits beside the backends\', follows BNAS_BACKEND_CACHE, and off never writes', async () => {
  assert.equal(threadsCachePath({ XDG_CACHE_HOME: '/c' }), join('/c', 'bnas-studio', 'threads-trials.json'));
  assert.equal(threadsCachePath({ BNAS_BACKEND_CACHE: '/x/y.json' }), join('/x', 'threads-trials.json'));
  assert.equal(threadsCachePath({ BNAS_BACKEND_CACHE: 'off' }), undefined);
  const home = mkdtempSync(join(tmpdir(), 'bnas-threads-home-'));
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, BNAS_BACKEND_CACHE: process.env.BNAS_BACKEND_CACHE };
  const log: string[] = [];
  const resolve = () => resolveThreads('auto', 32, 'wasm', fakeSampler({ 1: 100, 2: 50 }, log), async () => ({ threads: 2, speedup: 2 }), userTrialMemory('search aaa'));
  try {
    process.env.XDG_CACHE_HOME = home;
    process.env.BNAS_BACKEND_CACHE = 'off';
    assert.equal(userTrialMemory('search aaa'), undefined);
    for (let i = 0; i < 2; i++) {
      log.length = 0;
      assert.equal((await resolve()).threads, 2);
      assert.ok(log.includes('start 2'), 'off: timed at every start');
    }
    assert.deepEqual(readdirSync(home), [], 'off: nothing written');
    delete process.env.BNAS_BACKEND_CACHE;
    await resolve();
    assert.deepEqual(readdirSync(join(home, 'bnas-studio')), ['threads-trials.json']);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
