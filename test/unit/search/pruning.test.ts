import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPruneStats, pairedZ, pruneRound, pruningDue, ucbScore, type MeasureEdges, type PathChoice, type PruneMeasures } from '../../../runtime/search/pruning.js';
import type { EdgeRestriction } from '../../../runtime/supernet/supernet.js';
import type { CellArch } from '../../../runtime/search/derive.js';
import { Rng } from '../../../runtime/random/rng.js';
import type { PruningSpec } from '../../../runtime/dsl/space.js';
import type { CellKind } from '../../../runtime/protocol/genotype.js';

const spec = (criterion: PruningSpec['criterion'], extra: Partial<PruningSpec> = {}): PruningSpec => ({
  criterion, start: 1, every: 1, drop: 1, samples: 2, ucbC: 1.41, confidence: 0, ...extra,
});

// 2 edges (1 node), 4 ops; alphas given per edge.
type MutableArch = CellArch & { alive: boolean[][] };
function archs(alphas: number[][]): Record<CellKind, MutableArch> {
  const mk = (): MutableArch => ({ alphas, betas: [0, 0], alive: alphas.map((r) => r.map(() => true)) });
  return { normal: mk(), reduce: mk() };
}

/** A fresh copy of `a` (alive flags included), so two rounds can decide on the same state. */
const archs3 = (a: Record<CellKind, MutableArch>): Record<CellKind, MutableArch> => ({
  normal: { ...a.normal, alive: a.normal.alive.map((r) => [...r]) },
  reduce: { ...a.reduce, alive: a.reduce.alive.map((r) => [...r]) },
});

// Sub-network accuracy = sum of per-op quality of the chosen ops (normal cell only), known to the test.
const QUALITY = [0.1, 0.9, 0.5, 0.3];
const evalBy = (calls: PathChoice[]) => async (cs: readonly PathChoice[]) =>
  cs.map((c) => {
    calls.push(c);
    return c.normal.reduce((a, o) => a + QUALITY[o], 0) / c.normal.length;
  });
const noEdges: MeasureEdges = async () => assert.fail('no edge probes expected');
const noPaths = async (): Promise<number[]> => assert.fail('no single-path evaluations expected');
/** Measures for a single-path criterion (ucb, or none/alpha that measure nothing). */
const paths = (f: PruneMeasures['paths']): PruneMeasures => ({ paths: f, edges: noEdges });
const nothing: PruneMeasures = { paths: noPaths, edges: noEdges };

/**
 * A constructed supernet loss on four examples: 1 nat ± `spread(probe)` (alternating signs), plus
 * `cost(cell, edge, op)` when a probe restricts that edge to that op. Records the probes.
 */
function lossBy(cost: (p: EdgeRestriction) => number, probes: (EdgeRestriction | undefined)[] = [], spread: (p: EdgeRestriction) => number = () => 0): PruneMeasures {
  return {
    paths: noPaths,
    edges: async (ps) => {
      probes.push(...ps);
      return ps.map((p) => [1, -1, 1, -1].map((sign) => (p ? 1 + cost(p) + sign * spread(p) : 1)));
    },
  };
}

test('alpha: abandons the smallest softmax(alpha) on each edge, never the last op', async () => {
  const a = archs([[0.3, 0.1, 0.2, 0.4], [1, 2, 3, -1]]);
  const out = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), nothing);
  assert.deepEqual(out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]), [[0, 1], [1, 3]]);
  const one = archs([[0, 0, 0, 0]]);
  one.normal.alive[0].fill(false);
  one.normal.alive[0][2] = true;
  one.reduce.alive[0].fill(false);
  one.reduce.alive[0][2] = true;
  assert.deepEqual(await pruneRound(one, emptyPruneStats(1, 4), spec('alpha', { drop: 3 }), new Rng(1), nothing), []);
});

