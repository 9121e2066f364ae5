import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureCores, modelledGain, parseThreads, pickThreads } from '../../../runtime/engine/cores.js';

test('pickThreads: 1 where cores share one core\'s throughput, n on independent cores, at most one thread per 8 examples', () => {
  assert.equal(pickThreads({ threads: 2, speedup: 1.0 }, 32), 1);
  assert.equal(pickThreads({ threads: 2, speedup: 1.3 }, 32), 1);
  assert.equal(pickThreads({ threads: 2, speedup: 1.95 }, 32), 2);
  assert.equal(pickThreads({ threads: 16, speedup: 15 }, 32), 4);
  assert.ok(pickThreads({ threads: 16, speedup: 15 }, 256) >= 14);
  // 16 logical CPUs on 8 cores (two threads a core): no more threads than the throughput pays for.
  const n = pickThreads({ threads: 16, speedup: 8 }, 256);
  assert.ok(n >= 6 && n <= 8, `picked ${n}`);
  assert.equal(pickThreads({ threads: 1, speedup: 1 }, 256), 1);
  assert.equal(modelledGain(1, 1), 1);
  assert.ok(modelledGain(2, 2) > 1.5 && modelledGain(2, 2) < 2);
});

test('parseThreads: auto or a whole number from 1 to 32', () => {
  assert.equal(parseThreads('auto'), 'auto');
  assert.equal(parseThreads(' AUTO '), 'auto');
  assert.equal(parseThreads('4'), 4);
  for (const bad of ['0', '33', '1.5', '-2', 'many', '']) assert.throws(() => parseThreads(bad), /'auto' or a whole number from 1 to 32/);
});

test('measureCores: runs the loop on 2 threads at once and reports a throughput between one and two cores\' worth (with slack for a loaded machine)', async () => {
  const m = await measureCores(2, 10);
  assert.equal(m.threads, 2);
  assert.ok(m.speedup > 0.3 && m.speedup < 2.5, `speedup ${m.speedup}`);
  assert.deepEqual(await measureCores(1), { threads: 1, speedup: 1 });
});
