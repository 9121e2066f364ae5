/**
 * Training a genotype from scratch as a discrete binarized network (`bnas evaluate`): one protocol
 * for the derived cell, random cells and reference cells, so their test accuracies compare.
 * Protocol: the whole train set (weight and architecture splits, augmented as the space says),
 * SGD with the space's weight optimizer (momentum, weight decay, cosine schedule, clipping),
 * `epochs` epochs, then accuracy on the held-out test split with running batch-norm statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, Dataset } from '../data/index.js';
import type { BackendChoice } from '../engine/backend.js';
import { DataParallelGroup, type ShardResult } from '../engine/data-parallel.js';
import type { SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { DiscreteNetwork, resolveOpSpec } from '../supernet/discrete.js';
import { clipByGlobalNorm, type NamedGrads, Optimizer, scheduledLr } from './optimizers.js';
import { replicaModulePath, startReplicas } from './parallel.js';
import { sharePart } from './replica-protocol.js';
import { accumulate, combine, gradArrays, microBatchOf, partSize, partsOf, shardOf } from './shards.js';
import { crossEntropy, gradsOf, tensors, type GradResult } from './trainer.js';

export interface TrainOptions {
  readonly epochs: number;
  readonly seed: number;
  /** Called after each epoch (progress). */
  readonly onEpoch?: (epoch: number, loss: number, trainAcc: number) => void;
  readonly signal?: AbortSignal;
  /**
   * Also measure test accuracy after every epoch (the learning curve, `TrainResult.curve`): a
   * diagnostic of whether the protocol's epochs have converged; never used to pick a cell.
   */
  readonly curve?: boolean;
  /** Called with the trained network before it is disposed (`bnas evaluate --save`). */
  readonly onTrained?: (net: DiscreteNetwork) => Promise<void>;
  /**
   * Threads to train on (default 1): N − 1 data-parallel workers ({@link EvalThreads}); the
   * caller resolves `auto` (runtime/engine/cores.ts). Same seed and thread count → same network.
   */
  readonly threads?: number;
  /** The backend the workers activate (the main thread's; default wasm). */
  readonly backend?: BackendChoice;
  /**
   * Images per micro-batch of each thread's shard (default: {@link microBatchOf}, i.e.
   * `train.micro_batch` or the automatic choice for the backend's heap).
   */
  readonly microBatch?: number;
}

export interface TrainResult {
  /** Test accuracy, fraction in [0, 1]. */
  readonly accuracy: number;
  readonly trainAcc: number;
  readonly seconds: number;
  readonly parameters: number;
  /** Test accuracy after each epoch when `curve` was asked for (the last equals `accuracy`). */
  readonly curve?: readonly number[];
  /** Mean training loss of each epoch. */
  readonly losses: readonly number[];
}

/**
 * Correct predictions of `net` on batch `b` with running batch-norm statistics, in parts of at
 * most `microBatch` images (exact: inference mode normalizes every image alike).
 */
export async function batchCorrect(net: DiscreteNetwork, b: Batch, numClasses: number, microBatch = Infinity): Promise<number> {
  let correct = 0;
  for (const part of partsOf(b, microBatch)) {
    const hits = tf.tidy(() => {
      const { x, labels } = tensors(part, numClasses);
      return tf.sum(tf.cast(tf.equal(tf.argMax(net.forward(x, false), 1), labels), 'float32'));
    });
    try {
      correct += (await hits.data())[0];
    } finally {
      hits.dispose();
    }
  }
  return correct;
}

/**
 * Loss, correct count and gradients of `net` on batch `b` (training mode: batch-norm statistics
 * are updated), in micro-batches of at most `microBatch` images (docs/method.md, "Micro-batches").
 */
export async function stepGrads(net: DiscreteNetwork, b: Batch, numClasses: number, microBatch = Infinity): Promise<GradResult> {
  const vars = new Map(Object.entries(net.weights.trainableMap()));
  const stats = evalArrays(net).stats.map((n) => net.weights.get(n));
  return accumulate(b, microBatch, vars, async (part) => {
    const { x, y, labels } = tensors(part, numClasses);
    try {
      return await gradsOf(vars, () => {
        const logits = net.forward(x, true);
        return { loss: crossEntropy(logits, y), logits };
      }, labels);
    } finally {
      tf.dispose([x, y, labels]);
    }
  }, stats);
}

/** Clips and applies `grads` (skipped for a non-finite loss); disposes them. */
function applyGrads(net: DiscreteNetwork, opt: Optimizer, grads: NamedGrads, loss: number, lr: number): void {
  if (Number.isFinite(loss)) {
    clipByGlobalNorm(grads, opt.spec.gradClip);
    opt.apply(new Map(Object.entries(net.weights.trainableMap())), grads, lr);
  }
  tf.dispose([...grads.values()]);
}

