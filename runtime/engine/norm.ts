/**
 * Batch normalisation. `tf.batchNorm` without scale and offset cannot be differentiated, so the
 * normalisation is written out with a fused hand-written gradient
 * dx = rstd · (dy − mean(dy) − x̂ · mean(dy · x̂)), which also saves the many small element-wise
 * ops autodiff of the moments would record.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormFast, batchNormTrain } from './cell-kernels.js';
import { batchNormComposed } from './composed-kernels.js';
import { BN_EPSILON } from './epsilon.js';
import type { ParamStore } from './params.js';

export { BN_EPSILON };

/** The running statistics' default weight of a new batch (PyTorch's). */
export const BN_MOMENTUM = 0.1;

/**
 * Normalises each channel with the batch's mean and variance (no affine terms).
 * @param x input, shape [B, H, W, C], float32
 * @param onStats called once in the forward pass with the batch mean and biased variance
 *   (shape [C], float32; owned by the caller's tidy) — for running statistics
 * @returns shape [B, H, W, C], float32, per-channel zero mean and unit variance
 */
export function batchNorm(
  x: tf.Tensor4D,
  epsilon = BN_EPSILON,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D {
  return batchNormComposed(x, epsilon, onStats);
}

/** Options of a {@link BatchNormLayer}. */
export interface BatchNormOptions {
  /** Learn a per-channel scale γ (init 1) and shift β (init 0). Search: false. */
  readonly affine?: boolean;
  /** Keep running mean/variance for evaluation. */
  readonly trackRunningStats?: boolean;
  /**
   * Weight of the new batch in the running statistics (PyTorch's convention), default
   * {@link BN_MOMENTUM}. Read at every update, so the owner of a shared options object can change
   * it (re-estimating the statistics as a plain average: docs/method.md, "Evaluation from scratch").
   */
  readonly momentum?: number;
  readonly epsilon?: number;
}

/**
 * Batch norm with optional affine terms and running statistics, its variables in a
 * {@link ParamStore} under `prefix` (`.gamma`, `.beta` trainable; `.runningMean`,
 * `.runningVar` not trainable).
 */
export class BatchNormLayer {
  private readonly epsilon: number;

  constructor(
    private readonly store: ParamStore,
    readonly prefix: string,
    readonly channels: number,
    private readonly options: BatchNormOptions = {},
  ) {
    this.epsilon = options.epsilon ?? BN_EPSILON;
    if (options.affine) {
      store.create(`${prefix}.gamma`, [channels], 'ones');
      store.create(`${prefix}.beta`, [channels], 'zeros');
    }
    if (options.trackRunningStats) {
      store.create(`${prefix}.runningMean`, [channels], 'zeros', false);
      store.create(`${prefix}.runningVar`, [channels], 'ones', false);
    }
  }

  /**
   * @param x shape [B, H, W, C], float32
   * @param training batch statistics (and running-stat update) when true; running statistics
   *   when false (falls back to batch statistics if they are not tracked)
   * @returns shape [B, H, W, C], float32
   */
  apply(x: tf.Tensor4D, training = true): tf.Tensor4D {
    return tf.tidy(() => {
      let y: tf.Tensor4D;
      if (!training && this.options.trackRunningStats) {
        const mean = this.store.get(`${this.prefix}.runningMean`);
        const variance = this.store.get(`${this.prefix}.runningVar`);
        y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon))) as tf.Tensor4D;
      } else if (training && this.options.trackRunningStats && this.options.affine) {
        // Evaluation's training batch norm: normalisation, affine terms and the batch statistics
        // in one kernel each way.
        const r = batchNormTrain(x, this.store.get(`${this.prefix}.gamma`), this.store.get(`${this.prefix}.beta`), this.epsilon);
        this.updateRunning(x)(r.mean, r.variance);
        return r.y;
      } else {
        const update = training && this.options.trackRunningStats ? this.updateRunning(x) : undefined;
        // Without running statistics (the search's BNs): the one-kernel-each-way loop of the
        // fused cell (same values and gradient; the stock-op version is ~10 kernels forward and
        // reductions with transposes backward).
        y = update ? batchNorm(x, this.epsilon, update) : batchNormFast(x, this.epsilon);
      }
      if (this.options.affine) {
        y = tf.add(tf.mul(y, this.store.get(`${this.prefix}.gamma`)), this.store.get(`${this.prefix}.beta`));
      }
      return y;
    });
  }

  private updateRunning(x: tf.Tensor4D): (mean: tf.Tensor1D, variance: tf.Tensor1D) => void {
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    return (mean, variance) => {
      const m = this.options.momentum ?? BN_MOMENTUM;
      const runningMean = this.store.get(`${this.prefix}.runningMean`);
      const runningVar = this.store.get(`${this.prefix}.runningVar`);
      tf.tidy(() => {
        // Running variance is unbiased, as in PyTorch, so evaluation matches reference code.
        const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
        runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)));
        runningVar.assign(tf.add(tf.mul(runningVar, 1 - m), tf.mul(unbiased, m)));
      });
    };
  }
}
