/**
 * Search-space reduction (method doc, "Search-space reduction"): which op each edge abandons in a
 * pruning round, for the criteria `performance` (BNAS), `ucb` (BNAS IJCV), `alpha` and `none`.
 * The decisions are plain numbers; the sub-network evaluations they need are a callback, so the
 * strategies can be tested on constructed cases without tensors.
 */
import type { PruningSpec } from '../dsl/space.js';
import { pruningRoundEpochs } from '../dsl/cross-checks.js';
import { CELL_KINDS, type CellKind } from '../protocol/genotype.js';
import { opWeights, type CellArch } from './derive.js';
import type { Rng } from './rng.js';
import { softmax } from '../supernet/topology.js';

/** A single-path choice: for each cell kind, the op index used on every edge. */
export type PathChoice = Record<CellKind, number[]>;

/**
 * Trains each single-path binary sub-network of `choices` briefly from the supernet's weights and
 * returns its accuracy on architecture-split batches (fractions in [0, 1], in the same order).
 * The candidates of one call are independent of each other, so they may be computed in parallel.
 */
export type EvaluatePath = (choices: readonly PathChoice[]) => Promise<number[]>;

/** Per-op statistics kept across rounds (checkpointed). */
export interface PruneStats {
  /** BNAS score S(o) per cell kind, edge, op (performance criterion). */
  readonly score: Record<CellKind, number[][]>;
  /** UCB running mean accuracy m and sample count n per op, and samples per edge N. */
  readonly mean: Record<CellKind, number[][]>;
  readonly count: Record<CellKind, number[][]>;
  readonly total: Record<CellKind, number[]>;
  /** Rounds done so far. */
  round: number;
}

/** One abandoned op. */
export interface PruneDecision {
  readonly cell: CellKind;
  readonly edge: number;
  readonly op: number;
  /** The criterion's score of the abandoned op (S, UCB score, or softmax α). */
  readonly score: number;
}

/** Fresh statistics for `edges` edges and `ops` ops. */
export function emptyPruneStats(edges: number, ops: number): PruneStats {
  const grid = () => Array.from({ length: edges }, () => new Array<number>(ops).fill(0));
  const kinds = <T>(f: () => T) => ({ normal: f(), reduce: f() });
  return { score: kinds(grid), mean: kinds(grid), count: kinds(grid), total: kinds(() => new Array<number>(edges).fill(0)), round: 0 };
}

/**
 * True when a pruning round is due at the end of 1-based epoch `epoch` of `epochs`: the same
 * schedule validation counts rounds with (after `start`, every `every`, not after the last epoch,
 * whose derivation would not be trained any more).
 */
export function pruningDue(spec: PruningSpec, epoch: number, epochs: number): boolean {
  return pruningRoundEpochs(spec, epochs).includes(epoch);
}

const aliveOps = (alive: readonly boolean[]) => alive.flatMap((a, o) => (a ? [o] : []));

/**
 * The ops to abandon on one edge: the `drop` lowest by `score` among alive ops (ties: the later
 * declared op goes first, a fixed rule so runs are reproducible), never the last op.
 */
function lowest(alive: readonly boolean[], score: (o: number) => number, drop: number): number[] {
  const live = aliveOps(alive);
  const n = Math.min(drop, live.length - 1);
  return live.sort((a, b) => score(a) - score(b) || b - a).slice(0, Math.max(0, n));
}

/** The single-path choice for edges that are not being evaluated: their best alive op by α. */
function defaultChoice(archs: Record<CellKind, CellArch>): PathChoice {
  const pick = (arch: CellArch) =>
    opWeights(arch).map((w, e) => aliveOps(arch.alive[e]).reduce((best, o) => (w[o] > w[best] ? o : best), aliveOps(arch.alive[e])[0]));
  return { normal: pick(archs.normal), reduce: pick(archs.reduce) };
}

/** `alpha`: abandon the op(s) with the smallest softmax(α) on every edge. No evaluations. */
export function pruneByAlpha(archs: Record<CellKind, CellArch>, drop: number): PruneDecision[] {
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    const w = opWeights(archs[cell]);
    archs[cell].alive.forEach((alive, e) => {
      for (const o of lowest(alive, (x) => w[e][x], drop)) out.push({ cell, edge: e, op: o, score: w[e][o] });
    });
  }
  return out;
}

