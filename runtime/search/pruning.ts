/**
 * Search-space reduction (docs/method.md, "Pruning"; each criterion under "Criterion: …"): which op each edge abandons in a
 * pruning round, for the criteria `performance` (BNAS, with per-edge evidence), `ucb` (BNAS IJCV),
 * `alpha` and `none`. The decisions are plain numbers; the measurements they need are callbacks,
 * so the strategies can be tested on constructed cases without tensors.
 */
import type { PruningSpec } from '../dsl/space.js';
import { pruningRoundEpochs } from '../dsl/cross-checks.js';
import { CELL_KINDS, type CellKind } from '../protocol/genotype.js';
import type { EdgeRestriction } from '../supernet/supernet.js';
import { opWeights, type CellArch } from './derive.js';
import type { Rng } from '../random/rng.js';
import type { PathChoice } from '../supernet/supernet.js';
import { softmax } from '../supernet/topology.js';

export type { PathChoice };

/**
 * Trains each single-path binary sub-network of `choices` briefly from the supernet's weights and
 * returns its accuracy on architecture-split batches (fractions in [0, 1], in the same order).
 * The candidates of one call are independent of each other, so they may be computed in parallel.
 */
export type EvaluatePath = (choices: readonly PathChoice[]) => Promise<number[]>;

/**
 * The supernet's validation loss (cross entropy, nats) of each example of the round's fixed
 * batches, in the same example order for every probe: one edge restricted to one op, every other
 * edge as it is; `undefined` is the unrestricted supernet. Same order as `probes`.
 */
export type MeasureEdges = (probes: readonly (EdgeRestriction | undefined)[]) => Promise<number[][]>;

/** The measurements a pruning round may ask for. */
export interface PruneMeasures {
  /** Single-path sub-networks trained briefly (`ucb`). */
  readonly paths: EvaluatePath;
  /** One edge at a time against the supernet as background (`performance`). */
  readonly edges: MeasureEdges;
}

/** What the values of a round's evidence are, per criterion. */
export const EVIDENCE_MEASURE = {
  /** Δ validation loss: the loss with the edge restricted to the op minus the unrestricted supernet's. */
  performance: 'valid_loss_delta',
  /** UCB's running mean accuracy of the op's single-path samples. */
  ucb: 'mean_accuracy',
  /** softmax(α) of the op on the edge. */
  alpha: 'alpha_weight',
} as const;

/** What one round saw on one edge, indexed by declared op. */
export interface EdgeEvidence {
  /** The measured value ({@link EVIDENCE_MEASURE}); null for a dead op or one this round did not measure. */
  readonly values: readonly (number | null)[];
  /** The criterion's score after the round (the lowest goes first); null for a dead op. */
  readonly scores: readonly (number | null)[];
  /** How `pruning.confidence` sorted the edge's ops, where it decided ({@link pruneByPerformance}). */
  readonly confidence?: ConfidenceEvidence;
}

/**
 * What the paired-z rule saw on one edge: a `candidate` the evidence cannot tell from the worst
 * measured op (the worst included; of these the smallest α goes), an op the evidence `kept` (its
 * per-example losses at least `threshold` standard errors below the worst's) or a `promising` op
 * (the larger-α half, not measured).
 */
export interface ConfidenceEvidence {
  /** `pruning.confidence`: the z an op must reach to be kept on evidence. */
  readonly threshold: number;
  /** Per declared op: its role this round; null for a dead op. */
  readonly roles: readonly (ConfidenceRole | null)[];
  /** Per declared op: the paired z of the worst op's losses over this op's; null for the worst itself, an unmeasured or a dead op, and where infinite (a constant gap). */
  readonly z: readonly (number | null)[];
}

export type ConfidenceRole = 'candidate' | 'kept' | 'promising';

/** The score band of each role under the paired-z rule: the score is the band plus softmax α. */
const ROLE_BAND: Readonly<Record<ConfidenceRole, number>> = { candidate: 0, kept: 1, promising: 2 };

