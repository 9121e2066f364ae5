import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyPruneStats, pruneRound, pruningDue, ucbScore, type PathChoice } from '../../../runtime/search/pruning.js';
import type { CellArch } from '../../../runtime/search/derive.js';
import { Rng } from '../../../runtime/search/rng.js';
import type { PruningSpec } from '../../../runtime/dsl/space.js';
import type { CellKind } from '../../../runtime/protocol/genotype.js';

const spec = (criterion: PruningSpec['criterion'], extra: Partial<PruningSpec> = {}): PruningSpec => ({
  criterion, start: 1, every: 1, drop: 1, samples: 2, ucbC: 1.41, ...extra,
});

// 2 edges (1 node), 4 ops; alphas given per edge.
type MutableArch = CellArch & { alive: boolean[][] };
function archs(alphas: number[][]): Record<CellKind, MutableArch> {
  const mk = (): MutableArch => ({ alphas, betas: [0, 0], alive: alphas.map((r) => r.map(() => true)) });
  return { normal: mk(), reduce: mk() };
}

// Sub-network accuracy = sum of per-op quality of the chosen ops (normal cell only), known to the test.
const QUALITY = [0.1, 0.9, 0.5, 0.3];
const evalBy = (calls: PathChoice[]) => async (cs: readonly PathChoice[]) =>
  cs.map((c) => {
    calls.push(c);
    return c.normal.reduce((a, o) => a + QUALITY[o], 0) / c.normal.length;
  });

test('alpha: abandons the smallest softmax(alpha) on each edge, never the last op', async () => {
  const a = archs([[0.3, 0.1, 0.2, 0.4], [1, 2, 3, -1]]);
  const out = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), async () => []);
  assert.deepEqual(out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]), [[0, 1], [1, 3]]);
  const one = archs([[0, 0, 0, 0]]);
  one.normal.alive[0].fill(false);
  one.normal.alive[0][2] = true;
  one.reduce.alive[0].fill(false);
  one.reduce.alive[0][2] = true;
  assert.deepEqual(await pruneRound(one, emptyPruneStats(1, 4), spec('alpha', { drop: 3 }), new Rng(1), async () => []), []);
});

test('performance: evaluates only the less promising half and drops its worst performer', async () => {
  // alphas: ops 0 and 1 are the less promising half on both edges; op 0 performs worse (0.1 vs 0.9).
  const a = archs([[0, 0.1, 1, 2], [0.05, 0, 3, 1]]);
  const calls: PathChoice[] = [];
  const stats = emptyPruneStats(2, 4);
  const out = await pruneRound(a, stats, spec('performance', { samples: 2 }), new Rng(3), evalBy(calls));
  assert.equal(calls.length, 2 * 2); // T × ⌈K/2⌉
  for (const c of calls) for (const o of c.normal) assert.ok(o === 0 || o === 1);
  // each less-promising op was picked once per t on every edge
  for (let e = 0; e < 2; e++) assert.deepEqual(calls.map((c) => c.normal[e]).sort(), [0, 0, 1, 1]);
  const normal = out.filter((d) => d.cell === 'normal');
  assert.deepEqual(normal.map((d) => [d.edge, d.op]), [[0, 0], [1, 0]]);
  // S = softmax(ȳ) on the less half; promising ops get ½(max + mean) > the dropped op's score
  const S = stats.score.normal[0];
  assert.ok(S[0] < S[1] && Math.abs(S[0] + S[1] - 1) < 1e-9);
  assert.ok(Math.abs(S[2] - 0.5 * (S[1] + 0.5)) < 1e-9 && S[3] === S[2]);
  assert.equal(stats.round, 1);
});

test('performance: scores decay by half each round (S ← S/2 + s)', async () => {
  const a = archs([[0, 0.1, 1, 2], [0, 0.1, 1, 2]]);
  const stats = emptyPruneStats(2, 4);
  await pruneRound(a, stats, spec('performance', { samples: 1 }), new Rng(3), evalBy([]));
  const after1 = [...stats.score.normal[0]];
  a.normal.alive[0][0] = false;
  a.normal.alive[1][0] = false;
  await pruneRound(a, stats, spec('performance', { samples: 1 }), new Rng(3), evalBy([]));
  // K = 3 now: less half = ops 1, 2 (2 ops); op 3 promising. s for op 1 = softmax([0.9·, 0.5·])...
  const s3 = stats.score.normal[0][3] - after1[3] / 2;
  assert.ok(s3 > 0 && s3 < 1);
  assert.equal(stats.score.normal[0][0], after1[0]); // dead op untouched
});

test('ucb: samples every op, then drops the op with the lowest upper confidence bound', async () => {
  // one edge, so a sample's accuracy is exactly the quality of the op chosen on it
  const a = archs([[0, 0, 0, 0]]);
  const calls: PathChoice[] = [];
  const stats = emptyPruneStats(1, 4);
  const out = await pruneRound(a, stats, spec('ucb', { samples: 2 }), new Rng(5), evalBy(calls));
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
  assert.deepEqual(await pruneRound(archs([[0, 1, 2, 3]]), emptyPruneStats(1, 4), spec('none'), new Rng(1), async (cs) => cs.map(() => 1)), []);
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
  const out = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), async () => [], zero);
  const normal = out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]);
  // Edge 0: alpha would abandon op 1 and leave `none` alone; `none` goes. Edge 1: untouched rule.
  assert.deepEqual(normal, [[0, 3], [1, 0]]);
  // Without the zero-op set the criterion's own choice stands.
  const plain = await pruneRound(a, emptyPruneStats(2, 4), spec('alpha'), new Rng(1), async () => []);
  assert.deepEqual(plain.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]), [[0, 1], [1, 0]]);
  // drop = 3 would keep only `none`: op 1, the best real op the round chose, survives instead.
  const wide = archs([[0, 0.5, 0.2, 2], [0, 0.5, 0.2, 2]]);
  const dropped = await pruneRound(wide, emptyPruneStats(2, 4), spec('alpha', { drop: 3 }), new Rng(1), async () => [], zero);
  assert.deepEqual(dropped.filter((d) => d.cell === 'normal' && d.edge === 1).map((d) => d.op).sort(), [0, 2, 3]);
});

test('performance: with two ops left per edge the round runs no evaluation and scores as if it had', async () => {
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
  const calls: PathChoice[] = [];
  const rng = new Rng(3);
  const out = await pruneRound(a, stats, spec('performance', { samples: 2 }), rng, evalBy(calls));
  assert.equal(calls.length, 0);
  // S ← S/2 + 1 on every alive op: the op with the lower history goes.
  assert.deepEqual(stats.score.normal[0], [0, 1.1, 0, 1.3]);
  assert.deepEqual(stats.score.normal[1], [1.45, 0, 1.2, 0]);
  assert.deepEqual(out.filter((d) => d.cell === 'normal').map((d) => [d.edge, d.op]), [[0, 1], [1, 2]]);
  // Shuffling a one-op half draws nothing, with or without evaluations: the stream is untouched.
  assert.equal(rng.state(), new Rng(3).state());
});