/** One SGD step of `net` on batch `b` (in micro-batches of at most `microBatch`); returns the batch's loss and correct count. */
export async function trainStep(net: DiscreteNetwork, opt: Optimizer, b: Batch, lr: number, numClasses: number, microBatch = Infinity): Promise<{ loss: number; correct: number }> {
  const r = await stepGrads(net, b, numClasses, microBatch);
  applyGrads(net, opt, r.grads, r.loss, lr);
  return { loss: r.loss, correct: r.correct };
}

/** How an evaluation replica builds its network (structured-cloned to every worker once). */
export interface EvalReplicaConfig {
  readonly space: SearchSpace;
  readonly genotype: Genotype;
  readonly input: readonly [number, number, number];
  readonly numClasses: number;
  readonly seed: number;
  readonly backend: BackendChoice;
  /** Images per micro-batch of a shard (default: at once). */
  readonly microBatch?: number;
}

/** One request to the evaluation replicas: a training batch to shard, or test batches to share out. */
export type EvalRequest = { readonly kind: 'train'; readonly batch: Batch } | { readonly kind: 'test'; readonly batches: readonly Batch[] };

/**
 * The arrays that travel with every request, by name: the trainable weights, then the batch-norm
 * running statistics (not trainable), in the store's order.
 */
export function evalArrays(net: DiscreteNetwork): { names: string[]; trainable: string[]; stats: string[] } {
  const trainable = Object.keys(net.weights.trainableMap());
  const set = new Set(trainable);
  const stats = net.weights.names().filter((n) => !set.has(n));
  return { names: [...trainable, ...stats], trainable, stats };
}

/** Loads arrays in {@link evalArrays} order into `net`. */
export function loadEvalArrays(net: DiscreteNetwork, arrays: readonly Float32Array[]): void {
  const { names } = evalArrays(net);
  if (names.length !== arrays.length) throw new Error(`evaluation replica out of sync: it has ${names.length} variables, the main thread sent ${arrays.length}`);
  tf.tidy(() => names.forEach((n, i) => {
    const v = net.weights.get(n);
    v.assign(tf.tensor(arrays[i], v.shape, 'float32'));
  }));
}

/**
 * Training and testing a discrete network on one or more threads (docs/design.md, "Threads").
 * With N > 1 threads, N − 1 workers each hold a replica (`evaluate-replica.ts`); a step splits
 * its batch into N shards (the main thread computes shard 0 meanwhile), averages the gradients
 * weighted by shard size, and applies them once on the main thread. Batch-norm running statistics
 * are averaged the same way: each shard updates them from its own batch statistics, and the mean
 * of those updates is the update with the shards' mean statistics. Test batches are shared out
 * round robin. The main thread's network stays the only state.
 */
export class EvalThreads {
  private calls = 0;
  private constructor(
    private readonly net: DiscreteNetwork,
    private readonly numClasses: number,
    readonly threads: number,
    private readonly microBatch: number,
    private readonly group?: DataParallelGroup,
  ) {}

  /** Starts `threads − 1` workers (none for 1). */
  static async start(net: DiscreteNetwork, config: EvalReplicaConfig, threads: number): Promise<EvalThreads> {
    if (threads <= 1) return new EvalThreads(net, config.numClasses, 1, config.microBatch ?? Infinity);
    const group = await startReplicas(replicaModulePath('evaluate-replica.ts', 'evaluate-replica.cjs'), config, threads, 'evaluation');
    return new EvalThreads(net, config.numClasses, threads, config.microBatch ?? Infinity, group);
  }

  private request(req: EvalRequest): Promise<ShardResult[]> {
    const arrays = evalArrays(this.net).names.map((n) => this.net.weights.get(n).dataSync() as Float32Array);
    const p = (this.group as DataParallelGroup).gradients(arrays, this.calls++, req).catch((e: Error) => {
      throw new Error(`an evaluation worker thread failed: ${e.message}`);
    });
    // Awaited after the main thread's own share; until then a rejection must not count as unhandled.
    p.catch(() => undefined);
    return p;
  }

