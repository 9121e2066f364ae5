// bench/quality/reevaluate.ts: the cells it trains again are the chosen groups' cells, at most N a
// group and seed in record order, each keyed apart, and a group with no cells is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCells } from '../../../bench/quality/reevaluate.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';

const cell = (op: string): Genotype => ({ normal: [[op, 0], [op, 1]], normal_concat: [2], reduce: [[op, 0], [op, 1]], reduce_concat: [2] });
const rec = (group: string, seed: number, op: string) => ({ group, seed, accuracy: 0.8, seconds: 1, parameters: 1, genotype: cell(op) });
const RECORD = [rec('R', 1, 'a'), rec('Z', 7, 'z'), rec('R', 1, 'b'), rec('R', 2, 'c'), rec('R', 1, 'd'), rec('C', 1, 'e'), rec('R', 2, 'f')];

test('reevaluate: chosen groups, at most N a group and seed in record order, keyed by group, seed and index', () => {
  const all = chooseCells(RECORD, ['R', 'Z']);
  assert.deepEqual(all.map((j) => j.key), ['R-1-0', 'Z-7-0', 'R-1-1', 'R-2-0', 'R-1-2', 'R-2-1']);
  assert.deepEqual(all.map((j) => j.genotype.normal[0][0]), ['a', 'z', 'b', 'c', 'd', 'f']);
  const two = chooseCells(RECORD, ['R'], 2);
  assert.deepEqual(two.map((j) => j.key), ['R-1-0', 'R-1-1', 'R-2-0', 'R-2-1']);
  assert.deepEqual(two.map((j) => j.seed), [1, 1, 2, 2]);
  assert.deepEqual(chooseCells(RECORD, ['R', 'C'], 1, [1]).map((j) => j.key), ['R-1-0', 'C-1-0']);
  assert.throws(() => chooseCells(RECORD, ['R', 'Q']), /no cells of group Q/);
  assert.throws(() => chooseCells(RECORD, ['Z'], 1, [1]), /no cells of group Z/);
});
