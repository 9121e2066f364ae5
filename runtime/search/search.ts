/**
 * The search run: bi-level first-order PC-DARTS/BNAS search with pruning on a supernet, writing
 * the run folder and emitting run events (docs/design.md, "The run folder", "Run events"). One call = one run (or the rest of
 * a cancelled one with `resume`). Cancelling (the AbortSignal) writes a checkpoint at the next step
 * boundary; resuming continues the exact same streams, so the genotype is the same as without the
 * interruption.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { initBackend } from '../engine/index.js';
import { userProbeCache, userTrialMemory } from '../engine/backend-cache.js';
import { searchStepProbe, searchStepSampler } from './backend-probe.js';
import { loadDataset, type Batch, type Dataset, type IteratorState, type SplitIterator } from '../data/index.js';
import type { SearchSpace } from '../dsl/space.js';
import type { RunEvent } from '../protocol/events.js';
import { CELL_KINDS, type CellKind, type Genotype } from '../protocol/genotype.js';
import { estimateSupernetMemory } from '../supernet/memory.js';
import type { MicroBatchPlan } from '../dsl/memory.js';
import { microBatchOf, partSize, sharedThreadsOf } from './shards.js';
import { Supernet, type EdgeRestriction } from '../supernet/supernet.js';
import { cellEdges } from '../supernet/topology.js';
import { assignSaved, readCheckpoint, savedArray, writeCheckpoint, type LoadedCheckpoint, type SavedArray } from './checkpoint.js';
import { archNumbers, deriveGenotype, deriveLimitsOf, edgeWeights, opWeights } from './derive.js';
import { edgeRemovalLosses } from './edge-evidence.js';
import { scheduledLr, Optimizer } from './optimizers.js';
import { emptyPruneStats, EVIDENCE_MEASURE, pruneRound, pruningDue, type ConfidenceEvidence, type PruneMeasures, type PruneStats } from './pruning.js';
import { paramFreeShare } from './collapse.js';
import { Rng } from '../random/rng.js';
import { createRunFolder, EventLog, writeResult, type RunResult } from './run-folder.js';
import { binaryShare, dropoutRate, Trainer, type StepResult } from './trainer.js';
import type { StepDropout } from '../engine/dropout.js';
import { SearchThreads, searchThreads } from './parallel.js';
import { backendChoiceOf, type PruneBatches } from './replica-protocol.js';
import { meanLoss } from './pruning.js';
import { parentEvent, parentSpace, type ParentResult } from './guide.js';
import type { SearchOptions, SearchOutcome } from './search-options.js';

export type { SearchOptions, SearchOutcome } from './search-options.js';

/** The search's data streams: weight and architecture steps, pruning's training and measuring. */
const ITERATORS = ['weights', 'arch', 'pruneTrain', 'pruneEval'] as const;
type IteratorName = (typeof ITERATORS)[number];

/** Everything besides arrays that a checkpoint restores: the fields of {@link Search}. */
interface SearchState {
  readonly seed: number;
  readonly backend: string;
  /** Threads the run computed on, and whether its steps were split across them (both absent in older checkpoints). */
  readonly threads?: number;
  readonly shardSteps?: boolean;
  /** Next epoch to run (1-based) and next step within it. */
  readonly epoch: number;
  readonly step: number;
  readonly acc: { lossSum: number; correct: number; n: number };
  readonly seconds: number;
  /** CPU seconds (user + system, every thread) of the search so far (absent in checkpoints of older versions). */
  readonly cpuSeconds?: number;
  readonly pruneSeconds: number;
  readonly epochPruneSeconds: number;
  /** States of the pruning and dropout streams (`drop` absent in checkpoints of older versions). */
  readonly rng: { prune: number; drop?: number };
  readonly iterators: Record<IteratorName, IteratorState>;
  readonly alive: Record<CellKind, boolean[][]>;
  readonly prune: PruneStats;
  readonly optimizerSteps: { weights: number; arch: number };
  readonly last: { trainAcc: number; validAcc: number; validLoss: number };
  /** `parent` while a guided search's parent phase runs (the arrays are the parent's); absent after. */
  readonly phase?: 'parent';
  /** A guided search's parent result, once its parent phase has finished. */
  readonly guide?: ParentResult;
}

