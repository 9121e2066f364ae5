/**
 * The full-precision parent guide (`guide { parent = real }`, docs/method.md, "Parent guide"):
 * the parent search's space, the guide term of the binary search's architecture loss and its
 * weight schedule, and how the parent phase's events appear in the run's stream.
 */
import * as tf from '@tensorflow/tfjs';
import type { SearchSpace } from '../dsl/space.js';
import type { RunEvent } from '../protocol/events.js';
import type { CellKind, Genotype } from '../protocol/genotype.js';

/** What the parent phase leaves the binary search; checkpointed with it. */
export interface ParentResult {
  /** softmax(α_parent) per cell kind: rows in edge order, columns in op order. */
  readonly weights: Record<CellKind, number[][]>;
  /** The parent's own derived cells. */
  readonly genotype: Genotype;
  /** Epochs the parent ran and its supernet's last validation accuracy. */
  readonly epochs: number;
  readonly validAcc: number;
  /** Wall and CPU seconds of the parent phase (the search's clock continues from them). */
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/**
 * The parent of a guided space: the same supernet, data, seed, schedule and regularizers with
 * full-precision weights and activations, `guide.epochs` epochs (warm-up `train.warmup`) and
 * no pruning, so every op keeps its α to the end.
 */
export function parentSpace(space: SearchSpace): SearchSpace {
  const { guide, ...rest } = space;
  if (!guide) throw new Error(`space ${space.name} has no parent guide`);
  return {
    ...rest,
    binarize: { ...space.binarize, weights: 'none', activations: 'real' },
    pruning: { ...space.pruning, criterion: 'none' },
    train: { ...space.train, epochs: guide.epochs },
  };
}

/**
 * The guide term's weight in the architecture steps of epoch `epoch` (0-based, as the trainer's
 * architecture step gets it); 0 without a guide. `decay = linear`: w·(1 − (e − warmup − 1)/(epochs − warmup))
 * with e = epoch + 1, so w in the first architecture epoch and w/(epochs − warmup) in the last.
 */
export function guideWeight(space: SearchSpace, epoch: number): number {
  const g = space.guide;
  if (!g || !(g.weight > 0)) return 0;
  if (g.decay === 'none') return g.weight;
  const { epochs, warmup } = space.train;
  return g.weight * Math.max(0, 1 - (epoch - warmup) / Math.max(1, epochs - warmup));
}

/**
 * Σ over edges of KL(p ‖ q): q = softmax(α + mask) is the search's op distribution, p the
 * parent's restricted to the ops alive (mask 0; pruned ops carry −1e9) and renormalized. Its
 * gradient on α is q − p per edge. Call inside a tape to differentiate it.
 * @param alpha α of one cell kind, [E, O], float32
 * @param mask the alive mask of that cell kind, [E, O], float32
 * @param parent the parent's softmax(α_parent), [E, O], float32 (rows sum to 1)
 * @returns the scalar KL sum, float32
 */
export function guideKl(alpha: tf.Tensor2D, mask: tf.Tensor2D, parent: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const kept = tf.mul(parent, tf.cast(tf.greater(mask, -1), 'float32'));
    const p = tf.div(kept, tf.sum(kept, 1, true));
    // p·log p is a constant; the floor keeps 0·log 0 at 0 for pruned ops.
    const plogp = tf.mul(p, tf.log(tf.maximum(p, 1e-30)));
    return tf.sum(tf.sub(plogp, tf.mul(p, tf.logSoftmax(tf.add(alpha, mask))))) as tf.Scalar;
  });
}

/**
 * How an event of the parent phase appears in the run's stream: its progress as `parent`
 * events, its checkpoints and a cancellation as the run's own (0 search epochs done), failures
 * and warnings as they are; its α, genotype and pruning events stay out.
 * @param epochs the parent's planned epochs
 */
export function parentEvent(e: RunEvent, epochs: number): RunEvent | undefined {
  const { time } = e;
  switch (e.type) {
    case 'started':
      return { type: 'parent', time, stage: 'started', epoch: 0, epochs, steps: e.steps_per_epoch, resumed: e.resumed };
    case 'step':
      return { type: 'parent', time, stage: 'step', epoch: e.epoch, epochs, step: e.step, steps: e.steps, loss: e.loss, seconds: e.seconds };
    case 'epoch':
      return { type: 'parent', time, stage: 'epoch', epoch: e.epoch, epochs, loss: e.train_loss, valid_acc: e.valid_acc, seconds: e.seconds };
    case 'checkpoint':
    case 'cancelled':
      return { ...e, epoch: 0 };
    case 'parent':
    case 'failed':
    case 'warning':
      return e;
    default:
      return undefined;
  }
}
