/**
 * A search with `binarize { progressive }`: λ follows its ramp per step (a function of the epoch
 * and step alone); the search trains other weights than one without; a run cancelled mid-ramp and
 * resumed ends with the genotype and weights of an uninterrupted one; the measurements at the end
 * of an epoch and of the search see the λ the ramp has reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSearch } from '../../../runtime/search/search.js';
import { binaryShare } from '../../../runtime/search/trainer.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

const base = { data: { train: 96, test: 32 }, train: { epochs: 3, batch: 16, warmup: 1, seed: 13 } };
const plain = tinySpace(base);
const ramped = tinySpace({ ...base, binarize: { ...plain.binarize, progressive: 2 } });
const fx = searchFixture(plain.data, 13, 'progressive');

const genotype = (dir: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).genotype);
const arrays = (dir: string) => readFileSync(join(dir, 'checkpoint/arrays.bin'));
const search = (space: SearchSpace, outDir: string, extra: Partial<Parameters<typeof runSearch>[0]> = {}) =>
  runSearch({ space, spaceText: 'x', outDir, dataset: fx.dataset, keepBackend: true, threads: 1, ...extra });

test('the ramp: λ = ((epoch − 1)·steps + step) / (E·steps), capped at 1; 1 without progressive', () => {
  const steps = 4;
  const at = (epoch: number, step: number) => binaryShare(ramped, epoch, step, steps);
  assert.equal(at(1, 0), 0, 'the first step is full precision');
  assert.equal(at(1, 1), 1 / 8);
  assert.equal(at(1, 4), 0.5, 'the end of epoch 1 of 2');
  assert.equal(at(2, 0), 0.5, 'the next epoch starts where the last ended');
  assert.equal(at(2, 3), 7 / 8);
  assert.equal(at(2, 4), 1);
  assert.equal(at(3, 2), 1, 'fully binary after E epochs');
  for (const [e, s] of [[1, 0], [2, 3], [3, 1]]) assert.equal(binaryShare(plain, e, s, steps), 1);
  assert.equal(binaryShare(tinySpace({ binarize: { ...plain.binarize, progressive: 0 } }), 1, 0, steps), 1);
});

test('progressive changes the search; cancel + resume mid-ramp gives the genotype and weights of an uninterrupted run', async () => {
  // Every λ the supernets of these runs are given, in order.
  const seen: number[] = [];
  const descriptor = Object.getOwnPropertyDescriptor(Supernet.prototype, 'binaryShare') as PropertyDescriptor;
  Object.defineProperty(Supernet.prototype, 'binaryShare', {
    ...descriptor,
    set(this: Supernet, v: number) {
      seen.push(v);
      (descriptor.set as (v: number) => void).call(this, v);
    },
  });
  try {
    const a = join(fx.root, 'a');
    const p = join(fx.root, 'plain');
    assert.equal((await search(ramped, a)).status, 'finished');
    const steps = fx.dataset.weights.iterator().stepsPerEpoch(16);
    // Each step, then each epoch's end, then the end of the search.
    const ramp = (e: number, s: number) => Math.min(1, ((e - 1) * steps + s) / (2 * steps));
    const expected = [1, 2, 3].flatMap((e) => [...Array.from({ length: steps }, (_, s) => ramp(e, s)), ramp(e, steps)]).concat([1]);
    assert.deepEqual(seen, expected);
    const epochs = readFileSync(join(a, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'epoch');
    assert.deepEqual(epochs.map((e) => e.binary_share), [0.5, 1, 1], 'each epoch event says where the ramp is');
    seen.length = 0;
    assert.equal((await search(plain, p)).status, 'finished');
    assert.ok(seen.every((v) => v === 1), 'without progressive the search stays binary');
    assert.ok(!arrays(a).equals(arrays(p)), 'the ramped run trained other weights');

    const c = join(fx.root, 'c');
    const controller = new AbortController();
    let stepsSeen = 0;
    const r = await search(ramped, c, {
      signal: controller.signal, stepEventSeconds: 0,
      // Cancel after the first step of epoch 2: λ is half-way up the ramp.
      emit: (e) => e.type === 'step' && e.epoch === 2 && ++stepsSeen === 1 && controller.abort(),
    });
    assert.equal(r.status, 'cancelled');
    seen.length = 0;
    assert.equal((await search(ramped, c, { resume: true })).status, 'finished');
    assert.equal(seen[0], ramp(2, 1), 'the resumed run continues the ramp where it stopped');
    assert.equal(genotype(c), genotype(a));
    assert.ok(arrays(c).equals(arrays(a)), 'the resumed run ends with the same weights, α and β');
  } finally {
    Object.defineProperty(Supernet.prototype, 'binaryShare', descriptor);
  }
});
