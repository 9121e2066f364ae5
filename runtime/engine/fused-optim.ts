/**
 * Optimizer arithmetic over many variables in one kernel call each: SGD (with or without momentum)
 * and Adam, both with L2 weight decay added to the gradient and a common gradient scale (PyTorch
 * semantics, as DARTS-family code uses them), plus a multi-tensor scale for global-norm clipping.
 *
 * Why: the search's optimizer issued 4–8 stock kernels per variable (a supernet has hundreds of
 * variables), ~1,000 tiny kernel calls a step, each with tens of µs of engine bookkeeping. Here
 * the caller owns the state (parameters and slot variables); a step returns the new values, and
 * `Variable.assign` moves the buffers in (no kernel).
 */
import * as tf from '@tensorflow/tfjs';
import { registerJsKernel, runJsOp, type JsKernel } from './js-kernels.js';
import { kernelChoice } from './kernel-choice.js';

/** Hyper-parameters of one fused step. */
export interface OptimStepAttrs {
  readonly kind: 'sgd' | 'adam';
  readonly lr: number;
  /** SGD momentum (0: plain SGD, no buffer). */
  readonly momentum: number;
  readonly weightDecay: number;
  /** Factor applied to every gradient before anything else (clipping passes clip/norm). */
  readonly gradScale: number;
  /** Adam: β1, β2, ε and the 1-based step number for the bias correction. */
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly step: number;
}

/** Number of slot tensors per variable. */
function slotCount(a: Pick<OptimStepAttrs, 'kind' | 'momentum'>): number {
  return a.kind === 'adam' ? 2 : a.momentum > 0 ? 1 : 0;
}

/**
 * Inputs p1…pn, g1…gn, then the slots (SGD with momentum: b1…bn; Adam: m1…mn, v1…vn).
 * Outputs p1'…pn' and the new slots in the same order.
 */
const stepKernel: JsKernel<OptimStepAttrs> = {
  name: 'BnasOptimizerStep',
  outputShapes: (s, a) => {
    const n = s.length / (2 + slotCount(a));
    return [...s.slice(0, n), ...s.slice(2 * n)].map((x) => [...x]);
  },
  compute(ins, outs, _shapes, a) {
    const slots = slotCount(a);
    const n = ins.length / (2 + slots);
    const { lr, momentum, weightDecay: wd, gradScale: gs } = a;
    for (let v = 0; v < n; v++) {
      const p = ins[v];
      const g = ins[n + v];
      const p2 = outs[v];
      if (a.kind === 'sgd') {
        if (slots === 0) {
          for (let i = 0; i < p.length; i++) p2[i] = p[i] - lr * (gs * g[i] + wd * p[i]);
          continue;
        }
        const b = ins[2 * n + v];
        const b2 = outs[n + v];
        for (let i = 0; i < p.length; i++) {
          // A new buffer is zeros, so the first update sets it to the gradient (as PyTorch does).
          const buf = Math.fround(momentum * b[i] + (gs * g[i] + wd * p[i]));
          b2[i] = buf;
          p2[i] = p[i] - lr * buf;
        }
        continue;
      }
      const m = ins[2 * n + v];
      const s = ins[3 * n + v];
      const m2 = outs[n + v];
      const s2 = outs[2 * n + v];
      const { beta1: b1, beta2: b2, epsilon: eps } = a;
      const c1 = 1 - Math.pow(b1, a.step);
      const c2 = 1 - Math.pow(b2, a.step);
      for (let i = 0; i < p.length; i++) {
        const grad = gs * g[i] + wd * p[i];
        const mi = Math.fround(b1 * m[i] + (1 - b1) * grad);
        const vi = Math.fround(b2 * s[i] + (1 - b2) * grad * grad);
        m2[i] = mi;
        s2[i] = vi;
        p2[i] = p[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    }
  },
};

/** Inputs g1…gn; outputs g1·s…gn·s. */
const scaleKernel: JsKernel<{ readonly scale: number }> = {
  name: 'BnasScaleAll',
  outputShapes: (s) => s.map((x) => [...x]),
  compute(ins, outs, _shapes, { scale }) {
    ins.forEach((g, v) => {
      const o = outs[v];
      for (let i = 0; i < g.length; i++) o[i] = g[i] * scale;
    });
  },
};

/** Inputs g1…gn; output [1]: Σ g² (accumulated in float64). */
const sumSquaresKernel: JsKernel<Record<string, never>> = {
  name: 'BnasSumSquares',
  outputShapes: () => [[1]],
  compute(ins, [out]) {
    let s = 0;
    for (const g of ins) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    out[0] = s;
  },
};

function register(): void {
  registerJsKernel(stepKernel);
  registerJsKernel(scaleKernel);
  registerJsKernel(sumSquaresKernel);
}

/**
 * Global L2 norm of many tensors in one kernel call (read back: a step boundary).
 * @param tensors float32 tensors of any shapes
 */
export function globalNorm(tensors: readonly tf.Tensor[]): number {
  register();
  if (!tensors.length) return 0;
  const t = runJsOp(sumSquaresKernel.name, tensors)[0];
  const v = t.dataSync()[0];
  t.dispose();
  return Math.sqrt(v);
}

/**
 * Every tensor times `scale`, in one kernel call.
 * @param tensors float32 tensors of any shapes
 * @returns new tensors in the same order and shapes (the caller disposes them)
 */
export function scaleAll(tensors: readonly tf.Tensor[], scale: number): tf.Tensor[] {
  if (!kernelChoice().loopKernels) return tensors.map((t) => tf.mul(t, scale));
  register();
  if (!tensors.length) return [];
  return runJsOp(scaleKernel.name, tensors, { scale });
}

/**
 * Global-norm clipping on the device, for backends without loop kernels (no read-back): every
 * tensor times clip / (norm + 1e-6) where the norm exceeds `clip`, else times 1.
 * @returns new tensors in the same order and shapes (the caller disposes them)
 */
export function clipOnDevice(tensors: readonly tf.Tensor[], clip: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t)))));
    const factor = tf.where(tf.greater(norm, clip), tf.div(clip, tf.add(norm, 1e-6)), tf.scalar(1));
    return tensors.map((t) => tf.mul(t, factor));
  });
}

