/**
 * The discrete network of a genotype (what `bnas evaluate` trains from scratch): the supernet's
 * macro layout (stem, cells, reductions, pre-processing, head) with one op per chosen edge on all
 * channels, binary convs as the space's `binarize` block says, and batch norms with affine terms
 * and running statistics (evaluation uses the running statistics).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormLayer, type BatchNormOptions } from '../engine/norm.js';
import { ParamStore } from '../engine/params.js';
import { depthwiseFast } from '../engine/depthwise-fast.js';
import { quantizeWeights, type BinarizeOptions } from '../engine/quantize.js';
import type { OpSpec, SearchSpace } from '../dsl/space.js';
import type { CellKind, Genotype, GenotypeEdge } from '../protocol/genotype.js';
import { buildOp, ConvLayer, ReluConvBn, SeparableLayer, type Op, type OpContext } from './candidate-ops.js';
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

/**
 * Factorized reduce with the weights (names, shapes, values) of the supernet's
 * {@link FactorizedReduce} and the same output: two 1×1 convs at stride 2, the second on the input
 * shifted by one pixel, concatenated, then BN. Computed differently: the even and the odd pixels
 * are picked with one reshape and one slice each and convolved at stride 1, because the engine's
 * strided 1×1 conv gathers its patches with StridedSlice, which is about 5× slower on wasm
 * (31 ms vs 6 ms forward + backward at [32, 12, 12, 16]; bench/quality/README.md). An odd size
 * gets one zero row / column at the bottom / right first: the pixels the strided convs see, and the
 * zero padding of the shifted half, are then exactly the ones picked.
 */
export class EvenOddFactorizedReduce implements Op {
  private readonly a: ConvLayer;
  private readonly b: ConvLayer | undefined;
  private readonly bn: BatchNormLayer;
  private readonly activations: BinarizeOptions['activations'];

  constructor(ctx: OpContext, ci: number, co: number) {
    const half = Math.ceil(co / 2);
    this.a = new ConvLayer(ctx.store, `${ctx.prefix}fr.a`, 1, ci, half, 1, ctx.binarize);
    this.b = co - half > 0 ? new ConvLayer(ctx.store, `${ctx.prefix}fr.b`, 1, ci, co - half, 1, ctx.binarize) : undefined;
    this.bn = new BatchNormLayer(ctx.store, `${ctx.prefix}fr.bn`, co, ctx.bn);
    this.activations = ctx.binarize.activations;
  }

  /**
   * @param x shape [B, H, W, ci], float32
   * @returns shape [B, ceil(H/2), ceil(W/2), co], float32
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      // With sign activations the conv's quantizer is the non-linearity (candidate-ops.ts).
      let h = this.activations === 'sign' ? x : tf.relu(x);
      const [b, hh, ww, c] = h.shape;
      if (hh % 2 || ww % 2) h = tf.pad(h, [[0, 0], [0, hh % 2], [0, ww % 2], [0, 0]]);
      const [ho, wo] = [Math.ceil(hh / 2), Math.ceil(ww / 2)];
      // Row pairs become a dimension and column pairs join the channels: [B·Ho, 2, Wo, 2C].
      const pairs = tf.reshape(h, [b * ho, 2, wo, 2 * c]);
      const pick = (odd: 0 | 1) => tf.reshape(tf.slice(pairs, [0, odd, 0, odd * c], [-1, 1, -1, c]), [b, ho, wo, c]) as tf.Tensor4D;
      const even = this.a.apply(pick(0));
      if (!this.b) return this.bn.apply(even, training);
      return this.bn.apply(tf.concat([even, this.b.apply(pick(1))], 3) as tf.Tensor4D, training);
    });
  }
}

/** A sep_conv (two units) or dil_conv (one unit) of [pre-activation → separable layer → BN]. */
class FastSeparableOp implements Op {
  private readonly units: { layer: SeparableLayer; bn: BatchNormLayer }[];
  private readonly activations: BinarizeOptions['activations'];

