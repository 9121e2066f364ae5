/**
 * The search's steps on one or more threads. With `threads` = N > 1 it starts N − 1 engine workers
 * ({@link DataParallelGroup}, each with its own backend and a supernet replica from `replica.ts`):
 * a weight or architecture step splits its batch into N shards (the main thread computes shard 0
 * meanwhile), the gradients are averaged weighted by shard size and applied once on the main
 * thread, whose variables stay the only state (checkpoints and resume are unchanged). Pruning
 * candidates and validation batches are shared out round robin. Batch-norm statistics are per
 * shard (as DistributedDataParallel without SyncBN), so N threads give other numbers than one
 * thread, but the same numbers for the same N every time. With `shardSteps` false the steps stay
 * on the main thread (one thread's arithmetic) and only the forward-only and per-candidate work is
 * shared: the run's numbers are then bit-identical to one thread's (docs/design.md, "Threads").
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Batch } from '../data/index.js';
import type { BackendChoice } from '../engine/backend.js';
import type { StepDropout } from '../engine/dropout.js';
import { checkThreads, type ThreadsChoice } from '../protocol/threads.js';
import { resolveThreads, type StepSampler, type TrialMemory } from '../engine/cores.js';
import { DataParallelGroup, type ShardResult } from '../engine/data-parallel.js';
import type { Optimizer } from './optimizers.js';
import type { PathChoice } from './pruning.js';
import { combine, gradArrays, shardDropout, shardOf } from './shards.js';
import { evaluatePath, exactNumbers, packVariables, type PathScore, probeLosses, sharePart, syncedNames, type PruneBatches, type ReplicaConfig, type ReplicaWork } from './replica-protocol.js';
import type { EdgeRestriction } from '../supernet/supernet.js';
import type { StepResult, Trainer } from './trainer.js';

/**
 * A replica module beside this one: `source` from sources (tsx), `bundled` beside a bundle
 * (default: the search's, `replica.ts` / `search-replica.cjs`).
 */
export function replicaModulePath(source = 'replica.ts', bundled = 'search-replica.cjs'): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, source), join(here, bundled)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`threads: no replica module found (looked for ${candidates.join(', ')})`);
  return found;
}

/**
 * Starts `threads − 1` workers on replicas of `module` (shards 1…threads − 1; the caller computes
 * shard 0); the error says how to go on without threads.
 */
export async function startReplicas(module: string, config: { readonly backend: BackendChoice }, threads: number, what: 'search' | 'evaluation'): Promise<DataParallelGroup> {
  try {
    return await DataParallelGroup.start({
      module,
      config,
      shards: Array.from({ length: threads - 1 }, (_, i) => i + 1),
      totalShards: threads,
      backend: config.backend,
    });
  } catch (e) {
    throw new Error(`could not start ${threads - 1} ${what} worker thread(s): ${(e as Error).message}; run with --threads 1 to compute on one thread`);
  }
}

/** Runs the search's steps on `threads` threads; close() stops the workers. */
export class SearchThreads {
  private calls = 0;
  /** Requests sent to the workers, by kind of work. */
  readonly requests: Record<ReplicaWork['kind'], number> = { weights: 0, arch: 0, paths: 0, edges: 0, measure: 0 };
  /**
   * Variable groups changed on the main thread since the replicas last got them. Only this class
   * changes the supernet's variables during a search (steps; candidates put theirs back; pruning
   * disposes the same variables on both sides), so it can tell.
   */
  private dirty = { weights: true, arch: true };

  private constructor(
    private readonly trainer: Trainer,
    private readonly sgd: Optimizer,
    readonly threads: number,
    readonly shardSteps: boolean,
    private readonly group?: DataParallelGroup,
  ) {}

  /**
   * Starts `threads − 1` workers (none for 1) on `backend`.
   * @param sgd the plain SGD of pruning candidates' brief training
   * @param shardSteps split weight and architecture steps across the threads; false: steps on the
   *   main thread alone, pruning candidates, edge probes and measurements shared
   */
  static async start(trainer: Trainer, sgd: Optimizer, config: ReplicaConfig, threads: number, shardSteps = true): Promise<SearchThreads> {
    checkThreads(threads);
    if (threads === 1) return new SearchThreads(trainer, sgd, 1, true);
    return new SearchThreads(trainer, sgd, threads, shardSteps, await startReplicas(replicaModulePath(), config, threads, 'search'));
  }

