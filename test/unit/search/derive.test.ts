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

test('max_param_free: parameter-free picks give way to their best learnable alternative, same edge first', () => {
  const paramFree = (o: number) => OPS[o] !== 'sep_conv_3x3';
  // Every edge prefers skip or pool; sep is the runner-up with weights that rank the edges.
  const a = arch(2, (e) => [0, 3, 1 + e * 0.1, e === 2 ? 4 : 0]);
  const free = deriveCell(a, OPS, 2, true);
  assert.equal(free.filter(([op]) => op !== 'sep_conv_3x3').length, 4, 'uncapped: all four picks parameter-free');
  assert.deepEqual(deriveCell(a, OPS, 2, true, { paramFree }), free, 'no limit: unchanged');
  for (const max of [0, 1, 2, 3]) {
    const capped = deriveCell(a, OPS, 2, true, { paramFree, maxParamFree: max });
    assert.equal(capped.filter(([op]) => paramFree(OPS.indexOf(op))).length, max, `cap ${max}`);
    assert.deepEqual(capped.map(([, from]) => from).sort(), free.map(([, from]) => from).sort(), 'same inputs: alternatives on the same edges');
  }
  // With cap 3 the replaced pick is the one whose sep alternative weighs most in op weight × edge
  // weight: node 0's input 1 (edge 1: 0.120 × ½) beats node 1's input 2 (edge 4: 0.155 × ⅓).
  const three = deriveCell(a, OPS, 2, true, { paramFree, maxParamFree: 3 });
  assert.deepEqual(three.slice(0, 2).filter(([op]) => op === 'sep_conv_3x3'), [['sep_conv_3x3', 1]]);
  assert.ok(three.slice(2).every(([op]) => op !== 'sep_conv_3x3'));
});

test('max_param_free: where pruning left an edge no learnable op, another input of the node takes its place', () => {
  const paramFree = (o: number) => OPS[o] !== 'sep_conv_3x3';
  const a = arch(1, (e) => (e === 0 ? [0, 3, 0, 0] : [0, 2, 0, 0]));
  // Node 0 has two inputs and both are taken; make edge 1 skip-only, edge 0 learnable too.
  const alive = [OPS.map(() => true), OPS.map((o) => o === 'skip_connect')];
  const cell = deriveCell({ ...a, alive }, OPS, 1, true, { paramFree, maxParamFree: 1 });
  assert.deepEqual(cell.filter(([op]) => op === 'sep_conv_3x3'), [['sep_conv_3x3', 0]]);
  assert.deepEqual(cell.filter(([op]) => op === 'skip_connect'), [['skip_connect', 1]]);
  // No learnable op anywhere: the cell keeps its picks rather than invent one.
  const none = deriveCell({ ...a, alive: [alive[1], alive[1]] }, OPS, 1, true, { paramFree, maxParamFree: 0 });
  assert.equal(none.filter(([op]) => op === 'skip_connect').length, 2);
});

test('edges = beta: a node keeps its inputs by β, not by an op weight that pruning has made 1', () => {
  // Node 1 (edges 2, 3, 4 from inputs 0, 1, node 0). Pruning left edge 4 one op (weight 1); edges 2
  // and 3 hold three ops each, so their best op weighs less than 1 whatever α says.
  const OPS_ALIVE = [false, true, true, true];
  const a: CellArch = {
    alphas: cellEdges(2).map(() => [0, 0, 1, 0]),
    betas: [0, 0, 1, 0.8, 0.6],
    alive: cellEdges(2).map((e) => (e.index === 4 ? [false, false, true, false] : OPS_ALIVE)),
  };
  const byWeight = deriveCell(a, OPS, 2, true);
  const byBeta = deriveCell(a, OPS, 2, true, { paramFree: () => false, edges: 'beta' });
  // by weight the finished edge from node 0 wins a place although its β is the smallest
  assert.deepEqual(byWeight.slice(2).map((p) => p[1]).sort(), [0, 2]);
  assert.deepEqual(byBeta.slice(2).map((p) => p[1]).sort(), [0, 1]);
  // the op on each kept edge is still its best alive op
  assert.deepEqual(byBeta.slice(2).map((p) => p[0]), ['sep_conv_3x3', 'sep_conv_3x3']);
  // without edge normalization β is ignored and the two rankings agree
  assert.deepEqual(deriveCell(a, OPS, 2, false, { paramFree: () => false, edges: 'beta' }), deriveCell(a, OPS, 2, false));
});

