/**
 * The search run: bi-level first-order PC-DARTS/BNAS search with pruning on a supernet, writing
 * the run folder (contract section 6) and emitting run events. One call = one run (or the rest of
 * a cancelled one with `resume`). Cancelling (the AbortSignal) writes a checkpoint at the next step
 * boundary; resuming continues the exact same streams, so the genotype is the same as without the
 * interruption.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { initBackend, type BackendChoice } from '../engine/index.js';
import { userProbeCache } from '../engine/backend-cache.js';
import { searchStepProbe } from './backend-probe.js';
import { loadDataset, type Dataset, type IteratorState } from '../data/index.js';
import type { SearchSpace } from '../dsl/space.js';
import type { RunEvent } from '../protocol/events.js';
import { CELL_KINDS, type CellKind, type Genotype } from '../protocol/genotype.js';
import { estimateSupernetMemory } from '../supernet/memory.js';
import { Supernet } from '../supernet/supernet.js';
import { readCheckpoint, writeCheckpoint, type SavedArray } from './checkpoint.js';
import { deriveGenotype, deriveLimitsOf, edgeWeights, opWeights, type CellArch } from './derive.js';
import { scheduledLr, Optimizer } from './optimizers.js';
import { emptyPruneStats, pruneRound, pruningDue, type PathChoice, type PruneStats } from './pruning.js';
import { Rng } from './rng.js';
import { createRunFolder, EventLog, writeResult, type RunResult } from './run-folder.js';
import { Trainer, type StepResult } from './trainer.js';
import { checkThreads, defaultThreads, SearchThreads } from './parallel.js';
import { backendChoiceOf, type PruneBatches } from './replica-protocol.js';

/** How to run a search. */
export interface SearchOptions {
  readonly space: SearchSpace;
  /** The exact `.bnas` text (written to `space.bnas`). */
  readonly spaceText: string;
  readonly outDir: string;
  readonly resume?: boolean;
  readonly backend?: BackendChoice;
  /** Overrides `train.seed`. */
  readonly seed?: number;
  /** Receives every event (after it is appended to `events.jsonl`). */
  readonly emit?: (event: RunEvent) => void;
  /** Stops the run at the next step boundary with a checkpoint (exit status `cancelled`). */
  readonly signal?: AbortSignal;
  /** A loaded dataset (tests); default: loaded from `space.data`. */
  readonly dataset?: Dataset;
  /** Leave the TensorFlow.js backend as it is (tests pick one themselves). */
  readonly keepBackend?: boolean;
  /**
   * Pruning evaluations: SGD steps of each candidate's brief training on its single path (default
   * 2). The batches are drawn once per round and shared by all of the round's candidates.
   */
  readonly pruneTrainSteps?: number;
  /** Pruning evaluations: architecture-split batches each candidate is measured on (default 1; shared). */
  readonly pruneEvalBatches?: number;
  /**
   * Threads to compute on (data-parallel workers with their own backend; default
   * {@link defaultThreads}: 1; more threads are opt-in).
   * Same seed, space, backend and thread count → the same genotype.
   */
  readonly threads?: number;
  /** Minimum seconds between `step` events (default 1). */
  readonly stepEventSeconds?: number;
  /** `version` in result.json. */
  readonly version?: string;
}

export interface SearchOutcome {
  readonly status: 'finished' | 'failed' | 'cancelled';
  readonly result?: RunResult;
  readonly message?: string;
}

/** Everything besides arrays that a checkpoint restores. */
interface SearchState {
  readonly seed: number;
  readonly backend: string;
  /** Threads the run computed on (absent in checkpoints of older versions). */
  readonly threads?: number;
  /** Next epoch to run (1-based) and next step within it. */
  readonly epoch: number;
  readonly step: number;
  readonly acc: { lossSum: number; correct: number; n: number };
  readonly seconds: number;
  readonly pruneSeconds: number;
  readonly epochPruneSeconds: number;
  readonly rng: { prune: number };
  readonly iterators: Record<'weights' | 'arch' | 'pruneTrain' | 'pruneEval', IteratorState>;
  readonly alive: Record<CellKind, boolean[][]>;
  readonly prune: PruneStats;
  readonly optimizerSteps: { weights: number; arch: number };
  readonly last: { trainAcc: number; validAcc: number; validLoss: number };
}

/** An event without its time (distributes over the union, unlike Omit<RunEvent, 'time'>). */
type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'time'> : never) : never;

