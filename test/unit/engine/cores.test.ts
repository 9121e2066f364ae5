import { test } from 'node:test';
import assert from 'node:assert/strict';
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
