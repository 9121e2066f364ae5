/**
 * Training a genotype from scratch as a discrete binarized network (`bnas evaluate`): one protocol
 * for the derived cell, random cells and reference cells, so their test accuracies compare.
 * Protocol: the whole train set (weight and architecture splits, augmented as the space says),
 * SGD with the space's weight optimizer (momentum, weight decay, cosine schedule, clipping),
 * `epochs` epochs, then accuracy on the held-out test split with running batch-norm statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/index.js';
import type { SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { DiscreteNetwork } from '../supernet/discrete.js';
import { clipByGlobalNorm, Optimizer, scheduledLr } from './optimizers.js';
import { crossEntropy, gradsOf, tensors } from './trainer.js';

export interface TrainOptions {
  readonly epochs: number;
  readonly seed: number;
  /** Called after each epoch (progress). */
  readonly onEpoch?: (epoch: number, loss: number, trainAcc: number) => void;
  readonly signal?: AbortSignal;
}

export interface TrainResult {
  /** Test accuracy, fraction in [0, 1]. */
  readonly accuracy: number;
  readonly trainAcc: number;
  readonly seconds: number;
  readonly parameters: number;
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
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const lr = scheduledLr(space.optimizers.weights, epoch, o.epochs);
      let lossSum = 0, correct = 0, n = 0;
      for (let s = 0; s < steps; s++) {
        o.signal?.throwIfAborted();
        const b = it.nextInEpoch(batch);
        const vars = new Map(Object.entries(net.weights.trainableMap()));
        const { x, y, labels } = tensors(b, dataset.numClasses);
        try {
          const r = gradsOf(vars, () => {
            const logits = net.forward(x, true);
            return { loss: crossEntropy(logits, y), logits };
          }, labels);
          if (!Number.isFinite(r.loss)) throw new Error(`training loss became ${r.loss} in epoch ${epoch + 1}; lower the learning rate`);
          clipByGlobalNorm(r.grads, opt.spec.gradClip);
          opt.apply(vars, r.grads, lr);
          tf.dispose([...r.grads.values()]);
          lossSum += r.loss * b.n;
          correct += r.correct;
          n += b.n;
        } finally {
          tf.dispose([x, y, labels]);
        }
        await new Promise<void>((r) => setImmediate(r));
      }
      trainAcc = n ? correct / n : 0;
      o.onEpoch?.(epoch + 1, n ? lossSum / n : NaN, trainAcc);
    }
    let correct = 0, n = 0;
    for (const b of dataset.test.batches(batch)) {
      correct += tf.tidy(() => {
        const { x, labels } = tensors(b, dataset.numClasses);
        return tf.sum(tf.cast(tf.equal(tf.argMax(net.forward(x, false), 1), labels), 'float32')).dataSync()[0];
      });
      n += b.n;
    }
    return { accuracy: n ? correct / n : 0, trainAcc, seconds: (performance.now() - t0) / 1000, parameters: net.parameterCount() };
  } finally {
    opt.dispose();
    net.dispose();
  }
}
