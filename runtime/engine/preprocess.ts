/**
 * A cell input's pre-processing as ONE op with a hand-written gradient (one tape node; 3 kernels
 * forward, 5 backward in a weight step, 3 in an architecture step): ReLU → 1×1 conv → batch norm (`ReluConvBn`), or the factorized reduce
 * (ReLU → 1×1 stride-2 conv of the even pixels and of the odd pixels → concat → batch norm).
 * Same weights (names, shapes, initial values) and the same values as the supernet's composition
 * (runtime/supernet/candidate-ops.ts) up to float rounding; the kernels are preprocess-kernels.ts.
 *
 * Only the search's flavour is fused: real weights and activations (`keep_real = [preprocess]`)
 * and batch norm without affine terms or running statistics; {@link fusedPreprocessFits} says
 * when, and the supernet keeps the composition otherwise. On wasm the fused op gives the very
 * bits of the composition (its products are the same XNNPACK products, the factorized reduce's
 * filter gradients the same float64 kernel); elsewhere {@link FusedPreprocess} runs the
 * composition ({@link composedReluConvBn}).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormFast, registerCellKernels } from './cell-kernels.js';
import { conv2d } from './conv.js';
import { convFilterGradFast } from './conv-filter-grad.js';
import { BN_EPSILON } from './epsilon.js';
import { runJsOp } from './js-kernels.js';
import { kernelChoice } from './kernel-choice.js';
import type { BatchNormOptions } from './norm.js';
import type { ParamStore } from './params.js';
import { registerPrepKernels, type PrepAttrs } from './preprocess-kernels.js';
import type { BinarizeOptions } from './quantize.js';

/**
 * Whether the fused op computes this pre-processing: real weights and activations, batch
 * statistics only (no affine terms, no running statistics).
 */
export function fusedPreprocessFits(binarize: BinarizeOptions, bn: BatchNormOptions): boolean {
  return binarize.weights === 'none' && binarize.activations === 'real' && !bn.affine && !bn.trackRunningStats;
}

/**
 * ReLU → 1×1 conv(s) → batch norm in one custom-gradient op.
 * @param x input, shape [B, H, W, Ci], float32
 * @param ws filters, each shape [1, 1, Ci, Co_k], float32: one (stride 1), or one or two (stride 2:
 *   the first sees the even pixels x[2i, 2j], the second the odd ones x[2i+1, 2j+1], zero
 *   beyond the border; their outputs are concatenated along channels)
 * @param stride 1 or 2
 * @returns shape [B, ceil(H/stride), ceil(W/stride), ΣCo_k], float32, per-channel batch-normalised
 */
export function reluConvBn(x: tf.Tensor4D, ws: readonly tf.Tensor4D[], stride: 1 | 2, epsilon = BN_EPSILON): tf.Tensor4D {
  registerPrepKernels();
  registerCellKernels();
  if (ws.length < 1 || ws.length > stride) throw new Error(`reluConvBn: stride ${stride} takes 1${stride === 2 ? ' or 2' : ''} filters, got ${ws.length}`);
  for (const w of ws) {
    if (w.shape[0] !== 1 || w.shape[1] !== 1 || w.shape[2] !== x.shape[3]) {
      throw new Error(`reluConvBn: filters must be [1, 1, ${x.shape[3]}, Co], got [${w.shape.join(', ')}]`);
    }
  }
  const attrs: PrepAttrs = { stride, splits: ws.map((w) => w.shape[3]), xShape: [...x.shape] };
  const [b] = x.shape;
  const ho = Math.ceil(x.shape[1] / stride);
  const wo = Math.ceil(x.shape[2] / stride);
  const co = attrs.splits.reduce((u, v) => u + v, 0);
  /**
   * Filter k's gradient of the factorized reduce on wasm: the engine's strided conv computes it
   * with the float64-summing filter-gradient kernel (conv-filter-grad.ts), so the same kernel on
   * the picked pixels gives the same bits (the same products in the same order); a plain
   * product would differ in the last bits, and a search is chaotic in them (sign flips).
   */
  const stridedFilterGrad = (hm: tf.Tensor, dz: tf.Tensor, k: number): tf.Tensor => {
    const shape = [b, ho, wo];
    const h = runJsOp('BnasPrepBlock', [hm], { from: k * x.shape[3], len: x.shape[3], shape })[0] as tf.Tensor4D;
    const from = attrs.splits.slice(0, k).reduce((u, v) => u + v, 0);
    const d = runJsOp('BnasPrepBlock', [dz], { from, len: attrs.splits[k], shape })[0] as tf.Tensor4D;
    return convFilterGradFast(h, d, 1, 1);
  };
  const inputs: tf.NamedTensorMap = { x };
  ws.forEach((w, k) => (inputs[`w${k}`] = w));
  return (tf.engine() as unknown as CustomOpEngine).runKernelFunc({
    inputs,
    forwardFunc: (_backend, save) => {
      const [hm, wm] = runJsOp('BnasPrepIn', [x, ...ws], attrs) as [tf.Tensor2D, tf.Tensor2D];
      // The engine's one-kernel batch norm; its second output, 1/sqrt(var + ε), is what the
      // gradient needs besides the normalised output.
      const [y2, rstd] = runJsOp('BnasBatchNorm', [tf.matMul(hm, wm)], { epsilon });
      const y = tf.reshape(y2, [b, ho, wo, co]) as tf.Tensor4D;
      save([hm, y, rstd]);
      return y;
    },
    // Each input's gradient is a closure the engine calls only when that input is on the path to
    // what is differentiated: the architecture step (α, β) skips the filter products. The filters
    // are store variables, alive at backward time, so they are read directly (not saved).
    backwardsFunc: (dy, saved) => {
      const [hm, y, rstd] = saved;
      const [dz, ...rest] = runJsOp('BnasPrepBnGrad', [dy, y, rstd, ...ws], attrs);
      const wmt = rest[ws.length];
      const grads: Record<string, () => tf.Tensor> = {
        x: () => runJsOp('BnasPrepInputGrad', [tf.matMul(dz as tf.Tensor2D, wmt as tf.Tensor2D), hm], attrs)[0],
      };
      ws.forEach((_w, k) => {
        grads[`w${k}`] = () =>
          stride === 2 && kernelChoice().stridedPrepFilterGrad
            ? stridedFilterGrad(hm, dz, k)
            : runJsOp('BnasPrepFilterGrad', [tf.matMul(rest[k] as tf.Tensor2D, hm as tf.Tensor2D)], { ...attrs, block: k })[0];
      });
      return grads;
    },
  }) as tf.Tensor4D;
}

