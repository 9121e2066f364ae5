/**
 * The discrete network of a genotype (what `bnas evaluate` trains from scratch): the supernet's
 * macro layout (stem, cells, reductions, pre-processing, head) with one op per chosen edge on all
 * channels, binary convs as the space's `binarize` block says, and batch norms with affine terms
 * and running statistics (evaluation uses the running statistics). Its ops come from the op table
 * (candidate-ops.ts) with the table's fast kernels: same weights and values as the supernet's ops,
 * faster to train from scratch.
 */
import * as tf from '@tensorflow/tfjs';
import { concatChannels } from '../engine/cell-kernels.js';
import { BatchNormLayer, BN_MOMENTUM, type BatchNormOptions } from '../engine/norm.js';
import { ParamStore } from '../engine/params.js';
import { quantizeWeights, type BinarizeOptions } from '../engine/quantize.js';
import type { OpSpec, SearchSpace } from '../dsl/space.js';
import type { CellKind, Genotype, GenotypeEdge } from '../protocol/genotype.js';
import { buildOp, ConvLayer, factorizedReduce, ReluConvBn, type Op, type OpContext } from './candidate-ops.js';
import { STEM_KERNEL } from '../dsl/cells.js';
import { binarizeFor, planCells, type CellPlan } from './supernet.js';

/** Evaluation batch norm: affine, running statistics. */
export const EVAL_BN: BatchNormOptions = { affine: true, trackRunningStats: true };

/**
 * Resolves an op name: the space's own ops first, then the built-in naming scheme
 * (`sep_conv_KxK`, `dil_conv_KxK`, `conv_KxK`, `max_pool_KxK`, `avg_pool_KxK`, `skip_connect`,
 * `none`), so reference genotypes with ops outside the space can be trained too.
 * @throws an Error naming the op and the accepted names
 */
export function resolveOpSpec(name: string, space: SearchSpace): OpSpec {
  const own = space.ops.find((o) => o.name === name);
  if (own) return own;
  const base = { name, kernel: 1, dilation: 1, repeat: 1, builtin: true };
  if (name === 'none') return { ...base, kind: 'zero' };
  if (name === 'skip_connect') return { ...base, kind: 'skip' };
  const m = /^(sep_conv|dil_conv|conv|max_pool|avg_pool)_(\d+)x\2$/.exec(name);
  if (m && Number(m[2]) % 2 === 1) {
    const kind = m[1] as OpSpec['kind'];
    return { ...base, kind, kernel: Number(m[2]), dilation: kind === 'dil_conv' ? 2 : 1 };
  }
  throw new Error(`unknown op '${name}' in the genotype: use an op of the space (${space.ops.map((o) => o.name).join(', ')}) or a built-in name such as sep_conv_3x3`);
}

class DiscreteCell {
  private readonly pre0: Op;
  private readonly pre1: Op;
  private readonly ops: (Op | undefined)[];

  constructor(
    readonly plan: CellPlan,
    private readonly edges: readonly GenotypeEdge[],
    private readonly concat: readonly number[],
    store: ParamStore,
    space: SearchSpace,
    bn: BatchNormOptions,
  ) {
    const ctx = (prefix: string, channels: number, stride: 1 | 2, binarize: BinarizeOptions): OpContext => ({
      store, prefix, channels, stride, binarize, bn, kernels: 'fast',
    });
    const p = `c${plan.index}.`;
    const pre = binarizeFor(space, 'preprocess');
    this.pre0 = plan.reductionPrev
      ? factorizedReduce(ctx(`${p}pre0.`, plan.channels, 2, pre), plan.inPrevPrev, plan.channels)
      : new ReluConvBn(ctx(`${p}pre0.`, plan.channels, 1, pre), plan.inPrevPrev, plan.channels);
    this.pre1 = new ReluConvBn(ctx(`${p}pre1.`, plan.channels, 1, pre), plan.inPrev, plan.channels);
    const bin = binarizeFor(space, 'ops');
    this.ops = edges.map(([name, input], i) => {
      const stride: 1 | 2 = plan.kind === 'reduce' && input < 2 ? 2 : 1;
      return buildOp(resolveOpSpec(name, space), { ...ctx(`${p}e${i}.`, plan.channels, stride, bin), shortcut: space.binarize.shortcut });
    });
  }

  /**
   * @param s0 c_{k-2} [B, H', W', inPrevPrev]; @param s1 c_{k-1} [B, H, W, inPrev] (float32)
   * @returns [B, size, size, concat.length × channels], float32
   */
  apply(s0: tf.Tensor4D, s1: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const states = [this.pre0.apply(s0, training), this.pre1.apply(s1, training)];
      for (let j = 0; j * 2 < this.edges.length; j++) {
        const terms = [2 * j, 2 * j + 1].map((i) => {
          const x = states[this.edges[i][1]];
          const op = this.ops[i];
          const stride = this.plan.kind === 'reduce' && this.edges[i][1] < 2 ? 2 : 1;
          if (op) return op.apply(x, training);
          const [b, h, w, c] = x.shape;
          return tf.zeros([b, Math.ceil(h / stride), Math.ceil(w / stride), c]) as tf.Tensor4D;
        });
        states.push(tf.add(terms[0], terms[1]) as tf.Tensor4D);
      }
      return concatChannels(this.concat.map((s) => states[s]));
    });
  }
}