  /** One step on batch `b`: the same as {@link trainStep} on one thread. */
  async step(opt: Optimizer, b: Batch, lr: number): Promise<{ loss: number; correct: number }> {
    if (!this.group || b.n < this.threads) return trainStep(this.net, opt, b, lr, this.numClasses, this.microBatch);
    const remote = this.request({ kind: 'train', batch: b });
    const own = shardOf(b, 0, this.threads);
    const local = await stepGrads(this.net, own, this.numClasses, this.microBatch);
    const { names, trainable, stats } = evalArrays(this.net);
    const arrays = await gradArrays(local, trainable, own.n);
    const counts = arrays.pop() as Float32Array;
    const mine: ShardResult = { loss: local.loss, grads: [...arrays, ...stats.map((n) => this.net.weights.get(n).dataSync() as Float32Array), counts] };
    const r = combine([mine, ...(await remote)], names, new Map(names.map((n) => [n, this.net.weights.get(n).shape])));
    const grads: NamedGrads = new Map();
    for (const [n, t] of r.grads) {
      if (stats.includes(n)) {
        this.net.weights.get(n).assign(t);
        t.dispose();
      } else grads.set(n, t);
    }
    applyGrads(this.net, opt, grads, r.loss, lr);
    return { loss: r.loss, correct: r.correct };
  }

  /** Test accuracy with running batch-norm statistics, fraction in [0, 1]. */
  async testAccuracy(dataset: Dataset, batch: number): Promise<number> {
    const batches = [...dataset.test.batches(batch)];
    const remote = this.group && batches.length > 1 ? this.request({ kind: 'test', batches }) : undefined;
    let correct = 0, n = 0;
    for (const i of sharePart(batches.length, 0, remote ? this.threads : 1)) {
      correct += await batchCorrect(this.net, batches[i], this.numClasses, this.microBatch);
      n += batches[i].n;
    }
    for (const r of remote ? await remote : []) {
      correct += r.grads[0][0];
      n += r.grads[0][1];
    }
    return n ? correct / n : 0;
  }

  /** Stops the workers (safe to call twice). */
  async close(): Promise<void> {
    await this.group?.close();
  }
}

/** Training batches the batch-norm statistics are re-estimated over before a test (at most). */
export const BN_ESTIMATE_BATCHES = 200;

/**
 * Re-estimates `net`'s batch-norm statistics with its current weights over the first
 * {@link BN_ESTIMATE_BATCHES} training batches in split order, without augmentation
 * (`DiscreteNetwork.estimateStatistics`; docs/method.md, "Evaluation from scratch").
 * Micro-batched as training is, so a batch that does not fit at once does not have to here. Lets
 * the event loop run between batches, as a training step does, so a cancel gets through.
 * @returns the number of forward passes
 */
export async function estimateBatchNorm(net: DiscreteNetwork, dataset: Dataset, batch: number, microBatch = Infinity, signal?: AbortSignal): Promise<number> {
  let averaged = 0;
  let k = 0;
  for (const b of dataset.train.batches(batch)) {
    if (k++ >= BN_ESTIMATE_BATCHES) break;
    signal?.throwIfAborted();
    const parts = partsOf(b, microBatch).map((part) => tf.tensor4d(part.x, [...part.shape]));
    try {
      averaged = net.estimateStatistics(parts, averaged);
    } finally {
      tf.dispose(parts);
    }
    await new Promise<void>((r) => setImmediate(r));
  }
  return averaged;
}

/**
 * Trains `genotype` from scratch on `dataset` and measures test accuracy, with the batch-norm
 * statistics re-estimated for the final weights ({@link estimateBatchNorm}); so is every point of
 * the optional curve.
 */
export async function trainGenotype(space: SearchSpace, genotype: Genotype, dataset: Dataset, o: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const input = [dataset.height, dataset.width, dataset.channels] as const;
  const net = new DiscreteNetwork(space, genotype, { input, numClasses: dataset.numClasses, seed: o.seed });
  const opt = new Optimizer(space.optimizers.weights, 'opt.eval');
  const batch = space.train.batch;
  const it = dataset.train.iterator();
  const steps = it.stepsPerEpoch(batch);
  let trainAcc = 0;
  const curve: number[] = [];
  const losses: number[] = [];
  const backend = o.backend ?? 'wasm';
  const plan = microBatchOf(space, dataset, backend, o.threads ?? 1);
  const microBatch = o.microBatch ?? partSize(plan);
  let th: EvalThreads | undefined;
  try {
    th = await EvalThreads.start(net, { space, genotype, input, numClasses: dataset.numClasses, seed: o.seed, backend, microBatch }, o.threads ?? 1);
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const lr = scheduledLr(space.optimizers.weights, epoch, o.epochs);
      let lossSum = 0, correct = 0, n = 0;
      for (let s = 0; s < steps; s++) {
        o.signal?.throwIfAborted();
        const b = it.nextInEpoch(batch);
        const r = await th.step(opt, b, lr);
        if (!Number.isFinite(r.loss)) throw new Error(`training loss became ${r.loss} in epoch ${epoch + 1}; lower the learning rate`);
        lossSum += r.loss * b.n;
        correct += r.correct;
        n += b.n;
        await new Promise<void>((r) => setImmediate(r));
      }
      trainAcc = n ? correct / n : 0;
      losses.push(n ? lossSum / n : NaN);
      o.onEpoch?.(epoch + 1, n ? lossSum / n : NaN, trainAcc);
      if (o.curve && epoch < o.epochs - 1) {
        await estimateBatchNorm(net, dataset, batch, microBatch, o.signal);
        curve.push(await th.testAccuracy(dataset, batch));
      }
    }
    await estimateBatchNorm(net, dataset, batch, microBatch, o.signal);
    const accuracy = await th.testAccuracy(dataset, batch);
    if (o.curve) curve.push(accuracy);
    await o.onTrained?.(net);
    return { accuracy, trainAcc, seconds: (performance.now() - t0) / 1000, parameters: net.parameterCount(), losses, ...(o.curve ? { curve } : {}) };
  } finally {
    await th?.close();
    opt.dispose();
    net.dispose();
  }
}

