/**
 * The multiply-adds of a whole search (how much can abandoning ops save on an engine whose time is
 * proportional to its arithmetic?), from the supernet's compute estimate (compute.ts) and
 * the rounds' decisions. Per epoch, counted as the runtime (runtime/search) computes it:
 * - training: every step's weight step (forward and backward: 3 forward passes' worth) and, after
 *   the warm-up, its architecture step (forward and the input gradients: 2 forward passes' worth),
 *   over the ops alive in that epoch;
 * - validation: one forward pass over the architecture split;
 * - a pruning round (docs/method.md, "Pruning"):
 *   - `performance`: per-edge probes, one supernet forward pass (inference, every alive op
 *     computed) per less promising op of each edge that has two or more of them, plus the
 *     unrestricted baseline, each on the round's `pruning.samples` batches;
 *   - `ucb`: `samples` × the most ops alive on an edge single-path candidates, one after another,
 *     each trained for 2 batches and measured on 1, a path's cost taken as the fixed part plus
 *     each edge's mean alive op;
 * - with `derive.edges = removal`, after the last epoch (counted with it): one supernet forward
 *   pass per edge of both cell kinds plus the baseline, on the first `derive.probe_batches` batches
 *   of the architecture split.
 * {@link pruningBounds} gives, before a run, the range a schedule can save whatever ops its rounds
 * abandon.
 */
import { computeWithAlive, estimateSupernetCompute, type ComputeCellKind, type ComputeEstimate } from './compute.js';
import type { SearchSpace } from './space.js';

type Alive = Record<ComputeCellKind, boolean[][]>;
const KINDS: readonly ComputeCellKind[] = ['normal', 'reduce'];

/** Forward passes' worth of a weight step (forward, input and weight gradients) and of an architecture step (forward, input gradients). */
const WEIGHT_STEP = 3;
const ARCH_STEP = 2;
/** A `ucb` candidate's training batches and measured batches (runtime/search/search.ts defaults). */
const CANDIDATE_TRAIN = 2;
const CANDIDATE_EVAL = 1;

/** What one epoch of a search runs, in images (each a pass over one image). */
export interface EpochWork {
  /** Images of the weight steps (forward and backward, every alive op). */
  readonly weightImages: number;
  /** Images of the architecture steps (after the warm-up). */
  readonly archImages: number;
  /** Images of the validation pass over the architecture split. */
  readonly validImages: number;
  /**
   * Images of the pruning round's supernet forward passes (`performance`: probes and baseline),
   * and in the last epoch those of derivation's edge-removal probes.
   */
  readonly probeImages: number;
  /** Images of the pruning round's single-path candidates (`ucb`): trained, then measured. */
  readonly candidateTrainImages: number;
  readonly candidateEvalImages: number;
}

/** Multiply-adds of one epoch, by part. */
export interface EpochMacs {
  readonly epoch: number;
  readonly train: number;
  readonly valid: number;
  readonly prune: number;
  /** Ops alive on all edges during the epoch. */
  readonly opsAlive: number;
  /** The passes these multiply-adds count. */
  readonly work: EpochWork;
}

/** A pruning decision: at the end of `epoch`, op `op` (index into `space.ops`) of edge `edge` of cell kind `cell` is abandoned. */
export interface PruneEvent {
  readonly epoch: number;
  readonly cell: ComputeCellKind;
  readonly edge: number;
  readonly op: number;
}

const allAlive = (est: ComputeEstimate): Alive => ({
  normal: est.ops.normal.map((row) => row.map(() => true)),
  reduce: est.ops.reduce.map((row) => row.map(() => true)),
});

/** Multiply-adds of a candidate single path: the fixed part and, per edge, the mean of its alive ops. */
function pathMacs(est: ComputeEstimate, alive: Alive): number {
  let s = est.fixed;
  for (const k of KINDS) {
    est.ops[k].forEach((row, e) => {
      const live = row.filter((_, o) => alive[k][e][o]);
      if (live.length) s += live.reduce((a, b) => a + b, 0) / live.length;
    });
  }
  return s;
}