/** Per-op statistics kept across rounds (checkpointed). */
export interface PruneStats {
  /** BNAS score S(o) per cell kind, edge, op (performance criterion). */
  readonly score: Record<CellKind, number[][]>;
  /** UCB running mean accuracy m and sample count n per op, and samples per edge N. */
  readonly mean: Record<CellKind, number[][]>;
  readonly count: Record<CellKind, number[][]>;
  readonly total: Record<CellKind, number[]>;
  /** The last round's measured value per cell kind, edge, op ({@link EdgeEvidence}.values). */
  readonly evidence: Record<CellKind, (number | null)[][]>;
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
  /** Every alive op's value and score on this edge in this round. */
  readonly evidence: EdgeEvidence;
}

/** Fresh statistics for `edges` edges and `ops` ops. */
export function emptyPruneStats(edges: number, ops: number): PruneStats {
  const grid = () => Array.from({ length: edges }, () => new Array<number>(ops).fill(0));
  const kinds = <T>(f: () => T) => ({ normal: f(), reduce: f() });
  const unmeasured = () => Array.from({ length: edges }, () => new Array<number | null>(ops).fill(null));
  return {
    score: kinds(grid), mean: kinds(grid), count: kinds(grid), total: kinds(() => new Array<number>(edges).fill(0)),
    evidence: kinds(unmeasured), round: 0,
  };
}

/** One edge's evidence: `value` and `score` of each alive op, null elsewhere. */
function edgeEvidence(alive: readonly boolean[], value: (o: number) => number | null, score: (o: number) => number, confidence?: ConfidenceEvidence): EdgeEvidence {
  return { values: alive.map((a, o) => (a ? value(o) : null)), scores: alive.map((a, o) => (a ? score(o) : null)), ...(confidence && { confidence }) };
}

/** Records `evidence` of one edge as the round's values in `stats` and returns it. */
function record(stats: PruneStats, cell: CellKind, edge: number, evidence: EdgeEvidence): EdgeEvidence {
  stats.evidence[cell][edge] = [...evidence.values];
  return evidence;
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

/** `alpha`: abandon the op(s) with the smallest softmax(α) on every edge. No evaluations. */
export function pruneByAlpha(archs: Record<CellKind, CellArch>, stats: PruneStats, drop: number): PruneDecision[] {
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    const w = opWeights(archs[cell]);
    archs[cell].alive.forEach((alive, e) => {
      const chosen = lowest(alive, (x) => w[e][x], drop);
      if (chosen.length === 0) return;
      const evidence = record(stats, cell, e, edgeEvidence(alive, (x) => w[e][x], (x) => w[e][x]));
      for (const o of chosen) out.push({ cell, edge: e, op: o, score: w[e][o], evidence });
    });
  }
  return out;
}

/** Per cell kind and edge, the ⌈K/2⌉ alive ops with the smallest α (empty when one op is left). */
function lessPromising(archs: Record<CellKind, CellArch>): Record<CellKind, number[][]> {
  const less: Record<CellKind, number[][]> = { normal: [], reduce: [] };
  for (const cell of CELL_KINDS) {
    const w = opWeights(archs[cell]);
    less[cell] = archs[cell].alive.map((alive, e) => {
      const live = aliveOps(alive);
      if (live.length <= 1) return [];
      return live.sort((a, b) => w[e][a] - w[e][b] || b - a).slice(0, Math.ceil(live.length / 2));
    });
  }
  return less;
}

/** The mean of per-example losses (see `MeasureEdges`). */
export function meanLoss(losses: readonly number[]): number {
  return losses.length ? losses.reduce((a, l) => a + l, 0) / losses.length : NaN;
}

/**
 * How many standard errors the mean of the paired differences a − b lies above 0 (one-sided z of
 * the paired comparison on the same examples); +∞ when they differ by a constant above 0, 0 when
 * they do not differ at all.
 */
