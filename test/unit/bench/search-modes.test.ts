// The search benchmark's three modes, and DARTS mode's batch under the papers' memory rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { estimateSupernetMemory, loadSearchSpace } from '../../../runtime/dsl/index.js';
import { memoryMatchedBatch, modeRatios, modeSpace, type Mode, type ModeSummary } from '../../../bench/search/run.js';

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

test('ratios: this method against each mode that ran with it, none when it did not run', () => {
  const means: Record<Mode, ModeSummary> = {
    bnas: { macs: 60, cpuSeconds: 50, wallSeconds: 55, idleWallEstimate: 50 },
    'pc-darts': { macs: 100, cpuSeconds: 100, wallSeconds: 110, idleWallEstimate: 100 },
    darts: { macs: 600, cpuSeconds: 500, wallSeconds: 550, idleWallEstimate: 500 },
  };
  const all = modeRatios((m) => means[m], ['bnas', 'pc-darts', 'darts']);
  assert.equal(all.cpuVsPcDarts, 0.5);
  assert.equal(all.macsVsPcDarts, 0.6);
  assert.equal(all.cpuVsDarts, 0.1);
  assert.equal(all.macsVsDarts, 0.1);
  assert.equal(all.wallVsPcDarts, 0.5);
  const two = modeRatios((m) => means[m], ['bnas', 'pc-darts']);
  assert.equal(two.cpuVsPcDarts, 0.5);
  assert.equal(two.cpuVsDarts, undefined);
  // A run of one other mode has nothing to compare (it used to throw reading this method's means).
  const ran: Partial<Record<Mode, ModeSummary>> = { 'pc-darts': means['pc-darts'] };
  const alone = modeRatios((m) => ran[m] as ModeSummary, ['pc-darts']);
  assert.ok(Object.values(alone).every((v) => v === undefined), JSON.stringify(alone));
});
