/**
 * SGD with momentum and Adam, both with L2 weight decay added to the gradient (PyTorch semantics,
 * as DARTS-family code uses them), global-norm gradient clipping, and explicit slot variables keyed
 * by parameter name so a checkpoint can save and restore them exactly.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../dsl/space.js';
import type { SavedArray } from './checkpoint.js';

/** Gradients keyed by parameter name. */
export type NamedGrads = Map<string, tf.Tensor>;

/**
 * Scales gradients so their global L2 norm is at most `clip` (no-op when clip is 0/undefined).
 * @returns the norm before clipping (a plain number).
 */
export function clipByGlobalNorm(grads: NamedGrads, clip: number | undefined): number {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  if (clip && clip > 0 && norm > clip) {
    const scale = clip / (norm + 1e-6);
    for (const [name, g] of grads) {
      grads.set(name, tf.tidy(() => tf.mul(g, scale)));
      g.dispose();
    }
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
      v = tf.variable(tf.zerosLike(like), false);
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
    const { kind, momentum, weightDecay: wd, betas } = this.spec;
    const [b1, b2] = betas;
    const t = this.steps;
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) continue;
      tf.tidy(() => {
        const grad = wd > 0 ? tf.add(g, tf.mul(p, wd)) : g;
        if (kind === 'sgd') {
          if (momentum > 0) {
            const buf = this.slot('m', name, p);
            // A new buffer is zeros, so the first update sets it to the gradient (as PyTorch does).
            buf.assign(tf.add(tf.mul(buf, momentum), grad));
            p.assign(tf.sub(p, tf.mul(buf, lr)));
          } else {
            p.assign(tf.sub(p, tf.mul(grad, lr)));
          }
        } else {
          const m = this.slot('m', name, p);
          const v = this.slot('v', name, p);
          m.assign(tf.add(tf.mul(m, b1), tf.mul(grad, 1 - b1)));
          v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), 1 - b2)));
          const mHat = tf.div(m, 1 - Math.pow(b1, t));
          const vHat = tf.div(v, 1 - Math.pow(b2, t));
          p.assign(tf.sub(p, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), 1e-8)), lr)));
        }
      });
    }
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