/**
 * The engine's internal entry point for an op with its own forward and lazy per-input gradient
 * closures (what `tf.customGrad` builds on, minus customGrad's computing every gradient eagerly).
 */
interface CustomOpEngine {
  runKernelFunc(params: {
    inputs: tf.NamedTensorMap;
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
  }): tf.Tensor;
}

/**
 * The composition the fused op replaces, op by op (the supernet's `ReluConvBn` and
 * `FactorizedReduce` with real weights and search batch norm): ReLU → conv2d → BN, or the
 * factorized reduce's second filter on the input shifted by one pixel and zero-padded back.
 * @param x shape [B, H, W, Ci], float32
 * @param ws filters [1, 1, Ci, Co_k], float32 (as {@link reluConvBn})
 * @returns shape [B, ceil(H/stride), ceil(W/stride), ΣCo_k], float32
 */
export function composedReluConvBn(x: tf.Tensor4D, ws: readonly tf.Tensor4D[], stride: 1 | 2, epsilon = BN_EPSILON): tf.Tensor4D {
  return tf.tidy(() => {
    const h = tf.relu(x);
    const a = conv2d(h, ws[0], stride);
    if (ws.length === 1) return batchNormFast(a, epsilon);
    const [, H, W] = h.shape;
    const shifted = tf.pad(tf.slice(h, [0, 1, 1, 0], [-1, H - 1, W - 1, -1]), [[0, 0], [0, 1], [0, 1], [0, 0]]) as tf.Tensor4D;
    return batchNormFast(tf.concat([a, conv2d(shifted, ws[1], stride)], 3) as tf.Tensor4D, epsilon);
  });
}

/** Which pre-processing a cell input gets (DARTS: a factorized reduce after a reduction cell). */
export type PreprocessKind = 'relu-conv-bn' | 'factorized-reduce';

/**
 * A cell input's pre-processing on the fused op, its filters in a {@link ParamStore} under the
 * names of the supernet's composition: `${prefix}conv` [1, 1, Ci, Co] (ReLU → 1×1 → BN), or
 * `${prefix}fr.a` [1, 1, Ci, ⌈Co/2⌉] and `${prefix}fr.b` [1, 1, Ci, ⌊Co/2⌋] (factorized reduce;
 * no `b` when Co = 1), so checkpoints and optimizer slots carry over between the two.
 */
export class FusedPreprocess {
  private readonly names: string[];
  private readonly stride: 1 | 2;

  /** @param prefix ends in `.` (as the ops' prefixes, e.g. `c2.pre0.`) */
  constructor(
    private readonly store: ParamStore,
    prefix: string,
    kind: PreprocessKind,
    ci: number,
    co: number,
    private readonly epsilon = BN_EPSILON,
  ) {
    const half = Math.ceil(co / 2);
    const filters: [string, number][] = kind === 'relu-conv-bn'
      ? [[`${prefix}conv`, co]]
      : [[`${prefix}fr.a`, half], [`${prefix}fr.b`, co - half]];
    this.names = filters.filter(([, c]) => c > 0).map(([name, c]) => {
      store.create(name, [1, 1, ci, c], 'he');
      return name;
    });
    this.stride = kind === 'relu-conv-bn' ? 1 : 2;
  }

  /**
   * @param x shape [B, H, W, Ci], float32
   * @param _training unused: the search's batch norm uses batch statistics either way
   * @returns shape [B, ceil(H/stride), ceil(W/stride), Co], float32
   */
  apply(x: tf.Tensor4D, _training = true): tf.Tensor4D {
    const ws = this.names.map((n) => this.store.get(n) as tf.Tensor4D);
    // Off wasm the composition runs: its products there (cpu's conv2d, im2col filter gradients)
    // differ from the fused op's in the last bits, and a search must compute the same values.
    return kernelChoice().fusedPreprocess ? reluConvBn(x, ws, this.stride, this.epsilon) : composedReluConvBn(x, ws, this.stride, this.epsilon);
  }
}