/**
 * Examples for the weight split: round(n × split), keeping at least one example on each side.
 * The datasets split by it (runtime/data/dataset.ts), so the estimate counts the same steps.
 */
export function weightSplitSize(n: number, split: number): number {
  return Math.min(n - 1, Math.max(1, Math.round(n * split)));
}

const weightSplitOf = (space: SearchSpace): number => weightSplitSize(space.data.train, space.data.split);

/** Training steps of one epoch of a search of `space`: its weight split in batches. */
export function stepsPerEpochOf(space: SearchSpace): number {
  return Math.ceil(weightSplitOf(space) / space.train.batch);
}

/** The batches one pruning round runs, with `alive` before it. */
export interface RoundWork {
  /** `performance`: supernet forward passes over a batch (probes and baseline, per measured batch). */
  readonly probePasses: number;
  /** `ucb`: single-path candidates, each trained for 2 batches and measured on 1. */
  readonly candidates: number;
}

/** The first pruning round of `space` (every op alive). */
export function firstRoundWork(space: SearchSpace, est = estimateSupernetCompute(space)): RoundWork {
  return roundWork(space, allAlive(est));
}

/** One round of the space's criterion, with `alive` before the round (runtime/search/pruning.ts). */
function roundWork(space: SearchSpace, alive: Alive): RoundWork {
  const live = KINDS.flatMap((k) => alive[k].map((row) => row.filter(Boolean).length));
  const { criterion, samples } = space.pruning;
  if (criterion === 'performance') {
    // The less promising half of each edge is probed where it holds two or more ops.
    const probes = live.map((n) => Math.ceil(n / 2)).filter((l) => l >= 2).reduce((a, b) => a + b, 0);
    return { probePasses: probes > 0 ? samples * (1 + probes) : 0, candidates: 0 };
  }
  const most = Math.max(...live);
  return { probePasses: 0, candidates: criterion === 'ucb' && most > 1 ? samples * most : 0 };
}

/**
 * Multiply-adds of every epoch of a search of `space` whose rounds abandoned `pruned`.
 * @param space the space as the mode ran it (its criterion decides whether rounds cost anything)
 * @param pruned the run's decisions; rounds happen at the end of the epochs that have any
 * @param est the space's compute estimate, when the caller has it
 */
export function searchMacs(space: SearchSpace, pruned: readonly PruneEvent[], est = estimateSupernetCompute(space)): EpochMacs[] {
  const alive = allAlive(est);
  const archImages = space.data.train - weightSplitOf(space);
  const batch = space.train.batch;
  const steps = stepsPerEpochOf(space);
  const rounds = new Map<number, PruneEvent[]>();
  for (const p of pruned) {
    if (!rounds.has(p.epoch)) rounds.set(p.epoch, []);
    rounds.get(p.epoch)!.push(p);
  }
  const out: EpochMacs[] = [];
  for (let epoch = 1; epoch <= space.train.epochs; epoch++) {
    const fwd = computeWithAlive(est, alive);
    const round = rounds.get(epoch) ?? [];
    const r = round.length ? roundWork(space, alive) : { probePasses: 0, candidates: 0 };
    const derive = epoch === space.train.epochs && space.derive?.edges === 'removal' ? (1 + 2 * alive.normal.length) * Math.min(archImages, (space.derive.probeBatches ?? Infinity) * batch) : 0;
    const work: EpochWork = {
      weightImages: steps * batch,
      archImages: epoch > space.train.warmup ? steps * batch : 0,
      validImages: archImages,
      probeImages: r.probePasses * batch + derive,
      candidateTrainImages: r.candidates * CANDIDATE_TRAIN * batch,
      candidateEvalImages: r.candidates * CANDIDATE_EVAL * batch,
    };
    const path = r.candidates ? pathMacs(est, alive) : 0;
    const opsAlive = KINDS.reduce((s, k) => s + alive[k].reduce((t, row) => t + row.filter(Boolean).length, 0), 0);
    out.push({
      epoch,
      train: (work.weightImages * WEIGHT_STEP + work.archImages * ARCH_STEP) * fwd,
      valid: work.validImages * fwd,
      prune: work.probeImages * fwd + (work.candidateTrainImages * WEIGHT_STEP + work.candidateEvalImages) * path,
      opsAlive,
      work,
    });
    for (const p of round) alive[p.cell][p.edge][p.op] = false;
  }
  return out;
}

