/**
 * Inverted dropout with seeded masks, for the search's dropout on parameter-free ops
 * (docs/method.md, "Collapse"). The mask is drawn by `tf.randomUniform` from a seed string, in
 * JavaScript before it reaches the backend, so the same seed gives the same mask on every backend
 * and a resumed search draws the masks an uninterrupted one would.
 */
import * as tf from '@tensorflow/tfjs';

/** Dropout for one forward pass: the rate and the seed its masks derive from. */
export interface StepDropout {
  /** Probability in [0, 1) that a value is zeroed; the values kept are scaled by 1/(1 − rate). */
  readonly rate: number;
  /** Seed of the pass; each place that drops extends it (`${seed}/c0`, then `/e3/o1`). */
  readonly seed: string;
}

/** `d` for one part of the pass (a cell, an edge's op, a shard): the same rate, a derived seed. */
export function dropoutFor(d: StepDropout, part: string): StepDropout {
  return { rate: d.rate, seed: `${d.seed}/${part}` };
}

/**
 * x with each value zeroed with probability `d.rate` and the others scaled by 1/(1 − d.rate)
 * (inverted dropout: the expected value is x).
 * @param x any shape, float32
 * @returns same shape, float32; x itself when the rate is 0
 */
export function dropout<T extends tf.Tensor>(x: T, d: StepDropout): T {
  if (!(d.rate > 0)) return x;
  if (d.rate >= 1) throw new Error(`dropout rate ${d.rate} is not below 1`);
  return tf.tidy(() => {
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', d.seed), d.rate), 'float32');
    return tf.mul(x, tf.mul(keep, 1 / (1 - d.rate))) as T;
  });
}
