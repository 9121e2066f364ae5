import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveCell, deriveGenotype, edgeWeights, opWeights, type CellArch } from '../../../runtime/search/derive.js';
import { cellEdges, edgeCount } from '../../../runtime/supernet/topology.js';

const OPS = ['none', 'skip_connect', 'sep_conv_3x3', 'max_pool_3x3'];

function arch(nodes: number, set: (e: number, from: number, node: number) => number[], betas?: number[]): CellArch {
  const edges = cellEdges(nodes);
  return {
    alphas: edges.map((e) => set(e.index, e.from, e.node)),
    betas: betas ?? edges.map(() => 0),
    alive: edges.map(() => OPS.map(() => true)),
  };
}

test('edge layout: 14 edges for 4 nodes in DARTS order', () => {
  assert.equal(edgeCount(4), 14);
  const e = cellEdges(4);
  assert.deepEqual(e.slice(0, 5).map((x) => [x.from, x.node]), [[0, 0], [1, 0], [0, 1], [1, 1], [2, 1]]);
  assert.deepEqual(e[13], { index: 13, from: 4, node: 3 });
});

test('derivation on hand-made alphas: top-2 edges by best non-none weight, none never chosen', () => {
  // node 0: edges 0,1. node 1: edges 2,3,4. none has the largest alpha everywhere.
  const a = arch(2, (e) => {
    if (e === 0) return [5, 0, 2, 0]; // sep best
    if (e === 1) return [5, 1, 0, 0]; // skip best
    if (e === 2) return [5, 0, 0, 0.1]; // weak max_pool
    if (e === 3) return [5, 0, 3, 0]; // strong sep
    return [5, 2.5, 0, 0]; // edge 4 from node 0: skip, fairly strong
  });
  assert.deepEqual(deriveCell(a, OPS, 2, true), [['sep_conv_3x3', 0], ['skip_connect', 1], ['sep_conv_3x3', 1], ['skip_connect', 2]]);
});

test('betas reorder edges: a strong edge weight beats a strong op weight', () => {
  const a = arch(2, (e) => (e === 3 ? [0, 0, 3, 0] : [0, 0, 0, 1]), [0, 0, 4, -4, 4]);
  const cell = deriveCell(a, OPS, 2, true);
  assert.deepEqual(cell.slice(2).map((p) => p[1]).sort(), [0, 2]);
  // with edge normalization off the betas are ignored and edge 3 (input 1) wins again
  assert.ok(deriveCell(a, OPS, 2, false).slice(2).some(([op, i]) => op === 'sep_conv_3x3' && i === 1));
  const b = edgeWeights(a, 2, true);
  assert.ok(Math.abs(b[0] + b[1] - 1) < 1e-12 && Math.abs(b[2] + b[3] + b[4] - 1) < 1e-12);
});

test('pruned ops are excluded from the softmax and from the choice', () => {
  const a = arch(1, () => [0, 1, 3, 0]);
  const alive = a.alive.map((r) => [...r]);
  alive[0][2] = false; // sep pruned on edge 0
  const pruned = { ...a, alive };
  const w = opWeights(pruned);
  assert.equal(w[0][2], 0);
  assert.ok(Math.abs(w[0].reduce((x, y) => x + y, 0) - 1) < 1e-12);
  const cell = deriveCell(pruned, OPS, 1, true);
  assert.deepEqual(cell.find((p) => p[1] === 0), ['skip_connect', 0]);
  assert.deepEqual(cell.find((p) => p[1] === 1), ['sep_conv_3x3', 1]);
});

test('an edge left with only none still names a real op and ranks last', () => {
  const a = arch(2, (e) => (e === 2 ? [0, 0.5, 0.2, 0] : [0, 1, 2, 0]));
  const alive = a.alive.map((r, e) => (e === 2 ? [true, false, false, false] : [...r]));
  const cell = deriveCell({ ...a, alive }, OPS, 2, true);
  assert.ok(cell.slice(2).every(([, i]) => i !== 0));
  const g = deriveGenotype({ normal: { ...a, alive }, reduce: a }, OPS, 2, true);
  assert.deepEqual(g.normal_concat, [2, 3]);
  assert.equal(g.reduce.length, 4);
});