/**
 * `performance` (BNAS): per edge, the ⌈K/2⌉ alive ops with the smallest α are "less promising".
 * For t = 1..T and e = 1..⌈K/2⌉, every edge takes one not-yet-picked op of its less promising half
 * (order shuffled per t with `rng`), the single-path sub-network is trained briefly and its
 * accuracy y is credited to each picked op. Then ȳ = mean over T, s = softmax of ȳ over the less
 * promising half, promising ops get s = ½(max s + mean s), S ← S/2 + s, and argmin S is abandoned.
 * A round whose less promising halves hold one op each (2 ops left per edge) needs no evaluation:
 * every s is 1 then, so none is run.
 */
export async function pruneByPerformance(
  archs: Record<CellKind, CellArch>,
  stats: PruneStats,
  spec: PruningSpec,
  rng: Rng,
  evaluate: EvaluatePath,
): Promise<PruneDecision[]> {
  const base = defaultChoice(archs);
  // less[cell][e]: less promising alive ops of edge e (empty when the edge has one op left).
  const less: Record<CellKind, number[][]> = { normal: [], reduce: [] };
  let half = 0;
  for (const cell of CELL_KINDS) {
    const w = opWeights(archs[cell]);
    less[cell] = archs[cell].alive.map((alive, e) => {
      const live = aliveOps(alive);
      if (live.length <= 1) return [];
      const h = Math.ceil(live.length / 2);
      half = Math.max(half, h);
      return live.sort((a, b) => w[e][a] - w[e][b] || b - a).slice(0, h);
    });
  }
  const sum: Record<CellKind, number[][]> = {
    normal: archs.normal.alive.map((a) => a.map(() => 0)),
    reduce: archs.reduce.alive.map((a) => a.map(() => 0)),
  };
  // Every sample's candidates are fixed before any is evaluated (they depend on the shuffles only),
  // so all T × ⌈K/2⌉ sub-networks go to `evaluate` at once and can be computed in parallel.
  const orders: Record<CellKind, number[][]>[] = [];
  const choices: PathChoice[] = [];
  for (let t = 0; t < spec.samples; t++) {
    const order: Record<CellKind, number[][]> = {
      normal: less.normal.map((l) => shuffled(l, rng)),
      reduce: less.reduce.map((l) => shuffled(l, rng)),
    };
    orders.push(order);
    for (let e = 0; e < half; e++) {
      const choice: PathChoice = { normal: [...base.normal], reduce: [...base.reduce] };
      for (const cell of CELL_KINDS) order[cell].forEach((l, edge) => l.length > 0 && (choice[cell][edge] = l[e % l.length]));
      choices.push(choice);
    }
  }
  // s = softmax of ȳ over the less promising half: with one op in that half on every edge, s = 1
  // and the promising ops get ½(1 + 1) = 1 whatever the accuracies are, so the evaluations cannot
  // change a score and are not run (the last round, 2 → 1 ops). The shuffles above are done as
  // before, so the random stream, and with it every later round, stays the same.
  const informative = CELL_KINDS.some((cell) => less[cell].some((l) => l.length >= 2));
  const ys = choices.length > 0 && informative ? await evaluate(choices) : choices.map(() => 0);
  orders.forEach((order, t) => {
    for (let e = 0; e < half; e++) {
      const y = ys[t * half + e];
      for (const cell of CELL_KINDS) order[cell].forEach((l, edge) => l.length > 0 && e < l.length && (sum[cell][edge][l[e]] += y));
    }
  });
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    archs[cell].alive.forEach((alive, edge) => {
      const l = less[cell][edge];
      if (l.length === 0) return;
      const s = softmax(l.map((o) => sum[cell][edge][o] / spec.samples));
      const promisingScore = 0.5 * (Math.max(...s) + s.reduce((a, b) => a + b, 0) / s.length);
      const S = stats.score[cell][edge];
      for (const o of aliveOps(alive)) {
        const k = l.indexOf(o);
        S[o] = S[o] / 2 + (k >= 0 ? s[k] : promisingScore);
      }
      for (const o of lowest(alive, (x) => S[x], spec.drop)) out.push({ cell, edge, op: o, score: S[o] });
    });
  }
  return out;
}

/** UCB score m + c·√(2 ln N / n); +∞ for an op never sampled. */
export function ucbScore(mean: number, n: number, total: number, c: number): number {
  return n === 0 ? Infinity : mean + c * Math.sqrt((2 * Math.log(Math.max(total, 1))) / n);
}

/**
 * `ucb` (BNAS IJCV): T × K samples per round; each picks on every edge the alive op with the highest
 * UCB score (unsampled first, ties broken at random), evaluates the single-path sub-network and
 * updates the running mean m and count n of the picked ops. Then the op with the lowest score is
 * abandoned.
 */
