// Bench spaces as a base file plus `--set key=value` settings, and the manifest's commands that use them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { RECORDS } from '../../../bench/headlines.js';
import { loadBenchSpace, parseSets, setsIn } from '../../../bench/space-args.js';

test('--set changes exactly the settings it names; the label names the file and its settings', () => {
  const base = loadBenchSpace('bench/search/space-paper.bnas');
  const steps = loadBenchSpace('bench/search/space-paper.bnas', ['data.train=2048', 'binarize.keep_real=[stem,classifier]']);
  assert.equal(steps.space.data.train, 2048);
  assert.deepEqual(steps.space.binarize.keepReal, ['stem', 'classifier']);
  const { data: d1, binarize: b1, ...rest1 } = base.space;
  const { data: d2, binarize: b2, ...rest2 } = steps.space;
  assert.ok(isDeepStrictEqual(rest1, rest2), 'every other block is the base file\'s');
  assert.deepEqual({ ...d1, train: 0 }, { ...d2, train: 0 });
  assert.deepEqual({ ...b1, keepReal: [] }, { ...b2, keepReal: [] });
  assert.equal(steps.label, 'bench/search/space-paper.bnas --set data.train=2048 --set binarize.keep_real=[stem,classifier]');
  assert.equal(base.label, 'bench/search/space-paper.bnas');
});

test('--set refuses an unknown key, an invalid value, a key given twice and a list of values', () => {
  assert.throws(() => loadBenchSpace('bench/search/space.bnas', ['train.epoch=3']), /did you mean 'train.epochs'/);
  assert.throws(() => loadBenchSpace('bench/search/space.bnas', ['sampling.k=3']), /invalid/);
  assert.throws(() => parseSets(['train.epochs=3', 'train.epochs=4']), /train.epochs is given twice/);
  assert.throws(() => parseSets(['train.epochs=3,4']), /takes one value/);
  assert.deepEqual(setsIn(['x.bnas', '--set', 'a=1', '--steps', '3', '--set', 'b=[c, d]']), ['a=1', 'b=[c, d]']);
});

test('every space the headline manifest names loads with its settings', () => {
  const withSpace = RECORDS.filter((r) => r.args?.includes('--space'));
  assert.ok(withSpace.some((r) => r.args!.includes('--set')), 'some records use a base space with settings');
  for (const r of withSpace) {
    const args = r.args!;
    const loaded = loadBenchSpace(args[args.indexOf('--space') + 1], setsIn(args));
    assert.ok(loaded.space, r.id);
  }
});
