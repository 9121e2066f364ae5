/**
 * A search with `regularize { dropout }`: it trains other weights than one without; a run
 * cancelled mid-epoch and resumed draws the same masks and ends with the same genotype and weights
 * as an uninterrupted one (the dropout stream is checkpointed); rate 0 leaves every number as it is
 * without the attribute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSearch } from '../../../runtime/search/search.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

const base = { data: { train: 96, test: 32 }, train: { epochs: 3, batch: 16, warmup: 1, seed: 11 } };
const plain = tinySpace(base);
const dropping = tinySpace({ ...base, regularize: { dropout: 0.5, dropoutOps: 'param_free', dropoutDecay: 0.2 } });
const fx = searchFixture(plain.data, 11, 'dropout');

const genotype = (dir: string) => JSON.stringify(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).genotype);
const arrays = (dir: string) => readFileSync(join(dir, 'checkpoint/arrays.bin'));
const search = (space: SearchSpace, outDir: string, extra: Partial<Parameters<typeof runSearch>[0]> = {}) =>
  runSearch({ space, spaceText: 'x', outDir, dataset: fx.dataset, keepBackend: true, threads: 1, ...extra });

test('dropout changes the search; cancel + resume gives the genotype and weights of an uninterrupted run', async () => {
  const a = join(fx.root, 'a');
  const p = join(fx.root, 'plain');
  assert.equal((await search(dropping, a)).status, 'finished');
  assert.equal((await search(plain, p)).status, 'finished');
  assert.ok(!arrays(a).equals(arrays(p)), 'the dropping run trained other weights');
  const state = JSON.parse(readFileSync(join(a, 'checkpoint/state.json'), 'utf8')).state;
  assert.equal(typeof state.rng.drop, 'number', 'the checkpoint holds the dropout stream');

  const c = join(fx.root, 'c');
  const controller = new AbortController();
  let steps = 0;
  const r = await search(dropping, c, {
    signal: controller.signal, stepEventSeconds: 0,
    // Cancel after the first step of epoch 2: the architecture steps have started and drop too.
    emit: (e) => e.type === 'step' && e.epoch === 2 && ++steps === 1 && controller.abort(),
  });
  assert.equal(r.status, 'cancelled');
  assert.equal((await search(dropping, c, { resume: true })).status, 'finished');
  assert.equal(genotype(c), genotype(a));
  assert.ok(arrays(c).equals(arrays(a)), 'the resumed run ends with the same weights, α and β');
});

test('rate 0 is off: every number as without the attribute', async () => {
  const z = join(fx.root, 'zero');
  const off = tinySpace({ ...base, regularize: { dropout: 0, dropoutOps: 'param_free', dropoutDecay: 0.5 } });
  assert.equal((await search(off, z)).status, 'finished');
  assert.equal(genotype(z), genotype(join(fx.root, 'plain')));
  assert.ok(arrays(z).equals(arrays(join(fx.root, 'plain'))));
});