/** Total multiply-adds of a search's epochs. */
export const totalMacs = (epochs: readonly EpochMacs[]): number => epochs.reduce((s, e) => s + e.train + e.valid + e.prune, 0);

/**
 * Rounds that abandon, on every edge, the costliest (`best`) or the cheapest (`worst`) alive op,
 * keeping one real op per edge, at the epochs the space's pruning schedule has rounds.
 * @param est the space's compute estimate, when the caller has it
 */
export function boundEvents(space: SearchSpace, which: 'best' | 'worst', est = estimateSupernetCompute(space)): PruneEvent[] {
  // An op's cost does not change during a search, so each edge abandons its ops in one fixed
  // order: the costliest first in the best case, the cheapest first in the worst. The op the edge
  // keeps is never abandoned: its cheapest real op in the best case, its costliest in the worst.
  const sign = which === 'best' ? 1 : -1;
  const queue = (row: readonly number[]): number[] => {
    const ops = row.map((m, o) => ({ m, o }));
    const keep = ops.filter(({ o }) => space.ops[o].kind !== 'zero').sort((a, b) => sign * (a.m - b.m))[0];
    return ops.filter((x) => x !== keep).sort((a, b) => sign * (b.m - a.m)).slice(0, row.length - 1).map(({ o }) => o);
  };
  const queues = KINDS.map((k) => est.ops[k].map(queue));
  const out: PruneEvent[] = [];
  const { start, every, drop } = space.pruning;
  for (let epoch = start, round = 0; epoch < space.train.epochs; epoch += every, round++) {
    const before = out.length;
    KINDS.forEach((cell, k) => queues[k].forEach((q, edge) => {
      for (const op of q.slice(round * drop, (round + 1) * drop)) out.push({ epoch, cell, edge, op });
    }));
    if (out.length === before) break;
  }
  return out;
}

/** A search's multiply-adds without pruning and at both ends of what its schedule can save. */
export interface PruningBounds {
  /** The same search with `criterion = none` (PC-DARTS behaviour). */
  readonly unpruned: number;
  /** Rounds that abandon the costliest op of every edge first. */
  readonly best: number;
  /** Rounds that abandon the cheapest op of every edge first. */
  readonly worst: number;
}

/** Multiply-adds of a search of `space` unpruned, and with its schedule's best and worst rounds. */
export function pruningBounds(space: SearchSpace, est = estimateSupernetCompute(space)): PruningBounds {
  const unpruned = unprunedMacs(space, est);
  if (space.pruning.criterion === 'none') return { unpruned, best: unpruned, worst: unpruned };
  return { unpruned, best: boundMacs(space, 'best', est), worst: boundMacs(space, 'worst', est) };
}

/** Multiply-adds of a search of `space` whose rounds follow {@link boundEvents}. */
export function boundMacs(space: SearchSpace, which: 'best' | 'worst', est = estimateSupernetCompute(space)): number {
  return totalMacs(searchMacs(space, boundEvents(space, which, est), est));
}

/** Multiply-adds of the same search without pruning (`criterion = none`: PC-DARTS mode). */
export function unprunedMacs(space: SearchSpace, est = estimateSupernetCompute(space)): number {
  return totalMacs(searchMacs({ ...space, pruning: { ...space.pruning, criterion: 'none' } }, [], est));
}
