/**
 * The steps of the bi-level first-order search on a supernet: a weight step (SGD on the weight
 * split), an architecture step (Adam on α, β with the architecture split, the decaying diversity
 * regulariser and, in a guided search, the parent guide's term), evaluation, and the brief
 * single-path training used by pruning evaluations.
 * Weight and architecture steps may drop the outputs of parameter-free ops ({@link dropoutRate});
 * evaluation and pruning's training never do. Each step is tidy: gradients are applied and
 * disposed before it returns.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/index.js';
import type { SearchSpace } from '../dsl/space.js';
import { CELL_KINDS, type CellKind } from '../protocol/genotype.js';
import type { StepDropout } from '../engine/dropout.js';
import type { EdgeRestriction, PathChoice, Supernet } from '../supernet/supernet.js';
import { clipByGlobalNorm, Optimizer, type NamedGrads } from './optimizers.js';
import { accumulate, partDropout, partsOf } from './shards.js';
import { guideKl, guideWeight } from './guide.js';

/** Loss and correct predictions of one batch. */
export interface StepResult {
  readonly loss: number;
  readonly correct: number;
  readonly n: number;
}

/** The images and one-hot labels of a batch as tensors (the caller disposes them). */
export function tensors(batch: Batch, numClasses: number): { x: tf.Tensor4D; y: tf.Tensor2D; labels: tf.Tensor1D } {
  const x = tf.tensor4d(batch.x, [...batch.shape]);
  const labels = tf.tensor1d(batch.y, 'int32');
  const y = tf.tidy(() => tf.oneHot(labels, numClasses).toFloat() as tf.Tensor2D);
  return { x, y, labels };
}

/** Mean cross entropy of logits [B, classes] against one-hot y [B, classes]. */
export function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
}

/**
 * Runs `f` → loss with gradients w.r.t. `vars` (keyed by our names); returns the gradients (the
 * caller disposes them) and the loss and correct count read back. Asynchronous: a GPU backend
 * cannot read values back synchronously in Node (docs/design.md, "Backends and kernels").
 */