export async function pruneByUcb(
  archs: Record<CellKind, CellArch>,
  stats: PruneStats,
  spec: PruningSpec,
  rng: Rng,
  evaluate: EvaluatePath,
): Promise<PruneDecision[]> {
  const maxLive = Math.max(...CELL_KINDS.flatMap((c) => archs[c].alive.map((a) => aliveOps(a).length)));
  if (maxLive <= 1) return [];
  const score = (cell: CellKind, e: number, o: number) =>
    ucbScore(stats.mean[cell][e][o], stats.count[cell][e][o], stats.total[cell][e], spec.ucbC);
  for (let s = 0; s < spec.samples * maxLive; s++) {
    const choice: PathChoice = { normal: [], reduce: [] };
    for (const cell of CELL_KINDS) {
      choice[cell] = archs[cell].alive.map((alive, e) => {
        const live = aliveOps(alive);
        const best = Math.max(...live.map((o) => score(cell, e, o)));
        const ties = live.filter((o) => score(cell, e, o) === best);
        return ties[rng.int(ties.length)];
      });
    }
    // Each sample's choice depends on the accuracies before it: one candidate at a time.
    const [y] = await evaluate([choice]);
    for (const cell of CELL_KINDS) {
      choice[cell].forEach((o, e) => {
        if (aliveOps(archs[cell].alive[e]).length <= 1) return;
        const n = ++stats.count[cell][e][o];
        stats.mean[cell][e][o] += (y - stats.mean[cell][e][o]) / n;
        stats.total[cell][e]++;
      });
    }
  }
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    archs[cell].alive.forEach((alive, e) => {
      for (const o of lowest(alive, (x) => score(cell, e, x), spec.drop)) out.push({ cell, edge: e, op: o, score: score(cell, e, o) });
    });
  }
  return out;
}

/** A seeded Fisher–Yates shuffle (copy). */
function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * An edge must not end up keeping only zero ops (`none`): the derived cell could then only name
 * an op that pruning had abandoned. Where a round would leave that, the zero op is abandoned
 * instead of the best-scored op the round chose on that edge (which stays); its decision carries
 * that op's score.
 * @param zeroOps indices of the declared ops of kind `zero`
 */
export function keepARealOp(decisions: PruneDecision[], archs: Record<CellKind, CellArch>, zeroOps: ReadonlySet<number>): PruneDecision[] {
  if (zeroOps.size === 0) return decisions;
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    archs[cell].alive.forEach((alive, edge) => {
      const chosen = decisions.filter((d) => d.cell === cell && d.edge === edge);
      const left = aliveOps(alive).filter((o) => !chosen.some((d) => d.op === o));
      const zeroLeft = left.filter((o) => zeroOps.has(o));
      if (chosen.length === 0 || left.length === 0 || zeroLeft.length < left.length) {
        out.push(...chosen);
        return;
      }
      // Keep the real op the criterion ranked highest among those it chose; drop the zero op(s).
      const keep = chosen.filter((d) => !zeroOps.has(d.op)).sort((a, b) => b.score - a.score)[0];
      if (!keep) {
        out.push(...chosen);
        return;
      }
      out.push(...chosen.filter((d) => d !== keep), ...zeroLeft.slice(0, 1).map((op) => ({ cell, edge, op, score: keep.score })));
    });
  }
  return out;
}

/**
 * Runs one pruning round of `spec.criterion` and returns the abandoned ops (the caller removes
 * them from the supernet). Increments `stats.round` when anything was decided.
 * @param zeroOps indices of `zero` ops (`none`), which an edge never keeps alone ({@link keepARealOp})
 */
export async function pruneRound(
  archs: Record<CellKind, CellArch>,
  stats: PruneStats,
  spec: PruningSpec,
  rng: Rng,
  evaluate: EvaluatePath,
  zeroOps: ReadonlySet<number> = new Set(),
): Promise<PruneDecision[]> {
  let out: PruneDecision[];
  switch (spec.criterion) {
    case 'none':
      return [];
    case 'alpha':
      out = pruneByAlpha(archs, spec.drop);
      break;
    case 'performance':
      out = await pruneByPerformance(archs, stats, spec, rng, evaluate);
      break;
    case 'ucb':
      out = await pruneByUcb(archs, stats, spec, rng, evaluate);
      break;
  }
  out = keepARealOp(out, archs, zeroOps);
  if (out.length > 0) stats.round++;
  return out;
}
