// The pure parts of bench/engine/derived-peer.ts: both sides get the same space, genotype, input and
// timing; T threads mean T workers on wasm, T native threads on node and in PyTorch; the rounds
// rotate; the summary picks the faster backend and divides PyTorch by it round by round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contenders, median, roundOrder, summarize, threadEnv, timedSteps, type PlanOptions, type Sample } from '../../../bench/engine/derived-peer-plan.js';

const OPTIONS: PlanOptions = {
  node: '/bin/node', python: '/venv/python', space: 's.bnas', sets: ['train.batch=64'], genotype: 'g.json', model: '/tmp/model.py',
  channels: 1, classes: 10, threads: [1, 2], backends: ['wasm', 'node'], steps: 3, warmup: 1,
};

const arg = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

test('contenders: every backend and thread count, then PyTorch, with the same timing', () => {
  const list = contenders(OPTIONS);
  assert.deepEqual(list.map((c) => c.name), ['runtime wasm 1t', 'runtime wasm 2t', 'runtime node 1t', 'runtime node 2t', 'pytorch 1t', 'pytorch 2t']);
  for (const c of list) {
    assert.equal(arg(c.args, '--steps'), '3', c.name);
    assert.equal(arg(c.args, '--warmup'), '1', c.name);
    assert.equal(c.env.TF_NUM_INTEROP_THREADS, '1', c.name);
  }
  for (const c of list.filter((x) => x.side === 'runtime')) {
    assert.equal(c.cmd, '/bin/node');
    assert.ok(c.args.includes('bench/engine/derived-step.ts'));
    assert.equal(arg(c.args, '--space'), 's.bnas');
    assert.equal(arg(c.args, '--set'), 'train.batch=64');
    assert.equal(arg(c.args, '--genotype'), 'g.json');
    assert.equal(arg(c.args, '--channels'), '1');
    assert.equal(arg(c.args, '--classes'), '10');
    assert.equal(arg(c.args, '--backend'), c.backend);
  }
  for (const c of list.filter((x) => x.side === 'pytorch')) {
    assert.equal(c.cmd, '/venv/python');
    assert.deepEqual(c.args.slice(0, 2), ['bench/peers/pytorch/derived_step.py', '/tmp/model.py']);
    assert.equal(arg(c.args, '--threads'), String(c.threads));
    assert.deepEqual(c.env, threadEnv(c.threads));
  }
});

test('contenders: wasm threads are workers, node threads are TensorFlow threads', () => {
  const byName = new Map(contenders(OPTIONS).map((c) => [c.name, c]));
  const wasm2 = byName.get('runtime wasm 2t');
  const node2 = byName.get('runtime node 2t');
  assert.ok(wasm2 && node2);
  assert.equal(arg(wasm2.args, '--threads'), '2');
  assert.equal(wasm2.env.TF_NUM_INTRAOP_THREADS, '1');
  assert.equal(arg(node2.args, '--threads'), '1');
  assert.equal(node2.env.TF_NUM_INTRAOP_THREADS, '2');
  assert.equal(node2.env.OMP_NUM_THREADS, '2');
});

test('contenders: several settings become one --set each', () => {
  const c = contenders({ ...OPTIONS, sets: ['a.b=1', 'c.d=2'], backends: ['wasm'], threads: [1] })[0];
  assert.deepEqual(c.args.flatMap((a, i) => (a === '--set' ? [c.args[i + 1]] : [])), ['a.b=1', 'c.d=2']);
});

test('roundOrder rotates the list: each contender once a round, a different one first', () => {
  const list = ['a', 'b', 'c'];
  assert.deepEqual(roundOrder(list, 0), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder(list, 1), ['b', 'c', 'a']);
  assert.deepEqual(roundOrder(list, 3), ['a', 'b', 'c']);
});

test('median: the middle value (upper of an even count), NaN for none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('summarize: PyTorch ÷ the fastest backend per thread count and round; a failed round is left out', () => {
  const list = contenders({ ...OPTIONS });
  const s = (imagesPerSecond: number, cpuMs = 1000): Sample => ({ imagesPerSecond, cpuMs });
  const runs = new Map<string, (Sample | undefined)[]>([
    ['runtime wasm 1t', [s(4), s(5), s(6)]],
    ['runtime node 1t', [s(10, 2000), s(8, 2500), s(12, 1600)]],
    ['pytorch 1t', [s(5, 1000), s(8, 1250), s(6, 800)]],
    ['runtime wasm 2t', [s(9), undefined, s(11)]],
    ['runtime node 2t', [s(7), s(7), s(7)]],
    ['pytorch 2t', [s(18, 500), s(30, 500), s(33, 500)]],
  ]);
  const [one, two] = summarize(list, runs);
  assert.equal(one.threads, 1);
  assert.equal(one.best, 'runtime node 1t');
  assert.deepEqual(one.ratioPerRound, [0.5, 1, 0.5]);
  assert.equal(one.ratio, 0.5);
  assert.deepEqual(one.cpuRatioPerRound, [2, 2, 2]);
  assert.equal(one.met, false, 'faster by the wall clock but twice the CPU a step: not met');
  assert.equal(one.imagesPerSecond['pytorch 1t'], 6);
  const quick = new Map(runs).set('runtime node 1t', [s(10, 900), s(8, 1000), s(12, 700)]);
  assert.equal(summarize(list, quick)[0].met, true, 'faster by both measures');
  assert.equal(two.best, 'runtime wasm 2t'); // median 11 of the two rounds it ran, against node's 7
  assert.deepEqual(two.ratioPerRound, [2, 3]);
  assert.equal(two.ratio, 3);
  assert.equal(two.met, false);
});

test('summarize: no PyTorch result gives no ratio and no target met', () => {
  const list = contenders({ ...OPTIONS, threads: [1], backends: ['wasm'] });
  const [one] = summarize(list, new Map([['runtime wasm 1t', [{ imagesPerSecond: 3, cpuMs: 1 }]]]));
  assert.deepEqual(one.ratioPerRound, []);
  assert.ok(Number.isNaN(one.ratio));
  assert.equal(one.met, false);
});

test('timedSteps: warm-up steps run untimed, then one time a step', async () => {
  let calls = 0;
  const r = await timedSteps(async () => {
    calls++;
  }, 2, 3, 64);
  assert.equal(calls, 5);
  assert.equal(r.step_ms.length, 3);
  assert.ok(r.images_per_second > 0);
});