  /** Weight names as candidate-ops.ts's `primitive` gives them (repeat index 0). */
  constructor(spec: OpSpec, ctx: OpContext) {
    const name = `${ctx.prefix}r0`;
    const unit = (layer: string, bn: string, stride: 1 | 2) => ({
      layer: new SeparableLayer(ctx.store, layer, spec.kernel, ctx.channels, stride, spec.dilation, ctx.binarize, depthwiseFast),
      bn: new BatchNormLayer(ctx.store, `${bn}.bn`, ctx.channels, ctx.bn),
    });
    this.units = spec.kind === 'sep_conv'
      ? [unit(`${name}.sep1`, `${name}.1`, ctx.stride), unit(`${name}.sep2`, `${name}.2`, 1)]
      : [unit(`${name}.sep`, name, ctx.stride)];
    this.activations = ctx.binarize.activations;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() =>
      // No ReLU before a sign-quantized conv (candidate-ops.ts: sign(ReLU(x)) would be constant).
      this.units.reduce((h, u) => u.bn.apply(u.layer.apply(this.activations === 'sign' ? h : tf.relu(h)), training), x),
    );
  }
}

/**
 * The op of a discrete cell: candidate-ops.ts's op with the same weights and values, through
 * faster kernels where it matters for from-scratch training (separable and dilated convs, the
 * strided skip); everything else is the candidate op itself. `undefined` for `none`.
 */
export function buildDiscreteOp(spec: OpSpec, ctx: OpContext): Op | undefined {
  if (spec.repeat === 1 && (spec.kind === 'sep_conv' || spec.kind === 'dil_conv')) return new FastSeparableOp(spec, ctx);
  // A strided skip is a factorized reduce whose weights live under `r0.` (candidate-ops.ts).
  if (spec.repeat === 1 && spec.kind === 'skip' && ctx.stride === 2) return new EvenOddFactorizedReduce({ ...ctx, prefix: `${ctx.prefix}r0.` }, ctx.channels, ctx.channels);
  return buildOp(spec, ctx);
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
  ) {
    const ctx = (prefix: string, channels: number, stride: 1 | 2, binarize: BinarizeOptions): OpContext => ({
      store, prefix, channels, stride, binarize, bn: EVAL_BN,
    });
    const p = `c${plan.index}.`;
    const pre = binarizeFor(space, 'preprocess');
    this.pre0 = plan.reductionPrev
      ? new EvenOddFactorizedReduce(ctx(`${p}pre0.`, plan.channels, 2, pre), plan.inPrevPrev, plan.channels)
      : new ReluConvBn(ctx(`${p}pre0.`, plan.channels, 1, pre), plan.inPrevPrev, plan.channels);
    this.pre1 = new ReluConvBn(ctx(`${p}pre1.`, plan.channels, 1, pre), plan.inPrev, plan.channels);
    const bin = binarizeFor(space, 'ops');
    this.ops = edges.map(([name, input], i) => {
      const stride: 1 | 2 = plan.kind === 'reduce' && input < 2 ? 2 : 1;
      return buildDiscreteOp(resolveOpSpec(name, space), ctx(`${p}e${i}.`, plan.channels, stride, bin));
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
      return tf.concat(this.concat.map((s) => states[s]), 3) as tf.Tensor4D;
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
    this.stem = new ConvLayer(this.weights, 'stem.conv', 3, cin, stemC, 1, binarizeFor(space, 'stem'));
    this.stemBn = new BatchNormLayer(this.weights, 'stem.bn', stemC, EVAL_BN);
    const pick = (k: CellKind) => (k === 'normal' ? [genotype.normal, genotype.normal_concat] : [genotype.reduce, genotype.reduce_concat]) as [GenotypeEdge[], number[]];
    this.cells = plans.map((p) => new DiscreteCell(p, ...pick(p.kind), this.weights, space));
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

  parameterCount(): number {
    return this.weights.count();
  }

  dispose(): void {
    this.weights.dispose();
  }
}

/**
 * A random cell pair of the space: for each node two distinct inputs chosen uniformly from the
 * earlier states, each with a uniformly chosen non-`none` op (the baseline of `--random`).
 */
export function randomGenotype(space: SearchSpace, rng: { int(n: number): number }): Genotype {
  const ops = space.ops.filter((o) => o.kind !== 'zero').map((o) => o.name);
  const nodes = space.supernet.nodes;
  const cell = (): GenotypeEdge[] => {
    const out: GenotypeEdge[] = [];
    for (let j = 0; j < nodes; j++) {
      const a = rng.int(j + 2);
      let b = rng.int(j + 1);
      if (b >= a) b++;
      for (const input of [a, b].sort((x, y) => x - y)) out.push([ops[rng.int(ops.length)], input]);
    }
    return out;
  };
  const concat = Array.from({ length: nodes }, (_, i) => i + 2);
  return { normal: cell(), normal_concat: concat, reduce: cell(), reduce_concat: concat };
}
