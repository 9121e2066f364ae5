/**
 * SGD with momentum and Adam, both with L2 weight decay added to the gradient (PyTorch semantics,
 * as DARTS-family code uses them), global-norm gradient clipping, and explicit slot variables keyed
 * by parameter name so a checkpoint can save and restore them exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { clipOnDevice, globalNorm, optimizerStep, scaleAll } from '../engine/fused-optim.js';
import { kernelChoice } from '../engine/kernel-choice.js';
import type { OptimizerSpec } from '../dsl/space.js';
import type { SavedArray } from './checkpoint.js';

/** Gradients keyed by parameter name. */
export type NamedGrads = Map<string, tf.Tensor>;

/**
 * Scales gradients so their global L2 norm is at most `clip` (no-op when clip is 0/undefined).
 * @returns the norm before clipping (a plain number); undefined on a backend without loop kernels
 *   (a GPU), where the norm stays on the device and clipping needs no read-back
 */
export function clipByGlobalNorm(grads: NamedGrads, clip: number | undefined): number | undefined {
  if (!kernelChoice().loopKernels) {
    if (!clip || clip <= 0 || !grads.size) return undefined;
    const names = [...grads.keys()];
    const old = [...grads.values()];
    const clipped = clipOnDevice(old, clip);
    names.forEach((name, i) => grads.set(name, clipped[i]));
    tf.dispose(old);
    return undefined;
  }
  // One kernel for the norm and one for the scaling (was 2–3 kernels per gradient).
  const norm = globalNorm([...grads.values()]);
  if (clip && clip > 0 && norm > clip) {
    const names = [...grads.keys()];
    const old = [...grads.values()];
    const scaled = scaleAll(old, clip / (norm + 1e-6));
    names.forEach((name, i) => grads.set(name, scaled[i]));
    tf.dispose(old);
  }
  return norm;
}

/** Learning rate of epoch `epoch` (0-based) out of `epochs`: cosine from lr to lr/25, or constant. */
export function scheduledLr(spec: OptimizerSpec, epoch: number, epochs: number): number {
  if (spec.schedule !== 'cosine') return spec.lr;
  // DARTS anneals 0.025 → 0.001: the same ratio for any base rate.
  const min = spec.lr / 25;
  return min + 0.5 * (spec.lr - min) * (1 + Math.cos((Math.PI * epoch) / Math.max(epochs, 1)));
}

/** An optimizer over named variables; owns its slot variables. */
export class Optimizer {
  private readonly slots = new Map<string, tf.Variable>();
  /** Steps taken (Adam's bias correction). */
  steps = 0;

  constructor(
    readonly spec: OptimizerSpec,
    /** Prefix of this optimizer's arrays in checkpoints. */
    readonly id: string,
  ) {}

  private slot(kind: string, name: string, like: tf.Tensor): tf.Variable {
    const key = `${kind}:${name}`;
    let v = this.slots.get(key);
    if (!v) {
      // In a tidy: the zeros the variable copies are not kept.
      v = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      this.slots.set(key, v);
    }
    return v;
  }

  /**
   * One update: params[name] -= lr · direction(grads[name]). Disposes nothing it was given.
   * @param params variables by name (float32)
   * @param grads gradients by name, same shapes (missing names are left untouched)
   */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: NamedGrads, lr: number): void {
    this.steps++;
    const { kind, momentum, weightDecay, betas } = this.spec;
    const names = [...grads.keys()].filter((n) => params.has(n));
    if (!names.length) return;
    const ps = names.map((n) => params.get(n) as tf.Variable);
    const slotKinds = kind === 'adam' ? ['m', 'v'] : momentum > 0 ? ['m'] : [];
    const slots = slotKinds.flatMap((k) => names.map((n, i) => this.slot(k, n, ps[i])));
    // Every variable in one kernel call; the assignments move the new buffers in (no kernel).
    const out = optimizerStep(
      ps,
      names.map((n) => grads.get(n) as tf.Tensor),
      slots,
      { kind, lr, momentum, weightDecay, gradScale: 1, beta1: betas[0], beta2: betas[1], epsilon: 1e-8, step: this.steps },
    );
    ps.forEach((p, i) => p.assign(out.params[i] as tf.Tensor));
    slots.forEach((s, i) => s.assign(out.slots[i] as tf.Tensor));
    tf.dispose([...out.params, ...out.slots]);
  }

  /** Drops slots of parameters that no longer exist (pruned ops). */
  forget(prefix: string): void {
    for (const [key, v] of this.slots) {
      if (key.slice(key.indexOf(':') + 1).startsWith(prefix)) {
        v.dispose();
        this.slots.delete(key);
      }
    }
  }

  /** Slot values for a checkpoint (read back at a step boundary). */
  async save(): Promise<SavedArray[]> {
    const out: SavedArray[] = [];
    for (const [key, v] of this.slots) out.push({ name: `${this.id}/${key}`, shape: v.shape, data: (await v.data()) as Float32Array });
    return out;
  }

  /** Restores slots saved by {@link save}. */
  load(arrays: ReadonlyMap<string, SavedArray>, steps: number): void {
    this.steps = steps;
    for (const [name, a] of arrays) {
      if (!name.startsWith(`${this.id}/`)) continue;
      const key = name.slice(this.id.length + 1);
      this.slots.get(key)?.dispose();
      this.slots.set(key, tf.variable(tf.tensor(a.data, [...a.shape], 'float32'), false));
    }
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}