/** Stamps an event with the current time. */
function ev(e: EventInput): RunEvent {
  return { ...e, time: new Date().toISOString() } as RunEvent;
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Reads α/β of the supernet as plain numbers per cell kind. */
async function archNumbers(net: Supernet): Promise<Record<CellKind, CellArch>> {
  const out = {} as Record<CellKind, CellArch>;
  for (const k of CELL_KINDS) {
    out[k] = {
      alphas: (await net.arch.get(`alpha.${k}`).array()) as number[][],
      betas: (await net.arch.get(`beta.${k}`).array()) as number[],
      alive: net.alive[k],
    };
  }
  return out;
}

/** Runs (or resumes) a search; never throws for search failures (returns `failed`), only for bugs. */
export async function runSearch(o: SearchOptions): Promise<SearchOutcome> {
  const { space, outDir } = o;
  const seed = o.seed ?? space.train.seed;
  const dataset = o.dataset ?? (await loadDataset(space.data, { seed, signal: o.signal }));
  const backend = o.keepBackend
    ? { name: tf.getBackend(), reason: 'chosen by the caller' }
    : await initBackend(o.backend ?? 'auto', {}, searchStepProbe(space, dataset), userProbeCache());
  const threadCount = o.threads ?? defaultThreads();
  checkThreads(threadCount);
  const saved = o.resume ? readCheckpoint<SearchState>(outDir) : undefined;
  if (!o.resume) createRunFolder(outDir, o.spaceText);
  const log = new EventLog(join(outDir, 'events.jsonl'));
  const publish = (e: RunEvent) => {
    log.append(e);
    o.emit?.(e);
  };
  const opNames = space.ops.map((op) => op.name);
  const zeroOps = new Set(space.ops.flatMap((op, o) => (op.kind === 'zero' ? [o] : [])));
  const net = new Supernet(space, {
    input: [dataset.height, dataset.width, dataset.channels],
    numClasses: dataset.numClasses,
    seed: Rng.stream(seed, 'init').seed(),
    alive: saved?.state.alive,
  });
  const trainer = new Trainer(net, space, dataset.numClasses);
  const pruneSgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune');
  const it = {
    weights: dataset.weights.iterator(),
    arch: dataset.arch.iterator(),
    pruneTrain: dataset.weights.iterator(),
    pruneEval: dataset.arch.iterator(),
  };
  const pruneRng = Rng.stream(seed, 'prune');
  let stats = emptyPruneStats(net.edges, opNames.length);
  const batch = space.train.batch;
  const steps = it.weights.stepsPerEpoch(batch);
  let epoch = 1;
  let step = 0;
  let acc = { lossSum: 0, correct: 0, n: 0 };
  let secondsBefore = 0;
  let pruneSeconds = 0;
  let epochPruneSeconds = 0;
  let last = { trainAcc: 0, validAcc: 0, validLoss: NaN };
  let threads: SearchThreads | undefined;
  try {
    threads = await SearchThreads.start(
      trainer, pruneSgd,
      {
        space, input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses,
        seed: Rng.stream(seed, 'init').seed(), backend: backendChoiceOf(backend.name),
      },
      threadCount,
    );
    const th = threads;
    if (saved) {
      const s = saved.state;
      for (const name of net.weights.names()) assign(net.weights.get(name), saved.arrays.get(`w/${name}`), name);
      for (const name of net.arch.names()) assign(net.arch.get(name), saved.arrays.get(`a/${name}`), name);
      trainer.weightOpt.load(saved.arrays, s.optimizerSteps.weights);
      trainer.archOpt.load(saved.arrays, s.optimizerSteps.arch);
      for (const k of ['weights', 'arch', 'pruneTrain', 'pruneEval'] as const) it[k].restore(s.iterators[k]);
      pruneRng.restore(s.rng.prune);
      stats = s.prune;
      ({ epoch, step, acc, pruneSeconds, epochPruneSeconds, last } = { ...s, acc: { ...s.acc }, last: { ...s.last } });
      secondsBefore = s.seconds;
      if (s.backend !== backend.name) {
        publish(ev({ type: 'warning', message: `the run started on the ${s.backend} backend and resumes on ${backend.name}: results may differ slightly` }));
      }
      if (s.threads !== undefined && s.threads !== threadCount) {
        publish(ev({ type: 'warning', message: `the run started on ${s.threads} thread(s) and resumes on ${threadCount}: results may differ slightly (use --threads ${s.threads} to continue it exactly)` }));
      }
    }
    const t0 = performance.now();
    const elapsed = () => secondsBefore + (performance.now() - t0) / 1000;
    publish(ev({
      type: 'started', space: space.name, backend: backend.name, backend_reason: backend.reason, seed,
      parameters: net.parameterCount(), epochs: space.train.epochs, steps_per_epoch: steps, ops: opNames, edges: net.edges,
      resumed: saved !== undefined, threads: threadCount,
    }));
    const mem = estimateSupernetMemory(space, dataset.height, dataset.channels, batch);
    if (!saved && mem.totalBytes > space.budget.memoryMb * 1024 * 1024) {
      publish(ev({ type: 'warning', message: `estimated supernet memory ${(mem.totalBytes / 2 ** 20).toFixed(0)} MB exceeds budget.memory_mb = ${space.budget.memoryMb}; lower batch, channels or cells, or raise k` }));
    }

    const checkpoint = async (): Promise<string> => {
      const arrays: SavedArray[] = [];
      for (const name of net.weights.names()) arrays.push(await savedArray(`w/${name}`, net.weights.get(name)));
      for (const name of net.arch.names()) arrays.push(await savedArray(`a/${name}`, net.arch.get(name)));
      arrays.push(...(await trainer.weightOpt.save()), ...(await trainer.archOpt.save()));
      const state: SearchState = {
        seed, backend: backend.name, threads: threadCount, epoch, step, acc, seconds: elapsed(), pruneSeconds, epochPruneSeconds,
        rng: { prune: pruneRng.state() },
        iterators: { weights: it.weights.state(), arch: it.arch.state(), pruneTrain: it.pruneTrain.state(), pruneEval: it.pruneEval.state() },
        alive: net.alive, prune: stats,
        optimizerSteps: { weights: trainer.weightOpt.steps, arch: trainer.archOpt.steps },
        last,
      };
      return writeCheckpoint(outDir, state, arrays);
    };
    const derive = async (): Promise<Genotype> => deriveGenotype(await archNumbers(net), opNames, space.supernet.nodes, space.sampling.edgeNormalization, deriveLimitsOf(space));
    const measure = (split: 'arch' | 'test'): Promise<StepResult> => th.measure([...dataset[split].batches(batch)]);
    const finish = async (reason?: string): Promise<SearchOutcome> => {
      const genotype = await derive();
      const test = dataset.test.size > 0 ? await measure('test') : undefined;
      const seconds = elapsed();
      const result: RunResult = {
        genotype,
        metrics: {
          valid_acc: last.validAcc, test_acc: test && test.n ? test.correct / test.n : undefined, train_acc: last.trainAcc,
          search_seconds: seconds, prune_seconds: pruneSeconds, epochs: epoch - 1, epochs_planned: space.train.epochs,
        },
        seed, backend: backend.name, version: o.version ?? '0.0.0', space: space.name, stopped_early: reason,
      };
      writeResult(outDir, result);
      publish(ev({ type: 'genotype', epoch: epoch - 1, genotype, final: true }));
      publish(ev({ type: 'finished', genotype, seconds, valid_acc: last.validAcc, test_acc: result.metrics.test_acc, reason }));
      return { status: 'finished', result };
    };
    const cancel = async (): Promise<SearchOutcome> => {
      const path = await checkpoint();
      publish(ev({ type: 'checkpoint', epoch: epoch - 1, path }));
      publish(ev({ type: 'cancelled', epoch: epoch - 1, checkpoint: path }));
      return { status: 'cancelled' };
    };
    const budgetOver = () => space.budget.minutes !== undefined && elapsed() >= space.budget.minutes * 60;

    let lastStepEvent = -Infinity;
    const stepEvery = o.stepEventSeconds ?? 1;
    for (; epoch <= space.train.epochs; epoch++, step = 0) {
      const lr = scheduledLr(space.optimizers.weights, epoch - 1, space.train.epochs);
      let trainSeconds = 0;
      for (; step < steps; step++) {
        await yieldToEventLoop();
        if (o.signal?.aborted) return await cancel();
        if (budgetOver()) return await finish(`time budget of ${space.budget.minutes} minutes reached`);
        const s0 = performance.now();
        if (epoch > space.train.warmup) {
          const a = await th.archStep(it.arch.next(batch), epoch - 1);
          if (!Number.isFinite(a.loss)) return fail(`architecture loss became ${a.loss} at epoch ${epoch}, step ${step + 1}`);
        }
        const r = await th.weightStep(it.weights.nextInEpoch(batch), lr);
        trainSeconds += (performance.now() - s0) / 1000;
        if (!Number.isFinite(r.loss)) return fail(`training loss became ${r.loss} at epoch ${epoch}, step ${step + 1}`);
        acc.lossSum += r.loss * r.n;
        acc.correct += r.correct;
        acc.n += r.n;
        if (elapsed() - lastStepEvent >= stepEvery || step === steps - 1) {
          lastStepEvent = elapsed();
          publish(ev({ type: 'step', epoch, step: step + 1, steps, loss: r.loss, seconds: elapsed(), phase: 'train' }));
        }
      }
      // End of epoch: validation, pruning, events, checkpoint.
      const v0 = performance.now();
      const valid = await measure('arch');
      const validSeconds = (performance.now() - v0) / 1000;
      last = { trainAcc: acc.n ? acc.correct / acc.n : 0, validAcc: valid.n ? valid.correct / valid.n : 0, validLoss: valid.loss };
      const trainLoss = acc.n ? acc.lossSum / acc.n : NaN;
      if (pruningDue(space.pruning, epoch, space.train.epochs)) {
        const p0 = performance.now();
        let evals = 0;
        // One set of batches per round, shared by every candidate: their accuracies differ by the
        // sub-network alone, not by which images they happened to get.
        const needsData = space.pruning.criterion === 'performance' || space.pruning.criterion === 'ucb';
        const batches: PruneBatches = {
          train: needsData ? Array.from({ length: o.pruneTrainSteps ?? 2 }, () => it.pruneTrain.next(batch)) : [],
          eval: needsData ? Array.from({ length: o.pruneEvalBatches ?? 1 }, () => it.pruneEval.next(batch)) : [],
        };
        const evaluate = async (choices: readonly PathChoice[]): Promise<number[]> => {
          const scores = await th.evaluatePaths(choices, batches, lr);
          evals += choices.length;
          if (elapsed() - lastStepEvent >= stepEvery) {
            lastStepEvent = elapsed();
            publish(ev({ type: 'step', epoch, step: evals, steps, loss: scores.at(-1)?.loss ?? NaN, seconds: elapsed(), phase: 'prune' }));
          }
          await yieldToEventLoop();
          return scores.map((x) => x.accuracy);
        };
        const decisions = await pruneRound(await archNumbers(net), stats, space.pruning, pruneRng, evaluate, zeroOps);
        for (const d of decisions) {
          for (const prefix of net.prune(d.cell, d.edge, d.op)) trainer.forget(prefix);
          publish(ev({ type: 'pruned', epoch, cell: d.cell, edge: d.edge, op: opNames[d.op], score: d.score, round: stats.round }));
        }
        epochPruneSeconds = (performance.now() - p0) / 1000;
        pruneSeconds += epochPruneSeconds;
      } else {
        epochPruneSeconds = 0;
      }
      publish(ev({
        type: 'epoch', epoch, train_loss: trainLoss, train_acc: last.trainAcc, valid_loss: valid.loss, valid_acc: last.validAcc,
        seconds: elapsed(), ops_left: net.opsLeft(), prune_seconds: epochPruneSeconds, train_seconds: trainSeconds, valid_seconds: validSeconds,
      }));
      const arch = await archNumbers(net);
      for (const k of CELL_KINDS) {
        const w = opWeights(arch[k]);
        publish(ev({
          type: 'alphas', epoch, cell: k,
          weights: w.map((row, e) => Object.fromEntries(row.flatMap((v, op) => (arch[k].alive[e][op] ? [[opNames[op], v]] : [])))),
          betas: edgeWeights(arch[k], space.supernet.nodes, space.sampling.edgeNormalization),
        }));
      }
      publish(ev({ type: 'genotype', epoch, genotype: await derive() }));
      acc = { lossSum: 0, correct: 0, n: 0 };
      // The checkpoint names the next position: epoch + 1, step 0.
      epoch++;
      step = 0;
      const path = await checkpoint();
      epoch--;
      publish(ev({ type: 'checkpoint', epoch, path }));
    }
    return await finish();
  } catch (e) {
    return fail((e as Error).message);
  } finally {
    // Workers are stopped on every way out (finished, failed, cancelled), or the process would hang.
    await threads?.close();
    trainer.dispose();
    pruneSgd.dispose();
    net.dispose();
    log.close();
  }

  function fail(message: string): SearchOutcome {
    const full = `${message}; the last checkpoint (if any) in ${join(outDir, 'checkpoint')} is kept`;
    publish(ev({ type: 'failed', message: full }));
    return { status: 'failed', message: full };
  }
}

async function savedArray(name: string, v: tf.Variable): Promise<SavedArray> {
  return { name, shape: v.shape, data: (await v.data()) as Float32Array };
}

function assign(v: tf.Variable, a: SavedArray | undefined, name: string): void {
  if (!a) throw new Error(`the checkpoint has no value for ${name}: it belongs to another space`);
  if (a.shape.join(',') !== v.shape.join(',')) throw new Error(`the checkpoint's ${name} has shape [${a.shape}], the space needs [${v.shape}]`);
  tf.tidy(() => v.assign(tf.tensor(a.data, [...a.shape], 'float32')));
}