/** A genotype as a trainable network; owns its ParamStore. */
export class DiscreteNetwork {
  readonly weights: ParamStore;
  private readonly stem: ConvLayer;
  private readonly stemBn: BatchNormLayer;
  private readonly cells: DiscreteCell[];
  private readonly classifierBinarize: BinarizeOptions;
  /** Every batch norm's options, one object: {@link estimateStatistics} changes its momentum. */
  private readonly bn = { ...EVAL_BN, momentum: BN_MOMENTUM };

  constructor(space: SearchSpace, genotype: Genotype, options: { input: readonly [number, number, number]; numClasses: number; seed: number }) {
    const [h, , cin] = options.input;
    const nodes = genotype.normal.length / 2;
    if (!Number.isInteger(nodes) || genotype.reduce.length !== genotype.normal.length) {
      throw new Error('the genotype needs two [op, input] pairs per node, the same number in both cells');
    }
    const concatLen = { normal: genotype.normal_concat.length, reduce: genotype.reduce_concat.length };
    // The genotype's node count and concat lists decide the cell widths, not the space's `nodes`.
    const plans = planCells({ ...space, supernet: { ...space.supernet, nodes } }, h).reduce<CellPlan[]>((acc, p, i) => {
      const stemC = space.supernet.channels * space.supernet.stemMultiplier;
      const out = concatLen[p.kind] * p.channels;
      acc.push({ ...p, inPrev: i >= 1 ? acc[i - 1].out : stemC, inPrevPrev: i >= 2 ? acc[i - 2].out : stemC, out });
      return acc;
    }, []);
    this.weights = new ParamStore(options.seed);
    const stemC = space.supernet.channels * space.supernet.stemMultiplier;
    this.stem = new ConvLayer(this.weights, 'stem.conv', STEM_KERNEL, cin, stemC, 1, binarizeFor(space, 'stem'), false);
    this.stemBn = new BatchNormLayer(this.weights, 'stem.bn', stemC, this.bn);
    const pick = (k: CellKind) => (k === 'normal' ? [genotype.normal, genotype.normal_concat] : [genotype.reduce, genotype.reduce_concat]) as [GenotypeEdge[], number[]];
    this.cells = plans.map((p) => new DiscreteCell(p, ...pick(p.kind), this.weights, space, this.bn));
    const last = plans.length ? plans[plans.length - 1].out : stemC;
    this.weights.create('classifier.w', [last, options.numClasses], 'he');
    this.weights.create('classifier.b', [options.numClasses], 'zeros');
    this.classifierBinarize = binarizeFor(space, 'classifier');
  }

  /**
   * @param x images [B, H, W, Cin], float32
   * @param training batch statistics and running-stat updates when true; running statistics when false
   * @returns logits [B, numClasses], float32
   */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      let s0 = this.stemBn.apply(this.stem.apply(x), training);
      let s1 = s0;
      for (const cell of this.cells) {
        const out = cell.apply(s0, s1, training);
        s0 = s1;
        s1 = out;
      }
      const pooled = tf.mean(s1, [1, 2]) as tf.Tensor2D;
      const w = quantizeWeights(this.weights.get('classifier.w') as tf.Tensor2D, this.classifierBinarize);
      return tf.add(tf.matMul(pooled, w), this.weights.get('classifier.b')) as tf.Tensor2D;
    });
  }

  /**
   * Re-estimates every batch norm's running statistics with the current weights (precise batch
   * norm; docs/method.md, "Evaluation from scratch"): a training-mode forward pass over each batch
   * of `images`, the k-th weighted 1/k, so the statistics become the plain average of the
   * batches' means and (unbiased) variances instead of a moving average over weights that were
   * still changing. The weights do not change; the default momentum is back afterwards.
   * @param images batches [B, H, W, Cin], float32, owned by the caller
   * @param averaged batches already averaged into the statistics by earlier calls (0: start anew),
   *   so a caller can hand the batches over a few at a time
   * @returns the number of batches averaged in all
   */
  estimateStatistics(images: Iterable<tf.Tensor4D>, averaged = 0): number {
    let k = averaged;
    try {
      for (const x of images) {
        this.bn.momentum = 1 / ++k;
        tf.tidy(() => {
          this.forward(x, true);
        });
      }
    } finally {
      this.bn.momentum = BN_MOMENTUM;
    }
    return k;
  }

  parameterCount(): number {
    return this.weights.count();
  }

  dispose(): void {
    this.weights.dispose();
  }
}
