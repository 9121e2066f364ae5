import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/index.js';
import { loadDataset, type Dataset } from '../../../runtime/data/index.js';
import { runSearch } from '../../../runtime/search/search.js';
import { parseRunEvent, type RunEvent } from '../../../runtime/protocol/events.js';
import { tinySpace } from '../supernet/helpers.js';

const space = tinySpace({ data: { train: 96, test: 32 }, train: { epochs: 3, batch: 16, warmup: 1, seed: 11 } });
let dataset: Dataset;
const root = mkdtempSync(join(tmpdir(), 'bnas-search-'));

before(async () => {
  await initBackend('wasm');
  dataset = await loadDataset(space.data, { seed: 11 });
});

const events = (dir: string): RunEvent[] =>
  readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => parseRunEvent(JSON.parse(l)) as RunEvent);
const genotype = (dir: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).genotype);

test('a search writes the run folder with valid events; same seed twice gives the same genotype', async () => {
  const a = join(root, 'a');
  const b = join(root, 'b');
  const r1 = await runSearch({ space, spaceText: 'search "x" {}', outDir: a, dataset, keepBackend: true, threads: 1 });
  assert.equal(r1.status, 'finished');
  for (const f of ['space.bnas', 'events.jsonl', 'result.json', 'normal.mmd', 'reduce.mmd', 'checkpoint/state.json']) assert.ok(existsSync(join(a, f)), f);
  const ev = events(a);
  assert.ok(ev.every((e) => e !== undefined), 'every line is a valid RunEvent');
  for (const t of ['started', 'step', 'epoch', 'alphas', 'pruned', 'genotype', 'checkpoint', 'finished']) assert.ok(ev.some((e) => e.type === t), t);
  assert.equal(ev.filter((e) => e.type === 'epoch').length, 3);
  // alpha pruning: 2 rounds (after epochs 1 and 2) × 2 cell kinds × 5 edges
  assert.equal(ev.filter((e) => e.type === 'pruned').length, 20);
  const lastEpoch = ev.filter((e) => e.type === 'epoch').at(-1);
  assert.equal(lastEpoch?.type === 'epoch' && lastEpoch.ops_left, 2 * 5 * 2);
  const result = JSON.parse(readFileSync(join(a, 'result.json'), 'utf8'));
  assert.equal(result.genotype.normal.length, 4);
  assert.equal(result.metrics.epochs, 3);
  assert.ok(result.metrics.test_acc >= 0 && result.metrics.test_acc <= 1);
  const r2 = await runSearch({ space, spaceText: 'search "x" {}', outDir: b, dataset, keepBackend: true, threads: 1 });
  assert.equal(r2.status, 'finished');
  assert.equal(genotype(a), genotype(b));
  assert.equal(readFileSync(join(a, 'checkpoint/arrays.bin')).equals(readFileSync(join(b, 'checkpoint/arrays.bin'))), true);
});

test('cancel mid-epoch writes a checkpoint; resume finishes with the same genotype and weights', async () => {
  const c = join(root, 'c');
  const controller = new AbortController();
  let steps = 0;
  const r = await runSearch({
    space, spaceText: 'x', outDir: c, dataset, keepBackend: true, threads: 1, signal: controller.signal, stepEventSeconds: 0,
    emit: (e) => e.type === 'step' && e.epoch === 2 && ++steps === 1 && controller.abort(),
  });
  assert.equal(r.status, 'cancelled');
  const ev = events(c);
  assert.equal(ev.at(-1)?.type, 'cancelled');
  assert.ok(!existsSync(join(c, 'result.json')));
  const state = JSON.parse(readFileSync(join(c, 'checkpoint/state.json'), 'utf8')).state;
  assert.equal(state.epoch, 2);
  assert.equal(state.step, 1);
  const r2 = await runSearch({ space, spaceText: 'x', outDir: c, dataset, keepBackend: true, threads: 1, resume: true });
  assert.equal(r2.status, 'finished');
  assert.equal(genotype(c), genotype(join(root, 'a')));
  assert.ok(readFileSync(join(c, 'checkpoint/arrays.bin')).equals(readFileSync(join(root, 'a', 'checkpoint/arrays.bin'))));
  assert.ok(events(c).some((e) => e.type === 'started' && e.resumed === true));
});

