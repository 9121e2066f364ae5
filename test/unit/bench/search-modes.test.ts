// The search benchmark's three modes, and DARTS mode's batch under the papers' memory rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { estimateSupernetMemory, loadSearchSpace } from '../../../runtime/dsl/index.js';
import { memoryMatchedBatch, modeSpace } from '../../../bench/search/run.js';

const space = loadSearchSpace(readFileSync('bench/search/space-paper.bnas', 'utf8')).space;
if (!space) throw new Error('bench/search/space-paper.bnas does not validate');

test('modes: bnas is the space; PC-DARTS mode stops pruning; DARTS mode samples every channel', () => {
  assert.equal(modeSpace(space, 'bnas'), space);
  const pc = modeSpace(space, 'pc-darts');
  assert.equal(pc.pruning.criterion, 'none');
  assert.equal(pc.sampling.k, space.sampling.k);
  assert.equal(pc.train.batch, space.train.batch);
  const darts = modeSpace(space, 'darts');
  assert.equal(darts.sampling.k, 1);
  assert.equal(darts.pruning.criterion, 'none');
  assert.equal(darts.train.batch, space.train.batch, 'the same rule keeps the batch');
  assert.equal(darts.optimizers.weights.lr, space.optimizers.weights.lr);
});

test('memory rule: DARTS mode gets the largest batch that fits in PC-DARTS mode memory, learning rate scaled alike', () => {
  const pcMb = estimateSupernetMemory(modeSpace(space, 'pc-darts')).totalMb;
  const darts = modeSpace(space, 'darts', 'memory');
  const batch = darts.train.batch;
  assert.equal(batch, memoryMatchedBatch(space));
  assert.ok(batch > 1 && batch < space.train.batch, `batch ${batch} should be between 1 and ${space.train.batch}`);
  assert.ok(estimateSupernetMemory(darts).totalMb <= pcMb, 'fits');
  const bigger = { ...darts, train: { ...darts.train, batch: batch + 1 } };
  assert.ok(estimateSupernetMemory(bigger).totalMb > pcMb, 'one more image does not fit');
  assert.ok(Math.abs(darts.optimizers.weights.lr - (space.optimizers.weights.lr * batch) / space.train.batch) < 1e-12);
  assert.equal(darts.optimizers.arch.lr, space.optimizers.arch.lr, 'α keeps its rate');
  // PC-DARTS mode and this method are untouched by the rule.
  assert.equal(modeSpace(space, 'pc-darts', 'memory').train.batch, space.train.batch);
  assert.equal(modeSpace(space, 'bnas', 'memory'), space);
});