/** {@link optimizerStep} as stock ops, one variable at a time (backends without loop kernels). */
function composedStep(params: readonly tf.Tensor[], grads: readonly tf.Tensor[], slots: readonly tf.Tensor[], a: OptimStepAttrs): { params: tf.Tensor[]; slots: tf.Tensor[] } {
  const n = params.length;
  const out = { params: [] as tf.Tensor[], slots: [] as tf.Tensor[] };
  const m2: tf.Tensor[] = [];
  const v2: tf.Tensor[] = [];
  params.forEach((p, i) =>
    tf.tidy(() => {
      const grad = tf.add(tf.mul(grads[i], a.gradScale), tf.mul(p, a.weightDecay));
      if (a.kind === 'sgd') {
        if (!slots.length) {
          out.params.push(tf.keep(tf.sub(p, tf.mul(grad, a.lr))));
          return;
        }
        const buf = tf.keep(tf.add(tf.mul(slots[i], a.momentum), grad));
        m2.push(buf);
        out.params.push(tf.keep(tf.sub(p, tf.mul(buf, a.lr))));
        return;
      }
      const m = tf.keep(tf.add(tf.mul(slots[i], a.beta1), tf.mul(grad, 1 - a.beta1)));
      const v = tf.keep(tf.add(tf.mul(slots[n + i], a.beta2), tf.mul(tf.square(grad), 1 - a.beta2)));
      m2.push(m);
      v2.push(v);
      const c1 = 1 - Math.pow(a.beta1, a.step);
      const c2 = 1 - Math.pow(a.beta2, a.step);
      out.params.push(tf.keep(tf.sub(p, tf.div(tf.mul(m, a.lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), a.epsilon)))));
    }),
  );
  out.slots = [...m2, ...v2];
  return out;
}

/**
 * One optimizer step over many variables in one kernel call. Reads the parameters, gradients and
 * slots, and returns their new values; the caller assigns them (no kernel) and disposes the rest.
 * @param params current values, float32
 * @param grads one per parameter, same shapes, float32
 * @param slots SGD with momentum: the momentum buffers; Adam: first moments then second moments
 *   (each list one per parameter, same shapes, float32); plain SGD: none
 * @returns `params` new values, and `slots` new values in the order given
 */
export function optimizerStep(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  slots: readonly tf.Tensor[],
  attrs: OptimStepAttrs,
): { params: tf.Tensor[]; slots: tf.Tensor[] } {
  register();
  const n = params.length;
  if (grads.length !== n || slots.length !== n * slotCount(attrs)) {
    throw new Error(`optimizerStep: ${n} parameters need ${n} gradients and ${n * slotCount(attrs)} slots, got ${grads.length} and ${slots.length}`);
  }
  if (!n) return { params: [], slots: [] };
  if (!kernelChoice().loopKernels) return composedStep(params, grads, slots, attrs);
  const out = runJsOp(stepKernel.name, [...params, ...grads, ...slots], attrs);
  return { params: out.slice(0, n), slots: out.slice(n) };
}

/** How many slot tensors a step of this kind keeps per variable. */
export { slotCount as optimizerSlotCount };