export async function gradsOf(
  vars: ReadonlyMap<string, tf.Variable>,
  f: () => { loss: tf.Scalar; logits: tf.Tensor2D },
  labels: tf.Tensor1D,
): Promise<GradResult> {
  const byTfName = new Map([...vars].map(([name, v]) => [v.name, name]));
  let stats: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const { loss, logits } = f();
    stats = tf.keep(tf.stack([loss, tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'))]));
    return loss;
  }, [...vars.values()]);
  tf.dispose(value);
  let loss: number, correct: number;
  try {
    [loss, correct] = await (stats as tf.Tensor).data();
  } catch (err) {
    tf.dispose([...Object.values(grads)]);
    throw err;
  } finally {
    tf.dispose(stats as tf.Tensor);
  }
  const named: NamedGrads = new Map();
  for (const [tfName, g] of Object.entries(grads)) named.set(byTfName.get(tfName) as string, g);
  return { grads: named, loss, correct };
}

/** Gradients by our variable names, with the batch's loss and correct count. */
export interface GradResult {
  readonly grads: NamedGrads;
  readonly loss: number;
  readonly correct: number;
}

/**
 * The rate of `regularize.dropout` in epoch `epoch` (1-based), as P-DARTS schedules it: during the
 * `warmup` epochs it falls linearly, dropout·(epochs − epoch)/epochs; afterwards it decays as
 * dropout·exp(−dropout_decay·(epoch − warmup − 1)) (docs/method.md, "Collapse").
 */
export function dropoutRate(space: SearchSpace, epoch: number): number {
  const p = space.regularize.dropout ?? 0;
  if (!(p > 0)) return 0;
  const { epochs, warmup } = space.train;
  if (epoch <= warmup) return (p * Math.max(0, epochs - epoch)) / epochs;
  return p * Math.exp(-(space.regularize.dropoutDecay ?? 0.2) * (epoch - warmup - 1));
}

/**
 * λ of progressive binarization (`binarize.progressive` = E epochs) before step `step` (0-based)
 * of epoch `epoch` (1-based), with `steps` steps an epoch: min(1, ((epoch − 1)·steps + step) / (E·steps)),
 * linear per step from 0 at the first step; at the end of epoch e (step = steps) min(1, e/E).
 * A function of the position alone, so a resumed search continues the same ramp. 1 when E = 0
 * (docs/method.md, "Progressive binarization").
 */
export function binaryShare(space: SearchSpace, epoch: number, step: number, steps: number): number {
  const ramp = (space.binarize.progressive ?? 0) * steps;
  if (!(ramp > 0)) return 1;
  return Math.min(1, ((epoch - 1) * steps + step) / ramp);
}

/** Trainable variables of a store as a name → variable map. */
export function varMap(store: Supernet['weights']): Map<string, tf.Variable> {
  return new Map(Object.entries(store.trainableMap()));
}

/** Owns the optimizers of a search and runs its steps. */
export class Trainer {
  readonly weightOpt: Optimizer;
  readonly archOpt: Optimizer;
  /**
   * Images per micro-batch: a batch with more is computed in parts whose gradients are summed
   * before the one optimizer step (docs/method.md, "Micro-batches"); Infinity: at once.
   */
  microBatch = Infinity;
  /** The parent's op distribution per cell kind in a guided search ({@link guideBy}). */
  private guide?: Record<CellKind, tf.Tensor2D>;

  constructor(
    readonly net: Supernet,
    readonly space: SearchSpace,
    readonly numClasses: number,
  ) {
    this.weightOpt = new Optimizer(space.optimizers.weights, 'opt.weights');
    this.archOpt = new Optimizer(space.optimizers.arch, 'opt.arch');
  }

  /**
   * Gradients of the mean cross entropy w.r.t. the supernet weights on a weight-split batch, over
   * the whole supernet or a single path (variables off the path get no gradient). The caller owns
   * the returned gradients.
   * @param drop the search step's dropout on parameter-free ops (never with `path`)
   */
  async weightGrads(batch: Batch, path?: PathChoice, drop?: StepDropout): Promise<GradResult> {
    const vars = varMap(this.net.weights);
    return accumulate(batch, this.microBatch, vars, async (part, i) => {
      const { x, y, labels } = tensors(part, this.numClasses);
      try {
        return await gradsOf(vars, () => {
          const logits = this.net.forward(x, true, path, undefined, partDropout(drop, i));
          return { loss: crossEntropy(logits, y), logits };
        }, labels);
      } finally {
        tf.dispose([x, y, labels]);
      }
    });
  }

  /**
   * Gradients w.r.t. α and β on an architecture-split batch. The loss adds
   * −diversity·exp(−epoch/τ)·mean entropy of softmax(α) (Kim et al.): high early, vanishing later.
   * @param drop the search step's dropout on parameter-free ops
   */
  async archGrads(batch: Batch, epoch: number, drop?: StepDropout): Promise<GradResult> {
    const vars = varMap(this.net.arch);
    const { diversity, tau } = this.space.regularize;
    const weight = diversity * Math.exp(-epoch / tau);
    // Every part adds the whole regulariser: the parts' weights sum to 1, so the sum adds it once.
    return accumulate(batch, this.microBatch, vars, async (part, i) => {
      const { x, y, labels } = tensors(part, this.numClasses);
      try {
        return await gradsOf(vars, () => {
          const logits = this.net.forward(x, true, undefined, undefined, partDropout(drop, i));
          let loss = crossEntropy(logits, y);
          if (weight > 0) {
            // Entropy via logSoftmax: pruned ops have p = 0 and a finite log p, so p·log p = 0 exactly.
            const entropy = tf.addN(
              CELL_KINDS.map((k) => {
                const logp = tf.logSoftmax(tf.add(this.net.arch.get(`alpha.${k}`), this.net.alphaMask(k)) as tf.Tensor2D);
                return tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)));
              }),
            );
            loss = tf.sub(loss, tf.mul(entropy, weight / CELL_KINDS.length)) as tf.Scalar;
          }
          return { loss, logits };
        }, labels);
      } finally {
        tf.dispose([x, y, labels]);
      }
    });
  }

  /**
   * Clips and applies weight gradients, then disposes them.
   * @param optimizer the search's weight optimizer, or a plain SGD for pruning evaluations
   */
  applyWeightGrads(grads: NamedGrads, lr: number, optimizer: Optimizer = this.weightOpt): void {
    clipByGlobalNorm(grads, optimizer.spec.gradClip);
    optimizer.apply(varMap(this.net.weights), grads, lr);
    tf.dispose([...grads.values()]);
  }

  /**
   * Guides the architecture steps towards a parent's op distribution (docs/method.md, "Parent
   * guide"): from now on {@link applyArchGrads} adds the guide term's gradient.
   * @param weights softmax(α_parent) per cell kind, edges × ops
   */
  guideBy(weights: Record<CellKind, number[][]>): void {
    this.disposeGuide();
    this.guide = { normal: tf.tensor2d(weights.normal), reduce: tf.tensor2d(weights.reduce) };
  }

  /**
   * Adds to `grads` the gradient on α of w·Σ_kinds Σ_edges KL(parent ‖ softmax(α)), w the
   * guide's weight in epoch `epoch` (0-based). Data-independent, so it is added once to the
   * step's combined gradients, whatever the threads and micro-batches.
   */
  private addGuideGrads(grads: NamedGrads, epoch: number): void {
    const w = guideWeight(this.space, epoch);
    const guide = this.guide;
    if (!guide || !(w > 0)) return;
    const names = CELL_KINDS.map((k) => `alpha.${k}`);
    const vars = names.map((n) => this.net.arch.get(n));
    const r = tf.variableGrads(() => tf.mul(tf.addN(CELL_KINDS.map((k, i) => guideKl(vars[i] as tf.Variable<tf.Rank.R2>, this.net.alphaMask(k), guide[k]))), w) as tf.Scalar, vars);
    r.value.dispose();
    names.forEach((name, i) => {
      const g = r.grads[vars[i].name];
      const old = grads.get(name);
      grads.set(name, old ? tf.add(old, g) : g);
      if (old) tf.dispose([old, g]);
    });
  }

  /**
   * Clips and applies α/β gradients with the architecture optimizer, then disposes them.
   * @param epoch the step's epoch (0-based): in a guided search the guide term's gradient for it
   *   is added first
   */
  applyArchGrads(grads: NamedGrads, epoch?: number): void {
    if (epoch !== undefined) this.addGuideGrads(grads, epoch);
    clipByGlobalNorm(grads, this.archOpt.spec.gradClip);
    this.archOpt.apply(varMap(this.net.arch), grads, this.archOpt.spec.lr);
    tf.dispose([...grads.values()]);
  }

  /**
   * One SGD step on the supernet weights (or on a single path) with a weight-split batch.
   * @param optimizer the search's weight optimizer, or a plain SGD for pruning evaluations
   * @param drop the search step's dropout on parameter-free ops (never with `path`)
   */
  async weightStep(batch: Batch, lr: number, path?: PathChoice, optimizer: Optimizer = this.weightOpt, drop?: StepDropout): Promise<StepResult> {
    const r = await this.weightGrads(batch, path, drop);
    this.applyWeightGrads(r.grads, lr, optimizer);
    return { loss: r.loss, correct: r.correct, n: batch.n };
  }

  /** One first-order Adam step on α and β with an architecture-split batch (see {@link archGrads}). */
  async archStep(batch: Batch, epoch: number, drop?: StepDropout): Promise<StepResult> {
    const r = await this.archGrads(batch, epoch, drop);
    this.applyArchGrads(r.grads, epoch);
    return { loss: r.loss, correct: r.correct, n: batch.n };
  }

  /**
   * Loss and correct count of the supernet (or a single path) on a batch: forward only, no tape,
   * no update. Search batch norms have no running statistics, so both modes normalise with the
   * batch's own statistics; `training` only matters for layers that distinguish the two.
   */
  async evaluate(batch: Batch, path?: PathChoice, training = true): Promise<StepResult> {
    const parts = partsOf(batch, this.microBatch);
    let loss = 0, correct = 0;
    // In micro-batches as the steps are: a forward pass keeps its activations until its tidy ends.
    for (const part of parts) {
      const stats = tf.tidy(() => {
        const { x, y, labels } = tensors(part, this.numClasses);
        const logits = this.net.forward(x, training, path);
        const l = crossEntropy(logits, y);
        const c = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
        return tf.stack([l, c]);
      });
      try {
        const [l, c] = await stats.data();
        loss += parts.length === 1 ? l : (l * part.n) / batch.n;
        correct += c;
      } finally {
        stats.dispose();
      }
    }
    return { loss, correct, n: batch.n };
  }

  /**
   * The cross-entropy of each example of `batch` (nats, in batch order) under the supernet, with
   * `restrict`'s edge restricted (pruning's per-edge evidence): forward only, inference mode, in
   * micro-batches as {@link evaluate}. Their mean is `evaluate`'s loss.
   */
  async exampleLosses(batch: Batch, restrict?: EdgeRestriction): Promise<number[]> {
    const out: number[] = [];
    for (const part of partsOf(batch, this.microBatch)) {
      const each = tf.tidy(() => {
        const { x, y } = tensors(part, this.numClasses);
        return tf.losses.softmaxCrossEntropy(y, this.net.forward(x, false, undefined, restrict), undefined, 0, tf.Reduction.NONE) as tf.Tensor1D;
      });
      try {
        out.push(...(await each.data()));
      } finally {
        each.dispose();
      }
    }
    return out;
  }

  /** Drops the optimizer slots of a pruned op's variables. */
  forget(prefix: string): void {
    this.weightOpt.forget(prefix);
  }

  private disposeGuide(): void {
    if (this.guide) tf.dispose([this.guide.normal, this.guide.reduce]);
    this.guide = undefined;
  }

  dispose(): void {
    this.weightOpt.dispose();
    this.archOpt.dispose();
    this.disposeGuide();
  }
}
