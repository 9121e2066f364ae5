/**
 * PC-DARTS partial channels as matrix products. Routing 1/K of the channels through the mixed op,
 * concatenating the bypass and shuffling channels are pure channel permutations; on wasm the
 * slice/concat/transpose kernels (and their pad/split gradients) copy element by element and cost
 * 2–4× more than the same permutation as small matrix products, which run on the GEMM kernels
 * and differentiate without any missing kernel (measured: bench/engine/README.md).
 */
import * as tf from '@tensorflow/tfjs';

/** Selection and recombination matrices for C channels and K groups (owned; `dispose()`). */
export class PartialChannels {
  /** [C, C/K]: picks the first C/K channels. */
  private readonly pick: tf.Tensor2D;
  /** [C, C − C/K]: picks the bypass channels. */
  private readonly restPick: tf.Tensor2D;
  /** [C/K, C] and [C − C/K, C]: place the two parts after concatenation and shuffle. */
  private readonly placeMixed: tf.Tensor2D;
  private readonly placeRest: tf.Tensor2D;
  /** [C, C]: restPick · placeRest, so a stride-1 bypass is one product of x. */
  private readonly bypass: tf.Tensor2D;

  /**
   * @param channels C, divisible by k
   * @param k partial-channel factor (1 = all channels: everything is the identity)
   * @param shuffle channel shuffle with K groups after concatenation (PC-DARTS)
   */
  constructor(
    readonly channels: number,
    readonly k: number,
    readonly shuffle = true,
  ) {
    if (!Number.isInteger(channels / k)) throw new Error(`partial channels: ${channels} channels do not split into K = ${k} groups`);
    const c = channels;
    const part = c / k;
    const place = new Float32Array(c * c);
    // Concatenated channel i = g·(C/K) + j lands at j·K + g after the shuffle.
    for (let i = 0; i < c; i++) {
      const target = shuffle && k > 1 ? (i % part) * k + Math.floor(i / part) : i;
      place[i * c + target] = 1;
    }
    const m = tf.tidy(() => {
      const eye = tf.eye(c);
      const p = tf.tensor2d(place, [c, c]);
      const restPick = tf.slice(eye, [0, part], [c, c - part]) as tf.Tensor2D;
      const placeRest = tf.slice(p, [part, 0], [c - part, c]) as tf.Tensor2D;
      return {
        pick: tf.slice(eye, [0, 0], [c, part]) as tf.Tensor2D,
        restPick,
        placeMixed: tf.slice(p, [0, 0], [part, c]) as tf.Tensor2D,
        placeRest,
        // K = 1 has no bypass: a [C, 0]·[0, C] product is an invalid XNNPACK operator.
        bypass: k > 1 ? (tf.matMul(restPick, placeRest) as tf.Tensor2D) : (tf.zeros([c, c]) as tf.Tensor2D),
      };
    });
    this.pick = tf.keep(m.pick);
    this.restPick = tf.keep(m.restPick);
    this.placeMixed = tf.keep(m.placeMixed);
    this.placeRest = tf.keep(m.placeRest);
    this.bypass = tf.keep(m.bypass);
  }

  /**
   * The channels that go through the mixed op.
   * @param x shape [B, H, W, C], float32
   * @returns shape [B, H, W, C/K], float32 (x itself when K = 1)
   */
  select(x: tf.Tensor4D): tf.Tensor4D {
    if (this.k === 1) return x;
    return tf.tidy(() => {
      const [b, h, w] = x.shape;
      return tf.reshape(tf.matMul(tf.reshape(x, [-1, this.channels]), this.pick), [b, h, w, this.channels / this.k]) as tf.Tensor4D;
    });
  }

  /**
   * The bypass channels (for a strided edge, to be pooled before {@link combine}).
   * @param x shape [B, H, W, C], float32
   * @returns shape [B, H, W, C − C/K], float32
   */
  rest(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h, w] = x.shape;
      return tf.reshape(tf.matMul(tf.reshape(x, [-1, this.channels]), this.restPick), [b, h, w, this.channels - this.channels / this.k]) as tf.Tensor4D;
    });
  }

  /**
   * shuffle(concat([mixed, bypass])) as products.
   * @param mixed mixed-op output, shape [B, Ho, Wo, C/K], float32
   * @param source either the edge input x [B, Ho, Wo, C] (stride 1: its bypass channels are taken
   *   directly) or the already-selected bypass [B, Ho, Wo, C − C/K] (e.g. pooled on a strided edge)
   * @returns shape [B, Ho, Wo, C], float32
   */
  combine(mixed: tf.Tensor4D, source: tf.Tensor4D): tf.Tensor4D {
    if (this.k === 1) return mixed;
    return tf.tidy(() => {
      const [b, h, w] = mixed.shape;
      const c = this.channels;
      const bypassMatrix = source.shape[3] === c ? this.bypass : this.placeRest;
      const y = tf.add(
        tf.matMul(tf.reshape(mixed, [-1, c / this.k]), this.placeMixed),
        tf.matMul(tf.reshape(source, [-1, source.shape[3]]), bypassMatrix),
      );
      return tf.reshape(y, [b, h, w, c]) as tf.Tensor4D;
    });
  }

  dispose(): void {
    tf.dispose([this.pick, this.restPick, this.placeMixed, this.placeRest, this.bypass]);
  }
}
