/**
 * Memory discipline helpers: tensor counting and a leak assertion for tests and benchmarks.
 */
import * as tf from '@tensorflow/tfjs';

/** Live tensors on the current backend's engine (variables included). */
export function tensorCount(): number {
  return tf.memory().numTensors;
}

/** What {@link assertNoLeak} measured. */
export interface LeakReport {
  /** Tensors alive after the warm-up steps. */
  readonly before: number;
  /** Tensors alive after the measured steps. */
  readonly after: number;
  readonly steps: number;
}

/**
 * Runs `step` `warmup` times (lazily created state such as optimizer slots may appear there),
 * then `steps` more times, and throws if the live tensor count changed by more than
 * `tolerance`. `step` may be async; it must not return tensors it does not dispose itself.
 */
export async function assertNoLeak(
  step: (i: number) => unknown,
  steps = 5,
  options: { warmup?: number; tolerance?: number } = {},
): Promise<LeakReport> {
  const warmup = options.warmup ?? 1;
  const tolerance = options.tolerance ?? 0;
  for (let i = 0; i < warmup; i++) await step(i);
  const before = tensorCount();
  for (let i = 0; i < steps; i++) await step(warmup + i);
  const after = tensorCount();
  if (Math.abs(after - before) > tolerance) {
    throw new Error(
      `tensor leak: ${before} tensors after ${warmup} warm-up step(s), ${after} after ${steps} more ` +
        `(${((after - before) / steps).toFixed(1)} per step); wrap op bodies in tf.tidy and dispose step results`,
    );
  }
  return { before, after, steps };
}
