/**
 * SGD with momentum and L2 weight decay over many variables in one kernel call (PyTorch
 * semantics: g ← g + wd·p; buf ← momentum·buf + g; p ← p − lr·buf), plus the global gradient norm
 * in one call. A stock optimizer issues 4–6 kernels per variable; a supernet cell has ~170
 * variables, so that was ~1,000 tiny kernel calls per step. The new values are assigned to the
 * variables (an assignment moves a buffer, it runs no kernel).
 */
import * as tf from '@tensorflow/tfjs';
import { registerJsKernel, runJsOp, type JsKernel } from './js-kernels.js';
import { globalNorm } from './fused-optim.js';

interface SgdAttrs {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Scale applied to every gradient first (e.g. global-norm clipping). */
  readonly gradScale: number;
}

/** Inputs p1…pn, g1…gn, b1…bn; outputs p1'…pn', b1'…bn'. */
const sgdKernel: JsKernel<SgdAttrs> = {
  name: 'BnasSgdMomentum',
  outputShapes: (s) => {
    const n = s.length / 3;
    return [...s.slice(0, n), ...s.slice(2 * n)].map((x) => [...x]);
  },
  compute(ins, outs, _shapes, { lr, momentum, weightDecay, gradScale }) {
    const n = ins.length / 3;
    for (let v = 0; v < n; v++) {
      const p = ins[v];
      const g = ins[n + v];
      const b = ins[2 * n + v];
      const p2 = outs[v];
      const b2 = outs[n + v];
      for (let i = 0; i < p.length; i++) {
        const buf = momentum * b[i] + gradScale * g[i] + weightDecay * p[i];
        b2[i] = buf;
        p2[i] = p[i] - lr * buf;
      }
    }
  },
};

/** Options of {@link FusedSgd}. */
export interface FusedSgdOptions {
  readonly momentum: number;
  readonly weightDecay?: number;
}

/** SGD with momentum over named variables; owns its momentum buffers (`dispose()`). */
export class FusedSgd {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private readonly options: FusedSgdOptions) {
    registerJsKernel(sgdKernel);
  }

  /**
   * Global L2 norm of `grads` (one kernel call).
   * @param grads float32 tensors of any shapes
   */
  static globalNorm(grads: readonly tf.Tensor[]): number {
    return globalNorm(grads);
  }

  /**
   * One update of every variable that has a gradient (one kernel call). Disposes nothing it is given.
   * @param grads gradient per variable name, float32, shaped like the variable
   * @param gradScale factor applied to every gradient (1 = none; clipping passes clip/norm)
   */
  apply(vars: Readonly<Record<string, tf.Variable>>, grads: Readonly<Record<string, tf.Tensor>>, lr: number, gradScale = 1): void {
    const names = Object.keys(grads).filter((n) => vars[n]);
    if (!names.length) return;
    const ps = names.map((n) => vars[n]);
    const gs = names.map((n) => grads[n]);
    const bs = names.map((n, i) => this.buffer(n, ps[i]));
    const out = runJsOp(sgdKernel.name, [...ps, ...gs, ...bs], {
      lr,
      momentum: this.options.momentum,
      weightDecay: this.options.weightDecay ?? 0,
      gradScale,
    } satisfies SgdAttrs);
    names.forEach((_, i) => {
      ps[i].assign(out[i]);
      bs[i].assign(out[names.length + i]);
    });
    tf.dispose(out);
  }

  private buffer(name: string, like: tf.Variable): tf.Variable {
    let b = this.buffers.get(name);
    if (!b) {
      b = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      this.buffers.set(name, b);
    }
    return b;
  }

  /** Drops the momentum buffers of variables under `prefix` (e.g. a pruned op). */
  forget(prefix: string): void {
    for (const [n, b] of this.buffers) {
      if (n.startsWith(prefix)) {
        b.dispose();
        this.buffers.delete(n);
      }
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