export function pairedZ(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  if (n === 0 || b.length !== n) return 0;
  const d = a.map((x, i) => x - b[i]);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  if (sd === 0) return mean > 0 ? Infinity : 0;
  return mean / (sd / Math.sqrt(n));
}

/**
 * `performance` (BNAS, with per-edge evidence): per edge, the ⌈K/2⌉ alive ops with the smallest
 * α are "less promising". Each of them is measured on its own edge: the supernet with only that
 * edge restricted to the op (every other edge mixed as it is) against the unrestricted supernet,
 * on the same fixed validation examples for every probe (a paired comparison), giving
 * Δ = L(edge → op) − L(supernet) in nats.
 *
 * With `confidence` 0 (the BNAS rule): s = softmax(−Δ) over the less promising half (each op's
 * share of the geometric-mean likelihood of the true labels; softmax(−Δ) = softmax(−L)),
 * promising ops get s = ½(max s + mean s), S ← S/2 + s, and argmin S is abandoned. A round whose
 * less promising halves hold one op each (2 ops left per edge) measures nothing: every s is 1.
 *
 * With `confidence` z > 0: the worst measured op w (largest Δ) and every op of the half whose
 * per-example losses w does not exceed by z standard errors (paired on the same examples) are the
 * candidates, the ops the evidence cannot tell from the worst; of them the smallest α goes. The
 * scores are then softmax α for a candidate, 1 + that for an op the evidence kept, 2 + that for a
 * promising op (the lowest goes first).
 */
export async function pruneByPerformance(archs: Record<CellKind, CellArch>, stats: PruneStats, drop: number, measure: MeasureEdges, confidence = 0): Promise<PruneDecision[]> {
  const less = lessPromising(archs);
  const probes: EdgeRestriction[] = [];
  for (const cell of CELL_KINDS) less[cell].forEach((l, edge) => l.length >= 2 && l.forEach((op) => probes.push({ cell, edge, op })));
  const losses: Record<CellKind, Map<number, number[]>[]> = {
    normal: archs.normal.alive.map(() => new Map()),
    reduce: archs.reduce.alive.map(() => new Map()),
  };
  let baseMean = NaN;
  if (probes.length > 0) {
    const [base, ...each] = await measure([undefined, ...probes]);
    baseMean = meanLoss(base);
    probes.forEach((p, i) => losses[p.cell][p.edge].set(p.op, each[i]));
  }
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    const w = opWeights(archs[cell]);
    archs[cell].alive.forEach((alive, edge) => {
      const l = less[cell][edge];
      if (l.length === 0) return;
      const measured = losses[cell][edge];
      const delta = new Map([...measured].map(([o, xs]) => [o, meanLoss(xs) - baseMean]));
      const S = stats.score[cell][edge];
      let scores: number[];
      let rule: ConfidenceEvidence | undefined;
      if (confidence > 0) {
        // Largest Δ first (ties: the later declared op); a single op of L is its own worst.
        const worst = [...l].sort((a, b) => (delta.get(b) as number) - (delta.get(a) as number) || b - a)[0];
        const z = alive.map((a, o) => (a && o !== worst && l.includes(o) ? pairedZ(measured.get(worst) as number[], measured.get(o) as number[]) : null));
        const roles = alive.map((a, o): ConfidenceRole | null => (!a ? null : !l.includes(o) ? 'promising' : o !== worst && (z[o] as number) >= confidence ? 'kept' : 'candidate'));
        scores = w[edge].map((wo, o) => ROLE_BAND[roles[o] ?? 'promising'] + wo);
        rule = { threshold: confidence, roles, z: z.map((x) => (x !== null && Number.isFinite(x) ? x : null)) };
      } else {
        const s = l.length >= 2 ? softmax(l.map((o) => -(delta.get(o) as number))) : [1];
        const promisingScore = 0.5 * (Math.max(...s) + s.reduce((a, b) => a + b, 0) / s.length);
        for (const o of aliveOps(alive)) {
          const k = l.indexOf(o);
          S[o] = S[o] / 2 + (k >= 0 ? s[k] : promisingScore);
        }
        scores = S;
      }
      const score = (o: number) => scores[o];
      const evidence = record(stats, cell, edge, edgeEvidence(alive, (o) => delta.get(o) ?? null, score, rule));
      for (const o of lowest(alive, score, drop)) out.push({ cell, edge, op: o, score: score(o), evidence });
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
      const chosen = lowest(alive, (x) => score(cell, e, x), spec.drop);
      if (chosen.length === 0) return;
      const evidence = record(stats, cell, e, edgeEvidence(alive, (x) => (stats.count[cell][e][x] > 0 ? stats.mean[cell][e][x] : null), (x) => score(cell, e, x)));
      for (const o of chosen) out.push({ cell, edge: e, op: o, score: score(cell, e, o), evidence });
    });
  }
  return out;
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
      out.push(...chosen.filter((d) => d !== keep), ...zeroLeft.slice(0, 1).map((op) => ({ cell, edge, op, score: keep.score, evidence: keep.evidence })));
    });
  }
  return out;
}

