// The search benchmark's three modes, and DARTS mode's batch under the papers' memory rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { estimateSupernetMemory, loadSearchSpace } from '../../../runtime/dsl/index.js';
import { applySettings } from '../../../runtime/sweep/overrides.js';
import { memoryMatchedBatch, modeRatios, modeSettings, type BatchRule, type Mode, type ModeSummary } from '../../../bench/search/run.js';

const file = 'bench/search/space-paper.bnas';
const text = readFileSync(file, 'utf8');
const space = loadSearchSpace(text).space;
if (!space) throw new Error(`${file} does not validate`);
/** The space a mode's sweep searches: the file with the mode's --set overrides applied. */
const modeSpace = (mode: Mode, rule: BatchRule = 'same') => applySettings(text, modeSettings(space, mode, rule), file).space;

test('modes: bnas is the space; PC-DARTS mode stops pruning; DARTS mode samples every channel', () => {
  assert.deepEqual(modeSettings(space, 'bnas'), []);
  const pc = modeSpace('pc-darts');
  assert.equal(pc.pruning.criterion, 'none');
  assert.equal(pc.sampling.k, space.sampling.k);
  assert.equal(pc.train.batch, space.train.batch);
  assert.deepEqual(pc.derive, {}, 'the baselines derive as their papers do: no cap on parameter-free ops or inner edges');
  assert.equal(space.derive?.maxInnerEdges, 1, 'this method derives under the default caps');
  const darts = modeSpace('darts');
  assert.equal(darts.sampling.k, 1);
  assert.equal(darts.pruning.criterion, 'none');
  assert.equal(darts.train.batch, space.train.batch, 'the same rule keeps the batch');
  assert.equal(darts.optimizers.weights.lr, space.optimizers.weights.lr);
});

test('memory rule: DARTS mode gets the largest batch that fits in PC-DARTS mode memory, learning rate scaled alike', () => {
  const pcMb = estimateSupernetMemory(modeSpace('pc-darts')).totalMb;
  const darts = modeSpace('darts', 'memory');
  const batch = darts.train.batch;
  assert.equal(batch, memoryMatchedBatch(space));
  assert.ok(batch > 1 && batch < space.train.batch, `batch ${batch} should be between 1 and ${space.train.batch}`);
  assert.ok(estimateSupernetMemory(darts).totalMb <= pcMb, 'fits');
  const bigger = { ...darts, train: { ...darts.train, batch: batch + 1 } };
  assert.ok(estimateSupernetMemory(bigger).totalMb > pcMb, 'one more image does not fit');
  assert.ok(Math.abs(darts.optimizers.weights.lr - (space.optimizers.weights.lr * batch) / space.train.batch) < 1e-12);
  assert.equal(darts.optimizers.arch.lr, space.optimizers.arch.lr, 'α keeps its rate');
  // PC-DARTS mode and this method are untouched by the rule.
  assert.equal(modeSpace('pc-darts', 'memory').train.batch, space.train.batch);
  assert.deepEqual(modeSettings(space, 'bnas', 'memory'), []);
});

test('ratios: this method against each mode that ran with it, none when it did not run', () => {
  const means: Record<Mode, ModeSummary> = {
    bnas: { macs: 60, cpuSeconds: 50, wallSeconds: 55 },
    'pc-darts': { macs: 100, cpuSeconds: 100, wallSeconds: 110 },
    darts: { macs: 600, cpuSeconds: 500, wallSeconds: 550 },
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