test('a checkpoint of the format before the unified random streams is refused on resume, not continued differently', async () => {
  const old = join(root, 'old');
  cpSync(join(root, 'c'), old, { recursive: true });
  const file = join(old, 'checkpoint/state.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), format: 1 }));
  await assert.rejects(
    runSearch({ space, spaceText: 'x', outDir: old, dataset, keepBackend: true, threads: 1, resume: true }),
    /written by an older version whose random streams differ.*start the search again/,
  );
});

test('a NaN loss stops with a failed event and keeps the last checkpoint', async () => {
  const d = join(root, 'd');
  const bad = tinySpace({
    data: { train: 96, test: 32 },
    train: { epochs: 3, batch: 16, warmup: 3, seed: 11 },
    optimizers: {
      weights: { kind: 'sgd', lr: 1e38, momentum: 0.9, weightDecay: 0, betas: [0.5, 0.999], gradClip: 0, schedule: 'constant' },
      arch: space.optimizers.arch,
    },
  });
  const r = await runSearch({ space: bad, spaceText: 'x', outDir: d, dataset, keepBackend: true, threads: 1 });
  assert.equal(r.status, 'failed');
  assert.match(r.message ?? '', /loss became (NaN|Infinity)/);
  const last = events(d).at(-1);
  assert.equal(last?.type, 'failed');
  assert.ok(!existsSync(join(d, 'result.json')));
});

test('budget.minutes stops gracefully, derives and says why', async () => {
  const f = join(root, 'f');
  // 0.0005 minutes = 30 ms: the budget runs out after the first step.
  const r = await runSearch({ space: { ...space, budget: { memoryMb: 3000, minutes: 0.0005 } }, spaceText: 'x', outDir: f, dataset, keepBackend: true, threads: 1 });
  assert.equal(r.status, 'finished');
  assert.match(r.result?.stopped_early ?? '', /time budget of 0.0005 minutes/);
  const last = events(f).at(-1);
  assert.ok(last?.type === 'finished' && /time budget/.test(last.reason ?? ''));
  assert.equal(JSON.parse(readFileSync(join(f, 'result.json'), 'utf8')).genotype.reduce.length, 4);
});

test('pruning.confidence: each pruned event names the rule\'s view of its edge, consistent with the values and scores it carries', async () => {
  const dir = join(root, 'z');
  const zSpace = { ...space, pruning: { ...space.pruning, criterion: 'performance' as const, samples: 2, confidence: 2 } };
  assert.equal((await runSearch({ space: zSpace, spaceText: 'x', outDir: dir, dataset, keepBackend: true, threads: 1 })).status, 'finished');
  const pruned = events(dir).filter((e) => e.type === 'pruned');
  assert.ok(pruned.length > 0, 'pruning ran');
  const rank = { candidate: 0, kept: 1, promising: 2 } as const;
  for (const p of pruned) {
    const ev = p.type === 'pruned' ? p.evidence : undefined;
    assert.ok(ev?.roles && ev.z && ev.confidence === 2, 'the rule\'s view is reported');
    const roles: Readonly<Record<string, keyof typeof rank>> = ev.roles;
    const ops = Object.keys(ev.scores);
    assert.deepEqual(Object.keys(roles).sort(), [...ops].sort());
    for (const op of ops) {
      const role = roles[op]!;
      // Measured exactly where the rule weighed the op; the score sorts roles below one another.
      assert.equal(ev.values[op] !== null, role !== 'promising', `${op}: ${role}, value ${ev.values[op]}`);
      assert.equal(Math.floor(ev.scores[op]!), rank[role], `${op}: ${role}, score ${ev.scores[op]}`);
      if (role === 'kept') assert.ok(ev.z[op] === null || ev.z[op]! >= 2, `${op} kept at z ${ev.z[op]}`);
      if (role === 'candidate' && ev.z[op] !== null) assert.ok(ev.z[op]! < 2, `${op} a candidate at z ${ev.z[op]}`);
    }
    assert.ok(ops.some((op) => roles[op] === 'candidate'), 'the worst measured op is always a candidate');
    if (p.type === 'pruned' && p.op !== 'none') assert.equal(roles[p.op], 'candidate', `${p.op} went as a candidate`);
  }
});

test('no tensor leak over a search: the count returns to where it started', async () => {
  const before = tf.memory().numTensors;
  const r = await runSearch({ space: { ...space, train: { ...space.train, epochs: 2 } }, spaceText: 'x', outDir: join(root, 'e'), dataset, keepBackend: true, threads: 1 });
  assert.equal(r.status, 'finished');
  assert.equal(tf.memory().numTensors, before);
  rmSync(root, { recursive: true, force: true });
});