test('performance: probes each less promising op on its own edge against the supernet and drops the one that hurts most', async () => {
  // alphas: ops 0 and 1 are the less promising half on both edges. Restricting edge 0 to op 0
  // raises the loss by 0.3 nats, to op 1 by 0.1; on edge 1 it is the other way round.
  const a = archs([[0, 0.1, 1, 2], [0.05, 0, 3, 1]]);
  const probes: (EdgeRestriction | undefined)[] = [];
  const cost = (p: EdgeRestriction) => (p.cell === 'reduce' ? 0 : p.edge === 0 ? [0.3, 0.1][p.op] : [0.1, 0.3][p.op]);
  const stats = emptyPruneStats(2, 4);
  const out = await pruneRound(a, stats, spec('performance'), new Rng(3), lossBy(cost, probes));
  // One call: the unrestricted supernet first, then each less promising op of each edge once.
  assert.equal(probes[0], undefined);
  assert.equal(probes.length, 1 + 2 * 2 * 2);
  for (const p of probes.slice(1)) assert.ok(p && (p.op === 0 || p.op === 1));
  const normal = out.filter((d) => d.cell === 'normal');
  assert.deepEqual(normal.map((d) => [d.edge, d.op]), [[0, 0], [1, 1]]);
  // s = softmax(−Δ) over the less promising half; promising ops get ½(max s + mean s).
  const S = stats.score.normal[0];
  const s1 = 1 / (1 + Math.exp(-0.2));
  assert.ok(Math.abs(S[1] - s1) < 1e-12 && Math.abs(S[0] - (1 - s1)) < 1e-12);
  assert.ok(Math.abs(S[2] - 0.5 * (s1 + 0.5)) < 1e-12 && S[3] === S[2]);
  // The evidence: Δ validation loss of the measured ops, null for the promising ones.
  const ev = normal[0].evidence;
  assert.deepEqual(ev.values.map((v) => (v === null ? null : Math.round(v * 1e9) / 1e9)), [0.3, 0.1, null, null]);
  assert.deepEqual(ev.scores, S);
  assert.deepEqual(stats.evidence.normal[1].map((v) => (v === null ? null : Math.round(v * 1e9) / 1e9)), [0.1, 0.3, null, null]);
  assert.equal(stats.round, 1);
});

test('performance: scores differ across the edges of one round; one clearly better op on one edge is found', async () => {
  // 3 edges × 6 ops, equal alphas: the less promising half is ops 3, 4, 5 (ties: the later op
  // counts as lower). Every probe's Δ depends on its edge and op; on edge 1 op 4 is clearly best.
  const a = archs([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]);
  a.normal = { ...a.normal, betas: [0, 0, 0] };
  a.reduce = { ...a.reduce, betas: [0, 0, 0] };
  const cost = (p: EdgeRestriction) => (p.edge === 1 && p.op === 4 ? -0.5 : 0.02 * (p.edge + 1) * (p.op - 2));
  const stats = emptyPruneStats(3, 6);
  const out = await pruneRound(a, stats, spec('performance', { drop: 2 }), new Rng(3), lossBy(cost));
  const normal = out.filter((d) => d.cell === 'normal');
  // Each edge drops its two worst by Δ: ops 5 and 4, except edge 1, where op 4 is the best by far.
  assert.deepEqual(normal.map((d) => [d.edge, d.op]), [[0, 5], [0, 4], [1, 5], [1, 3], [2, 5], [2, 4]]);
  const dropped = normal.filter((d) => d.op === 5).map((d) => d.score);
  assert.equal(new Set(dropped).size, 3, `different scores on different edges: ${dropped}`);
  const best = stats.score.normal[1];
  assert.ok(best[4] > best[3] && best[4] > best[5]);
});

test('performance, confidence z: the evidence decides where it separates the ops; α decides among those it cannot tell from the worst', async () => {
  // 3 edges, 4 ops; α: ops 0 and 1 are the less promising half everywhere, op 1 with the smaller α.
  // Restricting to op 0 costs 0.3 nats more than op 1 on every edge; the examples' spread differs:
  // none on edge 0 (separated: op 0 goes by evidence), ±1 nat on edge 1 (not separated: op 1, the
  // smaller α, goes), and on edge 2 op 1 is the worse by 0.3 with no spread (it goes either way).
  const a = archs([[0.2, 0.1, 1, 2], [0.2, 0.1, 1, 2], [0.2, 0.1, 1, 2]]);
  a.normal = { ...a.normal, betas: [0, 0, 0] };
  a.reduce = { ...a.reduce, betas: [0, 0, 0] };
  const cost = (p: EdgeRestriction) => (p.edge === 2 ? [0, 0.3][p.op] : [0.3, 0][p.op]);
  const spread = (p: EdgeRestriction) => (p.edge === 1 ? [1, -1][p.op] : 0);
  const decide = async (confidence: number) => {
    const stats = emptyPruneStats(3, 4);
    const out = await pruneRound(archs3(a), stats, spec('performance', { confidence }), new Rng(3), lossBy(cost, [], spread));
    return { out: out.filter((d) => d.cell === 'normal'), stats };
  };
  const { out, stats } = await decide(2);
  assert.deepEqual(out.map((d) => [d.edge, d.op]), [[0, 0], [1, 1], [2, 1]]);
  // The evidence is still the mean Δ of each measured op; the scores rank candidates by α below the rest.
  assert.deepEqual(stats.evidence.normal[1].map((v) => (v === null ? null : Math.round(v * 1e9) / 1e9)), [0.3, 0, null, null]);
  const scores = out[1].evidence.scores as number[];
  assert.ok(scores[1] < scores[0] && scores[0] < 1 && scores[2] >= 2 && scores[3] > scores[2], `edge 1 scores ${scores}`);
  assert.ok((out[0].evidence.scores[1] as number) >= 1, 'edge 0: the op the evidence kept scores above the candidates');
  // Each edge's evidence names the rule's view: roles, and the worst op's z over each other measured op.
  assert.deepEqual(out.map((d) => d.evidence.confidence?.roles), [
    ['candidate', 'kept', 'promising', 'promising'],
    ['candidate', 'candidate', 'promising', 'promising'],
    ['kept', 'candidate', 'promising', 'promising'],
  ]);
  assert.deepEqual(out.map((d) => d.evidence.confidence?.threshold), [2, 2, 2]);
  // Edge 0: a constant gap (infinite z, reported as null); edge 1: ±1 nat spread hides the 0.3 gap.
  assert.deepEqual(out[0].evidence.confidence?.z, [null, null, null, null]);
  const z1 = out[1].evidence.confidence?.z as (number | null)[];
  assert.ok(z1[0] === null && typeof z1[1] === 'number' && z1[1] < 2 && z1[2] === null, `edge 1 z ${z1}`);
  // The BNAS rule (confidence 0) follows the mean Δ alone: op 0 goes on edge 1 too.
  const bnas = (await decide(0)).out;
  assert.deepEqual(bnas.map((d) => [d.edge, d.op]), [[0, 0], [1, 0], [2, 1]]);
  assert.ok(bnas.every((d) => d.evidence.confidence === undefined), 'the BNAS rule reports no z roles');
});

