import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunInfo } from '../../../extension/runs/run-manager.js';
import { emptySummary, summarize } from '../../../extension/runs/run-summary.js';
import { runDetails, runItemView, shortLabel, stateLabel } from '../../../extension/views/run-items.js';
import type { RunEvent } from '../../../runtime/protocol/index.js';

const t = '2026-01-01T00:00:00Z';
const g = { normal: [['sep_conv_3x3', 0] as const], normal_concat: [2], reduce: [['max_pool_3x3', 1] as const], reduce_concat: [2] };
const events: RunEvent[] = [
  { type: 'started', time: t, space: 'quick', backend: 'wasm', seed: 7, parameters: 12345, epochs: 6, steps_per_epoch: 10, ops: [], edges: 14 },
  { type: 'epoch', time: t, epoch: 2, train_loss: 1, train_acc: 0.5, valid_loss: 1, valid_acc: 0.61, seconds: 134, ops_left: 12 },
  { type: 'genotype', time: t, epoch: 2, genotype: g },
];

function run(partial: Partial<RunInfo>): RunInfo {
  return { id: '/w/.bnas/runs/quick-1', dir: '/w/.bnas/runs/quick-1', name: 'quick-1', state: 'running', external: false, summary: emptySummary(), droppedMessages: 0, updatedAt: 0, ...partial };
}

describe('runs view items', () => {
  it('a running run: stoppable, numbers in the description, spinning icon', () => {
    const v = runItemView(run({ summary: summarize(events) }));
    assert.equal(v.description, 'epoch 2/6 · valid acc 61.0%');
    assert.match(v.tooltip, /epoch 2\/6 · valid acc 61\.0% · 12 ops left · 2m 14s/);
    assert.equal(v.icon, 'sync~spin');
    assert.match(v.contextValue, /\bstoppable\b/);
    assert.match(v.contextValue, /\bhasGenotype\b/);
    assert.doesNotMatch(v.contextValue, /\bdeletable\b|\bresumable\b/);
  });

  it('a cancelled run: resumable and deletable, state in the description', () => {
    const v = runItemView(run({ state: 'cancelled', summary: summarize(events) }));
    assert.match(v.contextValue, /\bresumable\b/);
    assert.match(v.contextValue, /\bdeletable\b/);
    assert.match(v.description, /^cancelled · epoch 2\/6/);
    const stopped = runItemView(run({ state: 'cancelled', summary: summarize([...events, { type: 'cancelled', time: t, epoch: 2 }]) }));
    assert.match(stopped.description, /^cancelled · stopped after epoch 2\/6 · valid acc 61\.0%/);
  });

  it('labels a run short enough for the side bar, the full name in the tooltip', () => {
    assert.equal(shortLabel('quick-20261206-022325'), 'quick 02:23');
    assert.equal(shortLabel('quick-20261206-022325-2'), 'quick 02:23-2');
    assert.equal(shortLabel('my-run'), 'my-run');
    const v = runItemView(run({ name: 'quick-20261206-022325', summary: summarize(events) }));
    assert.equal(v.label, 'quick 02:23');
    assert.match(v.tooltip, /^quick-20261206-022325 — running/);
  });

  it('queued runs show their place; external runs cannot be stopped from here', () => {
    assert.equal(stateLabel(run({ state: 'queued', queuePosition: 1 })), 'queued #2');
    const ext = runItemView(run({ external: true }));
    assert.doesNotMatch(ext.contextValue, /stoppable/);
    assert.equal(stateLabel(run({ external: true })), 'running elsewhere');
  });

  it('details list facts, the cells and the failure', () => {
    const rows = runDetails(run({ state: 'failed', summary: summarize(events), failure: { message: 'The search runtime stopped unexpectedly (exit code 3).', stderrTail: ['Error: out of memory'] } }));
    const byLabel = new Map(rows.map((r) => [r.label, r.value]));
    assert.equal(byLabel.get('parameters'), '12,345');
    assert.equal(byLabel.get('normal cell'), 'sep_conv_3x3←0');
    assert.equal(byLabel.get('reduce cell'), 'max_pool_3x3←1');
    assert.equal(byLabel.get('stderr'), 'Error: out of memory');
    assert.ok(!byLabel.has('test acc'), 'missing numbers are left out');
  });
});