  /** Whether a step of `batch` is split across the workers (else the main thread computes it alone). */
  private sharded(batch: Batch): boolean {
    return this.group !== undefined && this.shardSteps && batch.n >= this.threads;
  }

  /** Posts a request with the current variables to every worker. */
  private request(work: ReplicaWork): Promise<ShardResult[]> {
    const group = this.group as DataParallelGroup;
    const sync = this.dirty;
    this.dirty = { weights: false, arch: false };
    this.requests[work.kind]++;
    const p = group
      .gradients(packVariables(this.trainer.net, sync), this.calls++, { ...work, alive: this.trainer.net.alive, sync, binaryShare: this.trainer.net.binaryShare })
      .catch((e: Error) => {
        throw new Error(`a search worker thread failed: ${e.message}`);
      });
    // Awaited after the main thread's own share; until then a rejection must not count as unhandled.
    p.catch(() => undefined);
    return p;
  }

  private shapes(names: readonly string[], arch: boolean): Map<string, readonly number[]> {
    const store = arch ? this.trainer.net.arch : this.trainer.net.weights;
    return new Map(names.map((n) => [n, store.get(n).shape]));
  }

  /**
   * One SGD step on the weights with a weight-split batch.
   * @param drop the step's dropout on parameter-free ops (each shard draws its own masks)
   */
  async weightStep(batch: Batch, lr: number, drop?: StepDropout): Promise<StepResult> {
    if (!this.sharded(batch)) {
      this.dirty.weights = true;
      return this.trainer.weightStep(batch, lr, undefined, undefined, drop);
    }
    const names = syncedNames(this.trainer.net).weights;
    const remote = this.request({ kind: 'weights', batch, drop });
    const own = shardOf(batch, 0, this.threads);
    const local = await this.trainer.weightGrads(own, undefined, shardDropout(drop, 0));
    const mine: ShardResult = { loss: local.loss, grads: await gradArrays(local, names, own.n) };
    const r = combine([mine, ...(await remote)], names, this.shapes(names, false));
    this.trainer.applyWeightGrads(r.grads, lr);
    this.dirty.weights = true;
    return { loss: r.loss, correct: r.correct, n: batch.n };
  }

  /**
   * One Adam step on α and β with an architecture-split batch (epoch 0-based, for the regulariser).
   * @param drop the step's dropout on parameter-free ops (each shard draws its own masks)
   */
  async archStep(batch: Batch, epoch: number, drop?: StepDropout): Promise<StepResult> {
    if (!this.sharded(batch)) {
      this.dirty.arch = true;
      return this.trainer.archStep(batch, epoch, drop);
    }
    const names = syncedNames(this.trainer.net).arch;
    const remote = this.request({ kind: 'arch', batch, epoch, drop });
    const own = shardOf(batch, 0, this.threads);
    const local = await this.trainer.archGrads(own, epoch, shardDropout(drop, 0));
    const mine: ShardResult = { loss: local.loss, grads: await gradArrays(local, names, own.n) };
    const r = combine([mine, ...(await remote)], names, this.shapes(names, true));
    this.trainer.applyArchGrads(r.grads, epoch);
    this.dirty.arch = true;
    return { loss: r.loss, correct: r.correct, n: batch.n };
  }

  /**
   * Accuracies of pruning candidates, each trained and measured in isolation on `batches`
   * (see {@link evaluatePath}); the same numbers on any thread count.
   */
  async evaluatePaths(choices: readonly PathChoice[], batches: PruneBatches, lr: number): Promise<PathScore[]> {
    const out = new Array<PathScore>(choices.length);
    const remote = this.group ? this.request({ kind: 'paths', choices, batches, lr }) : undefined;
    for (const i of sharePart(choices.length, 0, this.threads)) out[i] = await evaluatePath(this.trainer, choices[i], batches, lr, this.sgd);
    if (remote) {
      (await remote).forEach((r, w) => {
        const [accuracy, loss] = [exactNumbers(r.grads[0]), exactNumbers(r.grads[1])];
        sharePart(choices.length, w + 1, this.threads).forEach((i, j) => (out[i] = { accuracy: accuracy[j], loss: loss[j] }));
      });
    }
    return out;
  }