test('pairedZ: the one-sided z of paired differences, infinite for a constant gap, 0 for none', () => {
  assert.equal(pairedZ([2, 2, 2], [1, 1, 1]), Infinity);
  assert.equal(pairedZ([1, 1, 1], [1, 1, 1]), 0);
  assert.equal(pairedZ([1, 1, 1], [2, 2, 2]), 0);
  // d = [1, 3]: mean 2, sd √2, SE 1 → z = 2.
  assert.ok(Math.abs(pairedZ([2, 4], [1, 1]) - 2) < 1e-12);
  assert.ok(pairedZ([0, 0], [1, 1]) <= 0);
});

test('performance: scores decay by half each round (S ← S/2 + s)', async () => {
  const a = archs([[0, 0.1, 1, 2], [0, 0.1, 1, 2]]);
  const stats = emptyPruneStats(2, 4);
  const cost = (p: EdgeRestriction) => 0.1 * p.op;
  await pruneRound(a, stats, spec('performance', { samples: 1 }), new Rng(3), lossBy(cost));
  const after1 = [...stats.score.normal[0]];
  a.normal.alive[0][0] = false;
  a.normal.alive[1][0] = false;
  await pruneRound(a, stats, spec('performance', { samples: 1 }), new Rng(3), lossBy(cost));
  // K = 3 now: less half = ops 1, 2; op 3 promising, s = ½(max s + mean s) with s = softmax([−0.1, −0.2]).
  const s = [Math.exp(-0.1), Math.exp(-0.2)].map((x, _, xs) => x / (xs[0] + xs[1]));
  assert.ok(Math.abs(stats.score.normal[0][3] - (after1[3] / 2 + 0.5 * (s[0] + 0.5))) < 1e-12);
  assert.ok(Math.abs(stats.score.normal[0][2] - (after1[2] / 2 + s[1])) < 1e-12);
  assert.equal(stats.score.normal[0][0], after1[0]); // dead op untouched
});

test('ucb: samples every op, then drops the op with the lowest upper confidence bound', async () => {
  // one edge, so a sample's accuracy is exactly the quality of the op chosen on it
  const a = archs([[0, 0, 0, 0]]);
  const calls: PathChoice[] = [];
  const stats = emptyPruneStats(1, 4);
  const out = await pruneRound(a, stats, spec('ucb', { samples: 2 }), new Rng(5), paths(evalBy(calls)));
  assert.equal(calls.length, 2 * 4);
  // the first 4 samples visit each op once on each edge (unsampled ops have infinite score)
  assert.deepEqual(calls.slice(0, 4).map((c) => c.normal[0]).sort(), [0, 1, 2, 3]);
  // after exploring, the best op (1) is exploited most
  assert.ok(stats.count.normal[0][1] >= 2);
  const normal = out.filter((d) => d.cell === 'normal');
  assert.deepEqual(normal.map((d) => d.op), [0]);
  const c = stats.count.normal[0];
  assert.equal(c.reduce((x, y) => x + y, 0), 8);
  assert.equal(stats.total.normal[0], 8);
  assert.equal(ucbScore(0.5, 0, 3, 1), Infinity);
  assert.ok(Math.abs(ucbScore(0.5, 2, 8, 1) - (0.5 + Math.sqrt((2 * Math.log(8)) / 2))) < 1e-12);
});

