// bench/quality/matched-cells.ts: random cells that carry a searched cell's ops keep its op
// multiset, respect the inner-edge cap, differ from one another and are the same for a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchedGenotypes } from '../../../bench/quality/matched-cells.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';

const SEARCHED: Genotype = {
  normal: [['conv_3x3', 1], ['conv_3x3', 0], ['conv_3x3', 1], ['max_pool_3x3', 0], ['conv_3x3', 1], ['conv_3x3', 2], ['conv_3x3', 0], ['max_pool_3x3', 1]],
  normal_concat: [2, 3, 4, 5],
  reduce: [['conv_1x1', 0], ['max_pool_3x3', 1], ['conv_3x3', 1], ['conv_3x3', 0], ['conv_3x3', 1], ['conv_3x3', 0], ['skip_connect', 1], ['conv_3x3', 0]],
  reduce_concat: [2, 3, 4, 5],
};
const ops = (cell: Genotype['normal']) => cell.map(([op]) => op).sort();

test('matched cells: the searched ops on valid wiring with at most the allowed inner edges, seeded', () => {
  for (const maxInner of [0, 1, 8]) {
    const cells = matchedGenotypes(SEARCHED, 7, 20, maxInner);
    for (const g of cells) {
      for (const kind of ['normal', 'reduce'] as const) {
        assert.deepEqual(ops(g[kind]), ops(SEARCHED[kind]), `${kind} keeps the searched ops`);
        g[kind].forEach(([, from], i) => assert.ok(from >= 0 && from < Math.floor(i / 2) + 2, `${kind} edge ${i} from ${from}`));
        for (let j = 0; j < 4; j++) assert.notEqual(g[kind][2 * j][1], g[kind][2 * j + 1][1], `node ${j} takes two distinct inputs`);
        assert.ok(g[kind].filter(([, from]) => from >= 2).length <= maxInner, `${kind}: at most ${maxInner} inner edges`);
      }
    }
    assert.ok(new Set(cells.map((g) => JSON.stringify(g))).size > 10, 'the draws differ');
  }
  assert.deepEqual(matchedGenotypes(SEARCHED, 7, 3, 1), matchedGenotypes(SEARCHED, 7, 3, 1));
  assert.notDeepEqual(matchedGenotypes(SEARCHED, 7, 3, 1), matchedGenotypes(SEARCHED, 8, 3, 1));
});