/**
 * With a cap on parameter-free ops at derivation (`derive.max_param_free`), an edge must not lose
 * its last learnable op: the cap could then find no alternative to a parameter-free pick on it.
 * Where a round would abandon an edge's last learnable op(s), the best-scored of them stays (the
 * edge may end with more than one op alive; derivation picks among them, within the cap).
 * @param learnable whether `op` on `edge` of `cell` has weights (a strided skip does)
 */
export function keepALearnableOp(decisions: PruneDecision[], archs: Record<CellKind, CellArch>, learnable: (cell: CellKind, edge: number, op: number) => boolean): PruneDecision[] {
  const out: PruneDecision[] = [];
  for (const cell of CELL_KINDS) {
    archs[cell].alive.forEach((alive, edge) => {
      const chosen = decisions.filter((d) => d.cell === cell && d.edge === edge);
      const left = aliveOps(alive).filter((o) => !chosen.some((d) => d.op === o));
      const dropped = chosen.filter((d) => learnable(cell, edge, d.op));
      if (dropped.length === 0 || left.some((o) => learnable(cell, edge, o))) {
        out.push(...chosen);
        return;
      }
      const keep = [...dropped].sort((a, b) => b.score - a.score)[0];
      out.push(...chosen.filter((d) => d !== keep));
    });
  }
  return out;
}

/**
 * Runs one pruning round of `spec.criterion` and returns the abandoned ops (the caller removes
 * them from the supernet). Increments `stats.round` when anything was decided.
 * @param zeroOps indices of `zero` ops (`none`), which an edge never keeps alone ({@link keepARealOp})
 * @param learnable given when derivation caps parameter-free ops: an edge keeps a learnable op ({@link keepALearnableOp})
 */
export async function pruneRound(
  archs: Record<CellKind, CellArch>,
  stats: PruneStats,
  spec: PruningSpec,
  rng: Rng,
  measures: PruneMeasures,
  zeroOps: ReadonlySet<number> = new Set(),
  learnable?: (cell: CellKind, edge: number, op: number) => boolean,
): Promise<PruneDecision[]> {
  let out: PruneDecision[];
  switch (spec.criterion) {
    case 'none':
      return [];
    case 'alpha':
      out = pruneByAlpha(archs, stats, spec.drop);
      break;
    case 'performance':
      out = await pruneByPerformance(archs, stats, spec.drop, measures.edges, spec.confidence);
      break;
    case 'ucb':
      out = await pruneByUcb(archs, stats, spec, rng, measures.paths);
      break;
  }
  out = keepARealOp(out, archs, zeroOps);
  if (learnable) out = keepALearnableOp(out, archs, learnable);
  if (out.length > 0) stats.round++;
  return out;
}