/**
 * The same space with real-valued weights and activations everywhere (`binarize { weights = none,
 * activations = real }`): training a genotype in it and in the original space gives the
 * binary-vs-float gap of that cell under one protocol (same data, epochs, optimizer, seed).
 */
export function realValuedSpace(space: SearchSpace): SearchSpace {
  return { ...space, binarize: { ...space.binarize, weights: 'none', activations: 'real' } };
}

/** One op replaced while adapting a genotype to a space (for reports). */
export interface OpSubstitution {
  readonly cell: 'normal' | 'reduce';
  readonly from: string;
  readonly to: string;
}

export interface AdaptedGenotype {
  readonly genotype: Genotype;
  readonly substitutions: readonly OpSubstitution[];
  /** Intermediate nodes dropped because the space has fewer (0 when none). */
  readonly droppedNodes: number;
}

const POOLS = new Set(['max_pool', 'avg_pool']);
const CONVS = new Set(['sep_conv', 'dil_conv', 'conv']);

/**
 * Adapts a genotype from elsewhere (e.g. a published reference cell) to `space`, so it is trained
 * with the ops the space offers rather than ops the space never searched over:
 * - an op the space has is kept;
 * - otherwise the space's op of the same kind with the nearest kernel (`sep_conv_5x5` →
 *   `sep_conv_3x3`), else of the same family (convs: sep/dil/plain; pools: max/avg), else
 *   `skip_connect` for a skip, else the op is kept by its built-in name;
 * - nodes beyond the space's `nodes` are dropped (inputs only point backwards, so the first nodes
 *   form a valid cell) and the concat lists keep the remaining nodes.
 */
export function adaptGenotype(genotype: Genotype, space: SearchSpace): AdaptedGenotype {
  const substitutions: OpSubstitution[] = [];
  const candidates = space.ops.filter((o) => o.kind !== 'zero');
  const mapOp = (cell: 'normal' | 'reduce', name: string): string => {
    if (space.ops.some((o) => o.name === name)) return name;
    let spec;
    try {
      spec = resolveOpSpec(name, space);
    } catch {
      return name; // unknown names are reported by the network builder with the allowed list
    }
    const byKernel = (pool: typeof candidates) =>
      [...pool].sort((a, b) => Math.abs(a.kernel - spec.kernel) - Math.abs(b.kernel - spec.kernel) || Math.abs(a.dilation - spec.dilation) - Math.abs(b.dilation - spec.dilation))[0];
    const family = CONVS.has(spec.kind) ? CONVS : POOLS.has(spec.kind) ? POOLS : new Set([spec.kind]);
    const pick = byKernel(candidates.filter((o) => o.kind === spec.kind)) ?? byKernel(candidates.filter((o) => family.has(o.kind)));
    if (!pick) return name;
    substitutions.push({ cell, from: name, to: pick.name });
    return pick.name;
  };
  const nodes = Math.min(genotype.normal.length / 2, space.supernet.nodes);
  const cell = (kind: 'normal' | 'reduce') =>
    (kind === 'normal' ? genotype.normal : genotype.reduce).slice(0, 2 * nodes).map(([op, input]) => [mapOp(kind, op), input] as const);
  const concat = (c: readonly number[]) => {
    const kept = c.filter((s) => s < nodes + 2);
    // A cell whose concat lost every node outputs its last node, as DARTS cells do.
    return kept.length ? kept : [nodes + 1];
  };
  return {
    genotype: { normal: cell('normal'), normal_concat: concat(genotype.normal_concat), reduce: cell('reduce'), reduce_concat: concat(genotype.reduce_concat) },
    substitutions,
    droppedNodes: Math.max(0, genotype.normal.length / 2 - nodes),
  };
}
