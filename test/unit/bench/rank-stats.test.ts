/**
 * The rank statistics of the bench scripts: τ-b on known orderings and ties, and the stratified
 * τ, which must see an agreement that holds only within groups and not one made by the groups.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kendallTau, stratifiedTau } from '../../../bench/rank-stats.js';

describe('kendallTau', () => {
  it('is 1 for the same order, −1 for the reverse, and τ-b with ties', () => {
    assert.equal(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // Pairs: (1,2) tie in b; (1,3) +; (2,3) +. τ-b = 2 / √(3·2).
    assert.ok(Math.abs(kendallTau([1, 2, 3], [1, 1, 2]) - 2 / Math.sqrt(6)) < 1e-12);
  });
});

describe('stratifiedTau', () => {
  // Two groups: within each, b follows a; across them, the group with larger a has smaller b.
  const a = [1, 2, 3, 4, 11, 12, 13, 14];
  const b = [11, 12, 13, 14, 1, 2, 3, 4];
  const strata = ['x', 'x', 'x', 'x', 'y', 'y', 'y', 'y'];

  it('sees agreement within groups that the groups reverse overall', () => {
    assert.ok(kendallTau(a, b) < 0);
    const s = stratifiedTau(a, b, strata, 2000);
    assert.ok(s);
    assert.equal(s.tau, 1);
    assert.equal(s.groups, 2);
    assert.ok(s.permutation_p < 0.05, `p = ${s.permutation_p}`);
  });

  it('weights groups by their pairs and skips groups under 3 cells', () => {
    // Group x (4 cells, 6 pairs) agrees, group y (3 cells, 3 pairs) disagrees, z (2 cells) is left out.
    const s = stratifiedTau([1, 2, 3, 4, 1, 2, 3, 1, 2], [1, 2, 3, 4, 3, 2, 1, 2, 1], ['x', 'x', 'x', 'x', 'y', 'y', 'y', 'z', 'z'], 100);
    assert.ok(s);
    assert.equal(s.groups, 2);
    assert.ok(Math.abs(s.tau - (6 * 1 + 3 * -1) / 9) < 1e-12);
  });

  it('is undefined when no group has 3 cells', () => {
    assert.equal(stratifiedTau([1, 2], [1, 2], ['x', 'y']), undefined);
  });
});