  /**
   * The loss of each example of `batches` under the supernet with each probe's edge restricted
   * (`undefined`: unrestricted), in probe order; the same numbers on any thread count.
   */
  async measureEdges(probes: readonly (EdgeRestriction | undefined)[], batches: readonly Batch[]): Promise<number[][]> {
    const out = new Array<number[]>(probes.length);
    const remote = this.group ? this.request({ kind: 'edges', probes, batches }) : undefined;
    for (const i of sharePart(probes.length, 0, this.threads)) out[i] = await probeLosses(this.trainer, probes[i], batches);
    if (remote) {
      const n = batches.reduce((a, b) => a + b.n, 0);
      (await remote).forEach((r, w) => {
        const losses = exactNumbers(r.grads[0]);
        sharePart(probes.length, w + 1, this.threads).forEach((i, j) => (out[i] = losses.slice(j * n, (j + 1) * n)));
      });
    }
    return out;
  }

  /**
   * Mean loss and correct count of the supernet over `batches` (forward only), summed in batch
   * order: the same numbers on any thread count.
   */
  async measure(batches: readonly Batch[]): Promise<StepResult> {
    const remote = this.group && batches.length > 1 ? this.request({ kind: 'measure', batches }) : undefined;
    const shares = remote ? this.threads : 1;
    const each = new Array<{ loss: number; correct: number }>(batches.length);
    for (const i of sharePart(batches.length, 0, shares)) each[i] = await this.trainer.evaluate(batches[i]);
    for (const [w, r] of (remote ? await remote : []).entries()) {
      const v = exactNumbers(r.grads[0]);
      sharePart(batches.length, w + 1, shares).forEach((i, j) => (each[i] = { loss: v[2 * j], correct: v[2 * j + 1] }));
    }
    let lossSum = 0, correct = 0, n = 0;
    each.forEach((r, i) => {
      lossSum += r.loss * batches[i].n;
      correct += r.correct;
      n += batches[i].n;
    });
    return { loss: n ? lossSum / n : NaN, correct, n };
  }

  /** Stops the workers (safe to call twice). */
  async close(): Promise<void> {
    await this.group?.close();
  }
}

/** The threads of a search and whether its steps are split across them (see {@link SearchThreads.start}). */
export interface SearchThreadsChoice {
  readonly threads: number;
  readonly shardSteps: boolean;
  readonly reason: string;
}

/**
 * The thread count of a search: as {@link resolveThreads} with the search's shared work (pruning
 * and measurements), so `auto` may keep the steps on one thread and share the rest; `auto` resumes
 * a run on the count and step sharding it started with (`resumedWith`; sharded where a checkpoint
 * does not say). A number of threads shards the steps unless `shardSteps` is false.
 * @param sharedFit the most of n threads whose workers fit the machine's memory when each holds one
 *   thread's batches (steps unsharded, so their memory adds up): `auto` takes no more than that
 */
export async function searchThreads(
  choice: ThreadsChoice,
  backend: string,
  batch: number,
  resumedWith?: { readonly threads?: number; readonly shardSteps?: boolean },
  sampler?: () => StepSampler,
  memory?: TrialMemory,
  shardSteps = true,
  sharedFit: (threads: number) => number = (n) => n,
): Promise<SearchThreadsChoice> {
  const chosen = await decideThreads(choice, backend, batch, resumedWith, sampler, memory, shardSteps);
  if (choice !== 'auto' || chosen.shardSteps) return chosen;
  const fit = sharedFit(chosen.threads);
  return fit >= chosen.threads ? chosen : { threads: fit, shardSteps: fit <= 1, reason: `${chosen.reason}; ${fit} of them fit the machine's memory` };
}

/** {@link searchThreads} before the memory bound. */
async function decideThreads(
  choice: ThreadsChoice,
  backend: string,
  batch: number,
  resumedWith: { readonly threads?: number; readonly shardSteps?: boolean } | undefined,
  sampler: (() => StepSampler) | undefined,
  memory: TrialMemory | undefined,
  shardSteps: boolean,
): Promise<SearchThreadsChoice> {
  if (choice === 'auto' && resumedWith?.threads !== undefined) {
    const sharded = resumedWith.shardSteps ?? true;
    return { threads: resumedWith.threads, shardSteps: sharded, reason: `auto: the thread count${sharded ? '' : ' and the unsharded steps'} the run started with` };
  }
  const r = await resolveThreads(choice, batch, backend, sampler, undefined, memory, true);
  if (choice !== 'auto' && !shardSteps && r.threads > 1) return { threads: r.threads, shardSteps: false, reason: 'asked for, the steps on 1 thread' };
  return { threads: r.threads, shardSteps: r.shardSteps ?? true, reason: r.reason };
}
