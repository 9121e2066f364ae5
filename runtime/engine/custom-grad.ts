/** The one shape every filtered op (conv, depthwise) shares: a forward kernel plus a hand-written gradient. */
import * as tf from '@tensorflow/tfjs';

/**
 * Runs `forward(x, w)` with the gradient `backward(dy, x, w) → [dx, dw]` (both saved for it).
 * @param x input, shape [B, H, W, C], float32
 * @param w filter, float32
 */
export function filteredOp(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  forward: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  backward: (dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D],
): tf.Tensor4D {
  const op = tf.customGrad((xi, wi, save) => {
    const xt = xi as tf.Tensor4D;
    const wt = wi as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt, wt]);
    return {
      value: forward(xt, wt),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => backward(dy, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
    };
  });
  return op(x, w) as tf.Tensor4D;
}