test('none never prunes; schedule follows start/every', async () => {
  assert.deepEqual(await pruneRound(archs([[0, 1, 2, 3]]), emptyPruneStats(1, 4), spec('none'), new Rng(1), nothing), []);
  assert.equal(pruningDue(spec('none'), 3, 8), false);
  const s = spec('alpha', { start: 2, every: 2 });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((e) => pruningDue(s, e, 7)), [false, true, false, true, false, true, false]);
  // never after the last epoch
  assert.deepEqual([1, 2].map((e) => pruningDue(spec('alpha', { start: 0 }), e, 2)), [true, false]);
});

test('an edge never keeps only `none`: the round abandons `none` instead and keeps its best real op', async () => {
  // Op 3 is `none` with the largest α; alive: ops 1 and 3 on edge 0 (one round left), all on edge 1.
  const a = archs([[0, 0.5, 0, 2], [0, 0.5, 0.2, 2]]);
  for (const kind of ['normal', 'reduce'] as const) a[kind].alive[0] = [false, true, false, true];
  const zero = new Set([3]);
  const out = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), nothing, zero);
  const normal = out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]);
  // Edge 0: alpha would abandon op 1 and leave `none` alone; `none` goes. Edge 1: untouched rule.
  assert.deepEqual(normal, [[0, 3], [1, 0]]);
  // Without the zero-op set the criterion's own choice stands.
  const plain = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), nothing);
  assert.deepEqual(plain.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]), [[0, 1], [1, 0]]);
  // drop = 3 would keep only `none`: op 1, the best real op the round chose, survives instead.
  const wide = archs([[0, 0.5, 0.2, 2], [0, 0.5, 0.2, 2]]);
  const dropped = await pruneRound(wide, emptyPruneStats(2, 4), spec('alpha', { drop: 3 }), new Rng(1), nothing, zero);
  assert.deepEqual(dropped.filter((d) => d.cell === 'normal' && d.edge === 1).map((d) => d.op).sort(), [0, 2, 3]);
});

test('with a derivation cap, an edge keeps a learnable op: a round that would abandon the last one keeps it alive', async () => {
  // Op 0 is the only learnable op (a conv); 1 and 2 are parameter-free, 3 is `none`.
  const a = archs([[0, 0.5, 0, 2], [0.3, 0.5, 0.2, 2]]);
  for (const kind of ['normal', 'reduce'] as const) a[kind].alive[0] = [true, true, false, false];
  const zero = new Set([3]);
  const learnable = (_cell: CellKind, _edge: number, op: number) => op === 0;
  const normal = (out: { cell: CellKind; edge: number; op: number }[]) => out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]);
  // Without the cap, alpha abandons the conv on edge 0 (lowest α) and skip on edge 1.
  assert.deepEqual(normal(await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), nothing, zero)), [[0, 0], [1, 2]]);
  // With it, edge 0 keeps both ops; edge 1 still has its conv, so its decision stands.
  assert.deepEqual(normal(await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), nothing, zero, learnable)), [[1, 2]]);
  // drop = 3 on edge 1 picks skip, the conv and the pool, leaving `none`: `none` goes instead of
  // the pool (an edge keeps a real op), and the conv stays (it keeps a learnable op).
  const wide = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha', { drop: 3 }), new Rng(1), nothing, zero, learnable);
  assert.deepEqual(wide.filter((d) => d.cell === 'normal' && d.edge === 1).map((d) => d.op).sort(), [2, 3]);
});

test('performance: with two ops left per edge the round measures nothing and scores as if it had', async () => {
  // Two alive ops per edge: each less promising half holds one op, so s = 1 for every op whatever
  // the accuracies; the decision rests on the scores of earlier rounds.
  const a = archs([[0, 0.1, 1, 2], [0.3, 0, 3, 1]]);
  for (const kind of ['normal', 'reduce'] as const) {
    a[kind].alive[0] = [false, true, false, true];
    a[kind].alive[1] = [true, false, true, false];
  }
  const stats = emptyPruneStats(2, 4);
  stats.score.normal[0] = [0, 0.2, 0, 0.6];
  stats.score.normal[1] = [0.9, 0, 0.4, 0];
  const rng = new Rng(3);
  const out = await pruneRound(a, stats, spec('performance', { samples: 2 }), rng, nothing);
  // S ← S/2 + 1 on every alive op: the op with the lower history goes.
  assert.deepEqual(stats.score.normal[0], [0, 1.1, 0, 1.3]);
  assert.deepEqual(stats.score.normal[1], [1.45, 0, 1.2, 0]);
  assert.deepEqual(out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]), [[0, 1], [1, 2]]);
  // Per-edge evidence draws nothing from the round's random stream.
  assert.equal(rng.state(), new Rng(3).state());
});
