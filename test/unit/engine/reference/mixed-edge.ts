/**
 * Test reference (per op): the PC-DARTS mixed edge with partial channel connections (docs/method.md, "Partial channels"):
 * the first C/K channels go through Σ_o w_o · o(x_part), the other channels bypass (2×2 max pooled
 * on a stride-2 edge), the two parts are concatenated and the channels shuffled with K groups.
 */
import * as tf from '@tensorflow/tfjs';
import { bypassPool } from '../../../../runtime/engine/pool.js';
import type { Op } from '../../../../runtime/supernet/candidate-ops.js';

export interface MixOptions {
  readonly k: number;
  readonly shuffle: boolean;
  readonly stride: 1 | 2;
}

/**
 * Channel shuffle with `groups` groups: [.., groups, C/groups] → swap → [.., C/groups, groups].
 * @param x shape [B, H, W, C], float32, C divisible by groups
 * @returns same shape, float32
 */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups <= 1) return x;
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    return tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [b, h, w, c]) as tf.Tensor4D;
  });
}

/**
 * Σ_o w_o · o(x) over the built ops of an edge, one op at a time.
 * @param x partial edge input, shape [B, H, W, C/K], float32
 * @param ops alive ops of the edge by op index (`undefined` = `none`, contributes zeros)
 * @param weights op weights of all edges, shape [E, O], float32; row `edge` is used
 * @returns shape [B, H/stride, W/stride, C/K], or undefined when only `none` is alive
 */
export function sumOps(
  x: tf.Tensor4D,
  ops: ReadonlyMap<number, Op | undefined>,
  weights: tf.Tensor2D,
  edge: number,
  training: boolean,
): tf.Tensor4D | undefined {
  let sum: tf.Tensor4D | undefined;
  for (const [index, op] of ops) {
    if (!op) continue;
    const term = tf.mul(op.apply(x, training), tf.slice(weights, [edge, index], [1, 1]).reshape([1])) as tf.Tensor4D;
    sum = sum ? (tf.add(sum, term) as tf.Tensor4D) : term;
  }
  return sum;
}

/**
 * One mixed edge with partial channels: `inner` computes the weighted op sum on the first C/K
 * channels; the rest bypass; then concatenation and shuffle.
 * @param x edge input, shape [B, H, W, C], float32
 * @param inner Σ_o w_o·o(x_part) for x_part [B, H, W, C/K] → [B, H/stride, W/stride, C/K]
 *   (undefined: every alive op is `none`)
 * @returns shape [B, H/stride, W/stride, C], float32
 */
export function mixEdge(x: tf.Tensor4D, inner: (part: tf.Tensor4D) => tf.Tensor4D | undefined, o: MixOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const part = c / o.k;
    const xa = o.k > 1 ? (tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, part]) as tf.Tensor4D) : x;
    const ho = Math.ceil(h / o.stride);
    const wo = Math.ceil(w / o.stride);
    // Only `none` alive: the edge outputs zeros (no gradient flows through it to x).
    const sum = inner(xa) ?? (tf.zeros([b, ho, wo, part]) as tf.Tensor4D);
    if (o.k === 1) return sum;
    const rest = tf.slice(x, [0, 0, 0, part], [-1, -1, -1, c - part]) as tf.Tensor4D;
    const bypass = o.stride === 2 ? bypassPool(rest) : rest;
    const joined = tf.concat([sum, bypass], 3) as tf.Tensor4D;
    return o.shuffle ? channelShuffle(joined, o.k) : joined;
  });
}