test('max_inner_edges: inner picks give way to the best unpicked cell-input edge of their node', () => {
  // 3 nodes (edges: node 0: 0,1; node 1: 2,3,4; node 2: 5,6,7,8). Every edge from an intermediate
  // node outweighs the edges from the cell inputs, so the uncapped cell reads three inner edges.
  const a = arch(3, (e, from) => (from >= 2 ? [0, 0, 3 + e * 0.1, 0] : [0, 0, 1 + e * 0.1, 0]));
  const inner = (cell: readonly (readonly [string, number])[]) => cell.filter(([, from]) => from >= 2).length;
  const free = deriveCell(a, OPS, 3, true);
  assert.equal(inner(free), 3, 'uncapped: node 1 reads node 0, node 2 reads nodes 0 and 1');
  assert.deepEqual(deriveCell(a, OPS, 3, true, { paramFree: () => false }), free, 'no limit: unchanged');
  for (const max of [0, 1, 2, 3]) {
    const capped = deriveCell(a, OPS, 3, true, { paramFree: () => false, maxInnerEdges: max });
    assert.equal(inner(capped), max, `cap ${max}`);
    assert.deepEqual(capped.slice(0, 2), free.slice(0, 2), 'node 0 reads only the cell inputs and is untouched');
  }
  // Cap 2: the replaced inner pick is the one whose cell-input alternative scores highest (op weight
  // × edge weight): node 1's input 0 (edge 2: 0.525 × ⅓ = 0.175) against node 2's input 1 (edge 6:
  // 0.623 × ¼ = 0.156), so node 1 gives up node 0 and node 2 keeps both of its inner edges.
  const two = deriveCell(a, OPS, 3, true, { paramFree: () => false, maxInnerEdges: 2 });
  assert.deepEqual(two.slice(2, 4).map(([, from]) => from).sort(), [0, 1]);
  assert.deepEqual(two.slice(4).map(([, from]) => from).sort(), [2, 3]);
});

test('max_inner_edges with max_param_free: a parameter-free pick never gives way to an inner edge beyond the cap', () => {
  const paramFree = (o: number) => OPS[o] !== 'sep_conv_3x3';
  // Node 1: the input edges 2 and 3 are skip-only after pruning; the edge from node 0 holds sep.
  const a = arch(2, (e) => (e === 4 ? [0, 0, 2, 0] : [0, 2, 1, 0]));
  const alive = cellEdges(2).map((e) => (e.index === 2 || e.index === 3 ? OPS.map((o) => o === 'skip_connect') : OPS.map(() => true)));
  const cell = { ...a, alive };
  const capFree = deriveCell(cell, OPS, 2, true, { paramFree, maxParamFree: 2 });
  assert.ok(capFree.slice(2).some(([op, from]) => op === 'sep_conv_3x3' && from === 2), 'without the inner cap node 1 takes the inner sep');
  const both = deriveCell(cell, OPS, 2, true, { paramFree, maxParamFree: 2, maxInnerEdges: 0 });
  assert.ok(both.every(([, from]) => from < 2), 'the inner cap holds');
  assert.deepEqual(both.slice(2).map(([op]) => op), ['skip_connect', 'skip_connect'], 'so node 1 keeps its skips');
});

test('edges = removal: a node keeps the inputs whose removal costs the supernet most, whatever α and β say', () => {
  // Node 1 (edges 2, 3, 4): α and β favour edges 2 and 4, the removal losses edges 3 and 4.
  const a = arch(2, (e) => (e === 3 ? [0, 0, 0, 1] : [0, 0, 3, 0]), [0, 0, 2, -2, 2]);
  const removal = [0.5, 0.4, 0.01, 0.2, 0.3];
  assert.deepEqual(deriveCell(a, OPS, 2, true).slice(2).map((p) => p[1]).sort(), [0, 2]);
  const byRemoval = deriveCell(a, OPS, 2, true, { paramFree: () => false, edges: 'removal', removal });
  assert.deepEqual(byRemoval.slice(2).map((p) => p[1]).sort(), [1, 2]);
  // each kept edge still takes its best alive op, and the node lists its inputs by the evidence
  assert.deepEqual(byRemoval.slice(2), [['sep_conv_3x3', 2], ['max_pool_3x3', 1]]);
  // equal losses: the op weights decide (sep at 0.87 on edges 2 and 4 against max_pool at 0.47 on edge 3)
  const tied = deriveCell(a, OPS, 2, true, { paramFree: () => false, edges: 'removal', removal: [0, 0, 0.1, 0.1, 0.1] });
  assert.deepEqual(tied.slice(2).map((p) => p[1]).sort(), [0, 2]);
  assert.throws(() => deriveCell(a, OPS, 2, true, { paramFree: () => false, edges: 'removal' }), /one removal loss per edge \(5\)/);
});