/** An event without its time (distributes over the union, unlike Omit<RunEvent, 'time'>). */
type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'time'> : never) : never;

/** Stamps an event with the current time. */
function ev(e: EventInput): RunEvent {
  return { ...e, time: new Date().toISOString() } as RunEvent;
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** A number as JSON keeps it: null for ±∞ and NaN. */
const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

/** The paired-z rule's view of an edge, keyed by op name, for a `pruned` event's evidence. */
function confidenceEvidence(c: ConfidenceEvidence, alive: readonly number[], opNames: readonly string[]) {
  return {
    confidence: c.threshold,
    roles: Object.fromEntries(alive.map((o) => [opNames[o], c.roles[o] ?? 'promising'])),
    z: Object.fromEntries(alive.map((o) => [opNames[o], c.z[o]])),
  };
}

/** Edge probes measured per thread between two looks at the event loop. */
const PROBE_SLICE = 8;

/** Runs (or resumes) a search; never throws for search failures (returns `failed`), only for bugs. */
export async function runSearch(o: SearchOptions): Promise<SearchOutcome> {
  const { space, outDir } = o;
  const seed = o.seed ?? space.train.seed;
  const dataset = o.dataset ?? (await loadDataset(space.data, { seed, signal: o.signal }));
  const probe = searchStepProbe(space, dataset);
  const backend = o.keepBackend ? { name: tf.getBackend(), reason: 'chosen by the caller' } : await initBackend(o.backend ?? 'auto', {}, probe, userProbeCache());
  const saved = o.resume ? readCheckpoint<SearchState>(outDir) : undefined;
  const { threads: threadCount, shardSteps, reason: threadsReason } = await searchThreads(
    o.threads ?? 1, backend.name, space.train.batch, saved?.state, searchStepSampler(space, dataset), userTrialMemory(probe.key), o.shardSteps,
    (n) => sharedThreadsOf(space, dataset, backend.name, n),
  );
  if (!o.resume) createRunFolder(outDir, o.spaceText);
  const log = new EventLog(join(outDir, 'events.jsonl'));
  const publish = (e: RunEvent) => {
    log.append(e);
    o.emit?.(e);
  };
  // Unsharded steps (and the workers' whole batches) take one thread's micro-batches, as one thread does.
  const micro = microBatchOf(space, dataset, backend.name, shardSteps ? threadCount : 1);
  const setup = { seed, backend: backend.name, threads: threadCount, shardSteps, threadsReason, micro, dataset };
  try {
    // A guided search first runs its parent phase (docs/method.md, "Parent guide"), unless the
    // checkpoint holds its result already; a checkpoint of the parent phase resumes that phase.
    const inParent = saved?.state.phase === 'parent';
    let guide = saved?.state.guide;
    if (space.guide && saved && !inParent && !guide) throw new Error('the checkpoint has no parent result, but the space has `guide.parent = real`: it belongs to another space');
    if (space.guide && !guide) {
      const epochs = space.guide.epochs;
      const parentPublish = (e: RunEvent) => {
        const shown = parentEvent(e, epochs);
        if (shown) publish(shown);
      };
      const r = await runPhase(o, parentSpace(space), { ...setup, role: 'parent', publish: parentPublish }, backend.reason, inParent ? saved : undefined);
      if (!r.parent) return r;
      guide = r.parent;
    }
    return await runPhase(o, space, { ...setup, role: 'search', guide, publish }, backend.reason, inParent ? undefined : saved);
  } catch (e) {
    return failed(outDir, publish, (e as Error).message);
  } finally {
    log.close();
  }
}

/**
 * One phase of a run on its own supernet, trainer and threads (all disposed before it returns):
 * the search, or a guided search's parent phase.
 */
async function runPhase(o: SearchOptions, space: SearchSpace, parts: Omit<SearchParts, 'net' | 'trainer' | 'th'>, backendReason: string, saved?: LoadedCheckpoint<SearchState>): Promise<SearchOutcome> {
  const { dataset, seed } = parts;
  const input = [dataset.height, dataset.width, dataset.channels] as const;
  const net = new Supernet(space, { input: [...input], numClasses: dataset.numClasses, seed: Rng.stream(seed, 'init').seed(), alive: saved?.state.alive });
  const trainer = new Trainer(net, space, dataset.numClasses);
  trainer.microBatch = partSize(parts.micro);
  if (parts.guide) trainer.guideBy(parts.guide.weights);
  const pruneSgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune');
  let threads: SearchThreads | undefined;
  try {
    threads = await SearchThreads.start(
      trainer, pruneSgd,
      { space, input: [...input], numClasses: dataset.numClasses, seed: Rng.stream(seed, 'init').seed(), backend: backendChoiceOf(parts.backend), microBatch: trainer.microBatch },
      parts.threads, parts.shardSteps,
    );
    const search = new Search(o, space, { ...parts, net, trainer, th: threads });
    if (saved) search.restore(saved);
    return await search.run(backendReason, saved !== undefined);
  } finally {
    // Workers are stopped on every way out (finished, failed, cancelled), or the process would hang.
    await threads?.close();
    trainer.dispose();
    pruneSgd.dispose();
    net.dispose();
  }
}

/** Publishes a `failed` event (the last checkpoint stays) and returns the outcome. */
function failed(outDir: string, publish: (e: RunEvent) => void, message: string): SearchOutcome {
  const full = `${message}; the last checkpoint (if any) in ${join(outDir, 'checkpoint')} is kept`;
  publish(ev({ type: 'failed', message: full }));
  return { status: 'failed', message: full };
}

/** What a {@link Search} computes with: built and disposed by {@link runSearch}. */
interface SearchParts {
  readonly seed: number;
  /** The backend's name. */
  readonly backend: string;
  readonly threads: number;
  /** Whether steps are split across the threads (else only pruning and measurements are shared). */
  readonly shardSteps: boolean;
  readonly threadsReason: string;
  /** The micro-batches of each thread's shard of a step. */
  readonly micro: MicroBatchPlan;
  readonly dataset: Dataset;
  readonly net: Supernet;
  readonly trainer: Trainer;
  readonly th: SearchThreads;
  readonly publish: (e: RunEvent) => void;
  /** `parent`: a guided search's parent phase, whose end is a {@link ParentResult}, not a result. */
  readonly role: 'search' | 'parent';
  /** The search's parent result when it is guided. */
  readonly guide?: ParentResult;
}

/**
 * One search run. Its fields are the checkpointed state: {@link checkpoint} writes them (with the
 * supernet's and optimizers' arrays) and {@link restore} reads them back, so a resumed run
 * continues from exactly where the cancelled one stopped. One method per phase: {@link trainStep},
 * {@link endEpoch}, {@link pruningRound}, {@link finish}, {@link cancel}.
 */
class Search {
  // The checkpointed state (see SearchState).
  /** Next epoch to run (1-based) and next step within it. */
  private epoch = 1;
  private step = 0;
  /** The running epoch's training loss and accuracy sums. */
  private acc = { lossSum: 0, correct: 0, n: 0 };
  /** Seconds computed before this process (a resumed run's earlier part). */
  private secondsBefore = 0;
  private cpuSecondsBefore = 0;
  private pruneSeconds = 0;
  private epochPruneSeconds = 0;
  private last = { trainAcc: 0, validAcc: 0, validLoss: NaN };
  private stats: PruneStats;
  private readonly pruneRng: Rng;
  /** Seeds the masks of `regularize.dropout`: one draw per training step that drops. */
  private readonly dropRng: Rng;
  private readonly it: Record<IteratorName, SplitIterator>;

  // Per process, not checkpointed.
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();
  private lastStepEvent = -Infinity;
  /** Seconds of the running epoch's steps (a resumed epoch counts from the resume). */
  private trainSeconds = 0;
  private readonly opNames: string[];
  private readonly zeroOps: ReadonlySet<number>;
  /** Set when derivation caps parameter-free ops: pruning then keeps a learnable op on every edge. */
  private readonly learnable?: (cell: CellKind, edge: number, op: number) => boolean;
  private readonly batch: number;
  private readonly steps: number;
  private readonly stepEvery: number;

  constructor(
    private readonly o: SearchOptions,
    private readonly space: SearchSpace,
    private readonly p: SearchParts,
  ) {
    this.opNames = this.space.ops.map((op) => op.name);
    this.zeroOps = new Set(this.space.ops.flatMap((op, i) => (op.kind === 'zero' ? [i] : [])));
    if (this.space.derive?.maxParamFree !== undefined) {
      const edges = cellEdges(this.space.supernet.nodes);
      const limits = { normal: deriveLimitsOf(this.space, 'normal'), reduce: deriveLimitsOf(this.space, 'reduce') };
      this.learnable = (cell, edge, op) => this.space.ops[op].kind !== 'zero' && !limits[cell].paramFree(op, edges[edge].from);
    }
    const { dataset } = p;
    this.it = {
      weights: dataset.weights.iterator(),
      arch: dataset.arch.iterator(),
      pruneTrain: dataset.weights.iterator(),
      pruneEval: dataset.arch.iterator(),
    };
    this.pruneRng = Rng.stream(p.seed, 'prune');
    this.dropRng = Rng.stream(p.seed, 'dropout');
    this.stats = emptyPruneStats(p.net.edges, this.opNames.length);
    this.batch = this.space.train.batch;
    this.steps = this.it.weights.stepsPerEpoch(this.batch);
    this.stepEvery = o.stepEventSeconds ?? 1;
    // A guided search's clock continues from its parent phase's.
    this.secondsBefore = p.guide?.seconds ?? 0;
    this.cpuSecondsBefore = p.guide?.cpuSeconds ?? 0;
  }

  private elapsed(): number {
    return this.secondsBefore + (performance.now() - this.t0) / 1000;
  }

  /** CPU seconds of the search: this process's since the search began (workers included), plus the earlier part's. */
  private cpuElapsed(): number {
    const u = process.cpuUsage(this.cpu0);
    return this.cpuSecondsBefore + (u.user + u.system) / 1e6;
  }

  /** The checkpoint's JSON state: this object's fields. */
  private state(): SearchState {
    const { p, it } = this;
    return {
      seed: p.seed, backend: p.backend, threads: p.threads, shardSteps: p.shardSteps, epoch: this.epoch, step: this.step, acc: this.acc,
      seconds: this.elapsed(), cpuSeconds: this.cpuElapsed(), pruneSeconds: this.pruneSeconds, epochPruneSeconds: this.epochPruneSeconds,
      rng: { prune: this.pruneRng.state(), drop: this.dropRng.state() },
      iterators: { weights: it.weights.state(), arch: it.arch.state(), pruneTrain: it.pruneTrain.state(), pruneEval: it.pruneEval.state() },
      alive: p.net.alive, prune: this.stats,
      optimizerSteps: { weights: p.trainer.weightOpt.steps, arch: p.trainer.archOpt.steps },
      last: this.last,
      ...(p.role === 'parent' ? { phase: 'parent' as const } : {}),
      ...(p.guide ? { guide: p.guide } : {}),
    };
  }

  /** Writes the checkpoint (state and arrays) and returns its folder. */
  private async checkpoint(): Promise<string> {
    const { net, trainer } = this.p;
    const arrays: SavedArray[] = [];
    for (const name of net.weights.names()) arrays.push(await savedArray(`w/${name}`, net.weights.get(name)));
    for (const name of net.arch.names()) arrays.push(await savedArray(`a/${name}`, net.arch.get(name)));
    arrays.push(...(await trainer.weightOpt.save()), ...(await trainer.archOpt.save()));
    return writeCheckpoint(this.o.outDir, this.state(), arrays);
  }

  /** Loads a checkpoint into the supernet, the optimizers, the streams and this object's fields. */
  restore(saved: LoadedCheckpoint<SearchState>): void {
    const { net, trainer } = this.p;
    const s = saved.state;
    for (const name of net.weights.names()) assignSaved(net.weights.get(name), saved.arrays.get(`w/${name}`), name);
    for (const name of net.arch.names()) assignSaved(net.arch.get(name), saved.arrays.get(`a/${name}`), name);
    trainer.weightOpt.load(saved.arrays, s.optimizerSteps.weights);
    trainer.archOpt.load(saved.arrays, s.optimizerSteps.arch);
    for (const k of ITERATORS) this.it[k].restore(s.iterators[k]);
    this.pruneRng.restore(s.rng.prune);
    if (s.rng.drop !== undefined) this.dropRng.restore(s.rng.drop);
    this.stats = { ...this.stats, ...s.prune };
    this.epoch = s.epoch;
    this.step = s.step;
    this.acc = { ...s.acc };
    this.pruneSeconds = s.pruneSeconds;
    this.epochPruneSeconds = s.epochPruneSeconds;
    this.last = { ...s.last };
    this.secondsBefore = s.seconds;
    this.cpuSecondsBefore = s.cpuSeconds ?? 0;
    if (s.backend !== this.p.backend) {
      this.p.publish(ev({ type: 'warning', message: `the run started on the ${s.backend} backend and resumes on ${this.p.backend}: results may differ slightly` }));
    }
    // The numbers depend on the threads a step is split across (1 for unsharded steps), not on the workers' count.
    const [was, now] = [s.shardSteps === false ? 1 : s.threads, this.p.shardSteps ? this.p.threads : 1];
    if (was !== undefined && was !== now) {
      this.p.publish(ev({ type: 'warning', message: `the run's steps started on ${was} thread(s) and resume on ${now}: results may differ slightly (use --threads ${was} to continue it exactly)` }));
    }
  }

  /** Runs the remaining epochs and derives the result. */
  async run(backendReason: string, resumed: boolean): Promise<SearchOutcome> {
    const { space, p } = this;
    p.publish(ev({
      type: 'started', space: space.name, backend: p.backend, backend_reason: backendReason, seed: p.seed,
      parameters: p.net.parameterCount(), epochs: space.train.epochs, steps_per_epoch: this.steps, ops: this.opNames, edges: p.net.edges,
      resumed, threads: p.threads, ...(p.shardSteps ? {} : { shard_steps: false }), threads_reason: p.threadsReason, micro_batch: p.micro.size, micro_batches: p.micro.count, micro_batch_reason: p.micro.reason,
    }));
    const mem = estimateSupernetMemory(space, p.dataset.height, p.dataset.channels, p.micro.count > 1 ? p.micro.size : this.batch);
    if (!resumed && p.role === 'search' && mem.totalBytes > space.budget.memoryMb * 1024 * 1024) {
      p.publish(ev({ type: 'warning', message: `estimated supernet memory ${(mem.totalBytes / 2 ** 20).toFixed(0)} MB exceeds budget.memory_mb = ${space.budget.memoryMb}; lower batch, channels or cells, or raise k` }));
    }
    // A guided search that has just got its parent's result keeps it before its first step.
    if (!resumed && p.guide) p.publish(ev({ type: 'checkpoint', epoch: 0, path: await this.checkpoint() }));
    while (this.epoch <= space.train.epochs) {
      const lr = scheduledLr(space.optimizers.weights, this.epoch - 1, space.train.epochs);
      this.trainSeconds = 0;
      while (this.step < this.steps) {
        await yieldToEventLoop();
        if (this.o.signal?.aborted) return await this.cancel();
        if (this.budgetOver()) return await this.finish(`time budget of ${space.budget.minutes} minutes reached`);
        const error = await this.trainStep(lr);
        if (error) return failed(this.o.outDir, p.publish, error);
      }
      await this.endEpoch(lr);
    }
    return await this.finish();
  }

  /** Sets the supernet's λ of `binarize.progressive` for the current epoch and step (every thread gets it with its requests). */
  private rampBinarization(): void {
    this.p.net.binaryShare = binaryShare(this.space, this.epoch, this.step, this.steps);
  }

  private budgetOver(): boolean {
    const { minutes } = this.space.budget;
    return minutes !== undefined && this.elapsed() >= minutes * 60;
  }

  /** Publishes a `step` event when the last one is at least `stepEventSeconds` old (or `force`). */
  private stepEvent(step: number, loss: number, phase: 'train' | 'prune' | 'derive', force = false): void {
    if (!force && this.elapsed() - this.lastStepEvent < this.stepEvery) return;
    this.lastStepEvent = this.elapsed();
    this.p.publish(ev({ type: 'step', epoch: this.epoch, step, steps: this.steps, loss, seconds: this.elapsed(), phase }));
  }

  /**
   * One step: an architecture step (after warm-up), then a weight step; each draws its dropout
   * masks' seed from the dropout stream while the epoch's rate is above 0.
   * @returns a failure message when a loss is not finite
   */
  private async trainStep(lr: number): Promise<string | undefined> {
    const { epoch, step, it, batch } = this;
    const s0 = performance.now();
    this.rampBinarization();
    const rate = dropoutRate(this.space, epoch);
    const drop = (): StepDropout | undefined => (rate > 0 ? { rate, seed: String(this.dropRng.seed()) } : undefined);
    if (epoch > this.space.train.warmup) {
      const a = await this.p.th.archStep(it.arch.next(batch), epoch - 1, drop());
      if (!Number.isFinite(a.loss)) return `architecture loss became ${a.loss} at epoch ${epoch}, step ${step + 1}`;
    }
    const r = await this.p.th.weightStep(it.weights.nextInEpoch(batch), lr, drop());
    this.trainSeconds += (performance.now() - s0) / 1000;
    if (!Number.isFinite(r.loss)) return `training loss became ${r.loss} at epoch ${epoch}, step ${step + 1}`;
    this.acc.lossSum += r.loss * r.n;
    this.acc.correct += r.correct;
    this.acc.n += r.n;
    this.stepEvent(step + 1, r.loss, 'train', step === this.steps - 1);
    this.step++;
    return undefined;
  }

  /** End of epoch: validation, pruning, events; then the checkpoint names the next epoch, step 0. */
  private async endEpoch(lr: number): Promise<void> {
    const { p, space, opNames, acc } = this;
    const v0 = performance.now();
    this.rampBinarization();
    const valid = await this.measure('arch');
    const validSeconds = (performance.now() - v0) / 1000;
    this.last = { trainAcc: acc.n ? acc.correct / acc.n : 0, validAcc: valid.n ? valid.correct / valid.n : 0, validLoss: valid.loss };
    const trainLoss = acc.n ? acc.lossSum / acc.n : NaN;
    this.epochPruneSeconds = pruningDue(space.pruning, this.epoch, space.train.epochs) ? await this.pruningRound(lr) : 0;
    const epoch = this.epoch;
    p.publish(ev({
      type: 'epoch', epoch, train_loss: trainLoss, train_acc: this.last.trainAcc, valid_loss: valid.loss, valid_acc: this.last.validAcc,
      seconds: this.elapsed(), ops_left: p.net.opsLeft(), prune_seconds: this.epochPruneSeconds, train_seconds: this.trainSeconds, valid_seconds: validSeconds,
      ...(space.binarize.progressive ? { binary_share: p.net.binaryShare } : {}),
    }));
    const arch = await archNumbers(p.net);
    for (const k of CELL_KINDS) {
      const w = opWeights(arch[k]);
      p.publish(ev({
        type: 'alphas', epoch, cell: k,
        weights: w.map((row, e) => Object.fromEntries(row.flatMap((v, op) => (arch[k].alive[e][op] ? [[opNames[op], v]] : [])))),
        betas: edgeWeights(arch[k], space.supernet.nodes, space.sampling.edgeNormalization),
      }));
    }
    p.publish(ev({ type: 'genotype', epoch, genotype: (await this.derive()).genotype }));
    this.acc = { lossSum: 0, correct: 0, n: 0 };
    this.epoch++;
    this.step = 0;
    const path = await this.checkpoint();
    p.publish(ev({ type: 'checkpoint', epoch, path }));
  }

  /**
   * One pruning round of the space's criterion: abandons the chosen ops in the supernet and
   * publishes a `pruned` event for each.
   * @returns the round's seconds
   */
  private async pruningRound(lr: number): Promise<number> {
    const { p, space, it, batch, opNames } = this;
    const p0 = performance.now();
    const progress = this.progress('prune');
    // One set of batches per round, shared by every candidate: their numbers differ by the
    // candidate alone, not by which images they happened to get.
    const { criterion, samples } = space.pruning;
    const batches: PruneBatches = {
      train: criterion === 'ucb' ? Array.from({ length: this.o.pruneTrainSteps ?? 2 }, () => it.pruneTrain.next(batch)) : [],
      eval:
        criterion === 'ucb' ? Array.from({ length: this.o.pruneEvalBatches ?? 1 }, () => it.pruneEval.next(batch))
        : criterion === 'performance' ? Array.from({ length: samples }, () => it.pruneEval.next(batch))
        : [],
    };
    const measures: PruneMeasures = {
      paths: async (choices) => {
        const scores = await p.th.evaluatePaths(choices, batches, lr);
        await progress(choices.length, scores.at(-1)?.loss ?? NaN);
        return scores.map((x) => x.accuracy);
      },
      edges: (probes) => this.measureEdges(probes, batches.eval, progress),
    };
    const decisions = await pruneRound(await archNumbers(p.net), this.stats, space.pruning, this.pruneRng, measures, this.zeroOps, this.learnable);
    const measure = criterion === 'none' ? undefined : EVIDENCE_MEASURE[criterion];
    for (const d of decisions) {
      // The evidence names the ops alive before this round's decisions.
      const alive = d.evidence.scores.flatMap((x, o) => (x === null ? [] : [o]));
      const evidence = measure && {
        measure,
        values: Object.fromEntries(alive.map((o) => [opNames[o], finiteOrNull(d.evidence.values[o])])),
        scores: Object.fromEntries(alive.map((o) => [opNames[o], finiteOrNull(d.evidence.scores[o])])),
        ...(d.evidence.confidence && confidenceEvidence(d.evidence.confidence, alive, opNames)),
      };
      for (const prefix of p.net.prune(d.cell, d.edge, d.op)) p.trainer.forget(prefix);
      p.publish(ev({ type: 'pruned', epoch: this.epoch, cell: d.cell, edge: d.edge, op: opNames[d.op], score: d.score, round: this.stats.round, evidence }));
    }
    const seconds = (performance.now() - p0) / 1000;
    this.pruneSeconds += seconds;
    return seconds;
  }

  /**
   * Counts the evaluations of a pruning round or of derivation's probes as they finish, reports
   * them as `step` events of that phase, and lets the event loop run (a cancel request gets through).
   */
  private progress(phase: 'prune' | 'derive'): (count: number, loss: number) => Promise<void> {
    let evals = 0;
    return async (count, loss) => {
      evals += count;
      this.stepEvent(evals, loss, phase);
      await yieldToEventLoop();
    };
  }

  /** Per-example losses per probe on `batches` (pruning.ts, `MeasureEdges`), in slices, so progress gets reported between them. */
  private async measureEdges(probes: readonly (EdgeRestriction | undefined)[], batches: readonly Batch[], progress: (count: number, loss: number) => Promise<void>): Promise<number[][]> {
    const { p } = this;
    const losses: number[][] = [];
    for (let i = 0; i < probes.length; i += PROBE_SLICE * p.threads) {
      const part = await p.th.measureEdges(probes.slice(i, i + PROBE_SLICE * p.threads), batches);
      losses.push(...part);
      await progress(part.length, meanLoss(part.at(-1) ?? []));
    }
    return losses;
  }

  /**
   * The genotype of the supernet now. With `derive.edges = removal` the final derivation ranks a
   * node's inputs by the loss the supernet gains without each edge, measured on the first
   * `derive.probe_batches` batches of the architecture split; the epochs' previews rank by `weight`.
   */
  private async derive(final = false): Promise<{ genotype: Genotype; removal?: Record<CellKind, number[]> }> {
    const { space, p } = this;
    const byRemoval = space.derive?.edges === 'removal';
    const removal = byRemoval && final ? await this.edgeRemoval() : undefined;
    const limitsOf = (k: CellKind) => ({ ...deriveLimitsOf(space, k), ...(removal ? { removal: removal[k] } : byRemoval ? { edges: 'weight' as const } : {}) });
    const limits = { normal: limitsOf('normal'), reduce: limitsOf('reduce') };
    return { genotype: deriveGenotype(await archNumbers(p.net), this.opNames, space.supernet.nodes, space.sampling.edgeNormalization, limits), removal };
  }

  /** Derivation's edge evidence on the first `derive.probe_batches` batches of the architecture split (only those are read). */
  private async edgeRemoval(): Promise<Record<CellKind, number[]>> {
    const batches: Batch[] = [];
    for (const b of this.p.dataset.arch.batches(this.batch)) {
      if (batches.length >= (this.space.derive?.probeBatches ?? Infinity)) break;
      batches.push(b);
    }
    const progress = this.progress('derive');
    return edgeRemovalLosses((probes) => this.measureEdges(probes, batches, progress), this.p.net.edges);
  }

  private measure(split: 'arch' | 'test'): Promise<StepResult> {
    return this.p.th.measure([...this.p.dataset[split].batches(this.batch)]);
  }

  /** Derives the genotype, measures the test split, writes result.json and publishes the end. */
  private async finish(reason?: string): Promise<SearchOutcome> {
    const { p, space, last } = this;
    this.rampBinarization();
    const { genotype, removal } = await this.derive(p.role === 'search');
    if (p.role === 'parent') return this.finishParent(genotype);
    const test = p.dataset.test.size > 0 ? await this.measure('test') : undefined;
    const seconds = this.elapsed();
    const done = this.epoch - 1;
    const result: RunResult = {
      genotype,
      metrics: {
        valid_acc: last.validAcc, test_acc: test && test.n ? test.correct / test.n : undefined, train_acc: last.trainAcc,
        search_seconds: seconds, cpu_seconds: this.cpuElapsed(), peak_rss_mb: process.resourceUsage().maxRSS / 1024,
        prune_seconds: this.pruneSeconds, epochs: done, epochs_planned: space.train.epochs,
      },
      seed: p.seed, backend: p.backend, version: this.o.version ?? '0.0.0', space: space.name, stopped_early: reason,
      param_free: paramFreeShare(genotype, space.ops),
      ...(p.guide ? { parent: { genotype: p.guide.genotype, epochs: p.guide.epochs, valid_acc: p.guide.validAcc, seconds: p.guide.seconds } } : {}),
    };
    writeResult(this.o.outDir, result);
    p.publish(ev({ type: 'genotype', epoch: done, genotype, final: true, ...(removal ? { edge_evidence: removal } : {}) }));
    p.publish(ev({ type: 'finished', genotype, seconds, valid_acc: last.validAcc, test_acc: result.metrics.test_acc, reason }));
    return { status: 'finished', result };
  }

  /** The end of a parent phase: its α as op weights and its derived cells, for the search it guides. */
  private async finishParent(genotype: Genotype): Promise<SearchOutcome> {
    const arch = await archNumbers(this.p.net);
    const parent: ParentResult = {
      weights: { normal: opWeights(arch.normal), reduce: opWeights(arch.reduce) },
      genotype, epochs: this.epoch - 1, validAcc: this.last.validAcc, seconds: this.elapsed(), cpuSeconds: this.cpuElapsed(),
    };
    this.p.publish(ev({ type: 'parent', stage: 'finished', epoch: parent.epochs, epochs: this.space.train.epochs, valid_acc: parent.validAcc, seconds: parent.seconds, genotype }));
    return { status: 'finished', parent };
  }

  /** Writes a checkpoint at the current step and publishes the cancellation. */
  private async cancel(): Promise<SearchOutcome> {
    const path = await this.checkpoint();
    const done = this.epoch - 1;
    this.p.publish(ev({ type: 'checkpoint', epoch: done, path }));
    this.p.publish(ev({ type: 'cancelled', epoch: done, checkpoint: path }));
    return { status: 'cancelled' };
  }
}
