/**
 * Training a genotype from scratch as a discrete binarized network (`bnas evaluate`): one protocol
 * for the derived cell, random cells and reference cells, so their test accuracies compare.
 * Protocol: the whole train set (weight and architecture splits, augmented as the space says),
 * SGD with the space's weight optimizer (momentum, weight decay, cosine schedule, clipping),
 * `epochs` epochs, then accuracy on the held-out test split with running batch-norm statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, Dataset } from '../data/index.js';
import type { SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { DiscreteNetwork, resolveOpSpec } from '../supernet/discrete.js';
import { clipByGlobalNorm, Optimizer, scheduledLr } from './optimizers.js';
import { crossEntropy, gradsOf, tensors } from './trainer.js';

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

/** Test accuracy of `net` with running batch-norm statistics, fraction in [0, 1]. */
async function testAccuracy(net: DiscreteNetwork, dataset: Dataset, batch: number): Promise<number> {
  let correct = 0, n = 0;
  for (const b of dataset.test.batches(batch)) {
    const hits = tf.tidy(() => {
      const { x, labels } = tensors(b, dataset.numClasses);
      return tf.sum(tf.cast(tf.equal(tf.argMax(net.forward(x, false), 1), labels), 'float32'));
    });
    correct += (await hits.data())[0];
    hits.dispose();
    n += b.n;
  }
  return n ? correct / n : 0;
}

/** One SGD step of `net` on batch `b`; returns the batch's loss and correct count. */
export async function trainStep(net: DiscreteNetwork, opt: Optimizer, b: Batch, lr: number, numClasses: number): Promise<{ loss: number; correct: number }> {
  const vars = new Map(Object.entries(net.weights.trainableMap()));
  const { x, y, labels } = tensors(b, numClasses);
  try {
    const r = await gradsOf(vars, () => {
      const logits = net.forward(x, true);
      return { loss: crossEntropy(logits, y), logits };
    }, labels);
    if (Number.isFinite(r.loss)) {
      clipByGlobalNorm(r.grads, opt.spec.gradClip);
      opt.apply(vars, r.grads, lr);
    }
    tf.dispose([...r.grads.values()]);
    return { loss: r.loss, correct: r.correct };
  } finally {
    tf.dispose([x, y, labels]);
  }
}

/** Trains `genotype` from scratch on `dataset` and measures test accuracy. */
export async function trainGenotype(space: SearchSpace, genotype: Genotype, dataset: Dataset, o: TrainOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const net = new DiscreteNetwork(space, genotype, { input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses, seed: o.seed });
  const opt = new Optimizer(space.optimizers.weights, 'opt.eval');
  const batch = space.train.batch;
  const it = dataset.train.iterator();
  const steps = it.stepsPerEpoch(batch);
  let trainAcc = 0;
  const curve: number[] = [];
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const lr = scheduledLr(space.optimizers.weights, epoch, o.epochs);
      let lossSum = 0, correct = 0, n = 0;
      for (let s = 0; s < steps; s++) {
        o.signal?.throwIfAborted();
        const b = it.nextInEpoch(batch);
        const r = await trainStep(net, opt, b, lr, dataset.numClasses);
        if (!Number.isFinite(r.loss)) throw new Error(`training loss became ${r.loss} in epoch ${epoch + 1}; lower the learning rate`);
        lossSum += r.loss * b.n;
        correct += r.correct;
        n += b.n;
        await new Promise<void>((r) => setImmediate(r));
      }
      trainAcc = n ? correct / n : 0;
      losses.push(n ? lossSum / n : NaN);
      o.onEpoch?.(epoch + 1, n ? lossSum / n : NaN, trainAcc);
      if (o.curve && epoch < o.epochs - 1) curve.push(await testAccuracy(net, dataset, batch));
    }
    const accuracy = await testAccuracy(net, dataset, batch);
    if (o.curve) curve.push(accuracy);
    await o.onTrained?.(net);
    return { accuracy, trainAcc, seconds: (performance.now() - t0) / 1000, parameters: net.parameterCount(), losses, ...(o.curve ? { curve } : {}) };
  } finally {
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
