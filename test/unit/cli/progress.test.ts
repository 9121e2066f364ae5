// The search's human progress: each epoch line says how many ops the round just abandoned and,
// under pruning.confidence, how many of those decisions rested on evidence and how many on α.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../../runtime/cli/progress.js';
import type { PruneEvidence, RunEvent } from '../../../runtime/protocol/events.js';
import { pruningBasis } from '../../../runtime/protocol/pruning-evidence.js';

const time = '2026-01-01T00:00:00.000Z';
const epoch = (n: number): RunEvent => ({ type: 'epoch', time, epoch: n, train_loss: 1, train_acc: 0.5, valid_loss: 1, valid_acc: 0.5, seconds: 1, ops_left: 10 });
const pruned = (op: string, evidence?: PruneEvidence): RunEvent => ({ type: 'pruned', time, epoch: 1, cell: 'normal', edge: 0, op, score: 0.1, round: 1, ...(evidence && { evidence }) });
const rule = (roles: Record<string, 'candidate' | 'kept' | 'promising'>): PruneEvidence => ({
  measure: 'valid_loss_delta',
  values: Object.fromEntries(Object.entries(roles).map(([op, r]) => [op, r === 'promising' ? null : 0.01])),
  scores: Object.fromEntries(Object.entries(roles).map(([op, r]) => [op, { candidate: 0.2, kept: 1.2, promising: 2.3 }[r]])),
  confidence: 2,
  roles,
  z: Object.fromEntries(Object.keys(roles).map((op) => [op, null])),
});

function lines(events: RunEvent[]): string[] {
  let text = '';
  const p = new Progress({ write: (s: string) => ((text += s), true), isTTY: false } as never);
  events.forEach((e) => p.show(e));
  return text.trim().split('\n');
}

test('an epoch line counts the ops its round abandoned, by evidence and by α under pruning.confidence', () => {
  const separated = rule({ a: 'candidate', b: 'kept', c: 'promising' });
  const tied = rule({ a: 'candidate', b: 'candidate', c: 'promising' });
  const out = lines([epoch(1), pruned('a', separated), pruned('a', tied), pruned('b', tied), epoch(2), epoch(3)]);
  assert.match(out[0]!, /ops left 10 \(/);
  assert.match(out[1]!, /ops left 10, 3 abandoned \(1 on evidence, 2 by α\) \(/);
  assert.doesNotMatch(out[2]!, /abandoned/, 'the count starts again after each epoch line');
});

test('other rules: the count without a split', () => {
  const bnas: PruneEvidence = { measure: 'valid_loss_delta', values: { a: 0.01, b: 0.02 }, scores: { a: 0.4, b: 0.6 } };
  assert.match(lines([pruned('a', bnas), pruned('b'), epoch(1)])[0]!, /ops left 10, 2 abandoned \(1\.0s\)/);
});

test('pruningBasis: roles where reported, the score bands of the rule for events written before roles', () => {
  assert.equal(pruningBasis(rule({ a: 'candidate', b: 'kept' })), 'evidence');
  assert.equal(pruningBasis(rule({ a: 'candidate', b: 'candidate', c: 'promising' })), 'alpha');
  const old = (scores: Record<string, number>): PruneEvidence => ({ measure: 'valid_loss_delta', values: {}, scores });
  assert.equal(pruningBasis(old({ a: 0.2, b: 1.3, c: 2.4 })), 'evidence');
  assert.equal(pruningBasis(old({ a: 0.2, b: 0.3, c: 2.4 })), 'alpha');
  assert.equal(pruningBasis(old({ a: 0.2, b: 0.9 })), undefined, 'the BNAS rule: scores below 2');
  assert.equal(pruningBasis({ measure: 'alpha_weight', values: {}, scores: { a: 0.2 } }), undefined);
  assert.equal(pruningBasis(undefined), undefined);
});
