/**
 * The op table (docs/method.md, "Candidate ops"): every candidate op of the supernet and of the
 * derived network is built here, by kind ({@link OP_TABLE}, as DARTS' `OPS`), from engine
 * primitives with binary convs as ordinary convs behind quantizers. Every op owns its variables in
 * a ParamStore under a prefix, so a pruned op is disposed with `store.disposePrefix(prefix)` and
 * never computed again. The supernet's fused cell (runtime/engine/fused-cell.ts) computes the
 * separable convs and pools of this table itself, under the same weight names ({@link separableName}).
 *
 * One deliberate departure from the float DARTS ops: with `activations = sign` the ReLU in front of
 * a binary conv is left out, because sign(ReLU(x)) = +1 everywhere (sign(0) = +1) and the conv
 * would see a constant input; sign is then the non-linearity, as in Kim et al.'s binary cells.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../engine/conv.js';
import { depthwiseConv2d } from '../engine/depthwise.js';
import { depthwiseFast } from '../engine/depthwise-fast.js';
import { concatChannels, quantizeActivationsFast, reluFast } from '../engine/cell-kernels.js';
import { BatchNormLayer, type BatchNormOptions } from '../engine/norm.js';
import type { ParamStore } from '../engine/params.js';
import { avgPool, maxPool } from '../engine/pool.js';
import { quantizeActivations, quantizeWeights, type BinarizeOptions } from '../engine/quantize.js';
import { takesShortcut, type OpKind, type OpSpec } from '../dsl/space.js';

/** What an op needs to be built. */
export interface OpContext {
  readonly store: ParamStore;
  /** Variable name prefix, ending in `.` so prefixes never collide (`c1.e10.` vs `c1.e1.`). */
  readonly prefix: string;
  /** Input and output channels. */
  readonly channels: number;
  readonly stride: 1 | 2;
  /** Quantizers of the convs inside the op. */
  readonly binarize: BinarizeOptions;
  /** Batch norm flavour: no affine, batch statistics in the search; affine + running in evaluation. */
  readonly bn: BatchNormOptions;
  /**
   * The kernels (same weights, same values up to float rounding). `stock` (default): the
   * supernet's, against which its fused cell is tested. `fast`: the derived network's, trained
   * from scratch: the engine's depthwise kernel, ReLU and activation sign, channel concatenation
   * (cell-kernels.ts), and the factorized reduce of {@link EvenOddFactorizedReduce}.
   */
  readonly kernels?: 'stock' | 'fast';
  /** A real identity shortcut around stride-1 conv ops (the space's `binarize.shortcut`). */
  readonly shortcut?: boolean;
  /** The learned gain of the conv branch inside the shortcut and its initial value (the space's `binarize.shortcut_gain`). */
  readonly shortcutGain?: number;
}

/** A built op: a function of its input. */
export interface Op {
  /**
   * @param x shape [B, H, W, C], float32
   * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/**
 * The non-linearity before a conv: ReLU for real activations, nothing when sign follows.
 * @param fast the engine's ReLU of the fast kernels (cell-kernels.ts `reluFast`, same values)
 */
export function preActivation(x: tf.Tensor4D, binarize: BinarizeOptions, fast = false): tf.Tensor4D {
  if (binarize.activations === 'sign') return x;
  return fast ? reluFast(x) : tf.relu(x);
}

/**
 * A k×k (or 1×1) binary-capable conv owning its filter [k, k, Ci, Co]. `afterRelu`: the real
 * network has a ReLU in front of it ({@link preActivation}); the stem's conv sees the image.
 */
export class ConvLayer {
  constructor(
    private readonly store: ParamStore,
    private readonly name: string,
    k: number,
    ci: number,
    co: number,
    private readonly stride: 1 | 2,
    private readonly binarize: BinarizeOptions,
    private readonly afterRelu = true,
  ) {
    store.create(name, [k, k, ci, co], 'he');
  }

  /** @param x [B, H, W, Ci] float32 → [B, H/stride, W/stride, Co] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const w = quantizeWeights(this.store.get(this.name) as tf.Tensor4D, this.binarize);
    return conv2d(quantizeActivations(x, this.binarize, this.afterRelu), w, this.stride);
  }
}

/**
 * Depthwise (k×k, dilation) then pointwise 1×1, both binary-capable. `fast`: the engine's
 * depthwise kernel and activation sign of one kernel each way (cell-kernels.ts), same values.
 */
class SeparableLayer {
  constructor(
    private readonly store: ParamStore,
    private readonly name: string,
    k: number,
    c: number,
    private readonly stride: 1 | 2,
    private readonly dilation: number,
    private readonly binarize: BinarizeOptions,
    private readonly fast = false,
  ) {
    store.create(`${name}.dw`, [k, k, c, 1], 'he');
    store.create(`${name}.pw`, [1, 1, c, c], 'he');
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const b = this.binarize;
    // The stock weight quantizers on both paths: a scale rounded differently (a loop's float64
    // mean) moves the binary convs' exact ties and so flips signs downstream.
    const dw = quantizeWeights(this.store.get(`${this.name}.dw`) as tf.Tensor4D, b, 2);
    const pw = quantizeWeights(this.store.get(`${this.name}.pw`) as tf.Tensor4D, b);
    const activations = this.fast ? quantizeActivationsFast : quantizeActivations;
    const depthwise = this.fast ? depthwiseFast : depthwiseConv2d;
    // The depthwise conv follows the unit's ReLU in the real network, the 1×1 conv does not.
    const h = depthwise(activations(x, b, true), dw, this.stride, this.dilation);
    return conv2d(activations(h, b), pw, 1);
  }
}

/** [pre-activation → layer → BN] as one unit. */
class Unit {
  private readonly bn: BatchNormLayer;
  private readonly binarize: BinarizeOptions;
  private readonly fast: boolean;
  constructor(
    private readonly layer: { apply(x: tf.Tensor4D): tf.Tensor4D },
    ctx: OpContext,
    name: string,
    channels: number,
  ) {
    this.bn = new BatchNormLayer(ctx.store, `${name}.bn`, channels, ctx.bn);
    this.binarize = ctx.binarize;
    this.fast = ctx.kernels === 'fast';
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.bn.apply(this.layer.apply(preActivation(x, this.binarize, this.fast)), training);
  }
}

/**
 * Factorized reduce: two 1×1 stride-2 convs, one on the input shifted by one pixel, concatenated
 * (then BN). Halves the resolution while keeping every pixel in play.
 */
export class FactorizedReduce implements Op {
  protected readonly a: ConvLayer;
  protected readonly b: ConvLayer | undefined;
  protected readonly bn: BatchNormLayer;
  protected readonly binarize: BinarizeOptions;

  /** @param convStride the convs' own stride (1 when the caller picks the pixels itself) */
  constructor(ctx: OpContext, ci: number, co: number, convStride: 1 | 2 = 2) {
    const half = Math.ceil(co / 2);
    this.a = new ConvLayer(ctx.store, `${ctx.prefix}fr.a`, 1, ci, half, convStride, ctx.binarize);
    // With one output channel there is nothing to give the shifted half.
    this.b = co - half > 0 ? new ConvLayer(ctx.store, `${ctx.prefix}fr.b`, 1, ci, co - half, convStride, ctx.binarize) : undefined;
    this.bn = new BatchNormLayer(ctx.store, `${ctx.prefix}fr.bn`, co, ctx.bn);
    this.binarize = ctx.binarize;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const h = preActivation(x, this.binarize);
      const a = this.a.apply(h);
      if (!this.b) return this.bn.apply(a, training);
      const [, H, W] = h.shape;
      // Shift by one pixel and pad back to H×W, so both halves have ceil(H/2)×ceil(W/2) outputs.
      const shifted = tf.pad(tf.slice(h, [0, 1, 1, 0], [-1, H - 1, W - 1, -1]), [[0, 0], [0, 1], [0, 1], [0, 0]]) as tf.Tensor4D;
      return this.bn.apply(tf.concat([a, this.b.apply(shifted)], 3) as tf.Tensor4D, training);
    });
  }
}

/** Stacks `repeat` copies of a primitive; only the first one is strided. */
class Stack implements Op {
  constructor(private readonly parts: Op[]) {}
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.parts.reduce((h, p) => p.apply(h, training), x));
  }
}

/**
 * x + op(x): the real-valued identity shortcut around a binary conv op, or x + g·op(x) with a
 * learned gain g (docs/method.md, "Collapse").
 */
class Shortcut implements Op {
  constructor(
    private readonly op: Op,
    private readonly gain?: tf.Variable,
  ) {}
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.op.apply(x, training);
      return tf.add(x, this.gain ? tf.mul(y, this.gain) : y);
    });
  }
}

/** The name of the learned shortcut gain of the op whose weights live under `prefix`. */
export function shortcutGainName(prefix: string): string {
  return `${prefix}gain`;
}

class Identity implements Op {
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }
}

class Pool implements Op {
  private readonly bn: BatchNormLayer;
  constructor(
    ctx: OpContext,
    name: string,
    private readonly kind: 'max' | 'avg',
    private readonly k: number,
    private readonly stride: 1 | 2,
  ) {
    this.bn = new BatchNormLayer(ctx.store, `${name}.bn`, ctx.channels, ctx.bn);
  }
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.bn.apply(this.kind === 'max' ? maxPool(x, this.k, this.stride) : avgPool(x, this.k, this.stride), training));
  }
}

/** Two chained units as one op (the DARTS separable conv applies its unit twice). */
class Chain implements Op {
  constructor(private readonly units: Unit[]) {}
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.units.reduce((h, u) => u.apply(h, training), x));
  }
}

/**
 * The layer names of a separable conv's halves: both halves of a sep_conv (`sep1`, `sep2`), the
 * single one of a dil_conv (`sep`); the fused cell names its filters the same way.
 */
export function separableName(kind: OpKind, half: 'a' | 'b'): string {
  return kind === 'dil_conv' ? 'sep' : half === 'a' ? 'sep1' : 'sep2';
}

/** A factorized reduce of the context's kernels (stride 2, `ci` → `co` channels). */
export function factorizedReduce(ctx: OpContext, ci: number, co: number): Op {
  return ctx.kernels === 'fast' ? new EvenOddFactorizedReduce(ctx, ci, co) : new FactorizedReduce(ctx, ci, co);
}

/** One primitive of an op: its spec, the context, the weight name prefix (no trailing dot) and stride. */
type PrimitiveBuilder = (spec: OpSpec, ctx: OpContext, name: string, stride: 1 | 2) => Op;

/** A separable unit [pre-activation → depthwise → 1×1 → BN] of half `half`; BN under `bn`. */
function separableUnit(spec: OpSpec, ctx: OpContext, name: string, half: 'a' | 'b', bn: string, stride: 1 | 2): Unit {
  const layer = new SeparableLayer(ctx.store, `${name}.${separableName(spec.kind, half)}`, spec.kernel, ctx.channels, stride, spec.dilation, ctx.binarize, ctx.kernels === 'fast');
  return new Unit(layer, ctx, bn, ctx.channels);
}

/** The candidate ops by kind (`zero` is never built: see {@link buildOp}). */
export const OP_TABLE: Readonly<Record<Exclude<OpKind, 'zero'>, PrimitiveBuilder>> = {
  skip: (_spec, ctx, name, stride) => (stride === 1 ? new Identity() : factorizedReduce({ ...ctx, prefix: `${name}.` }, ctx.channels, ctx.channels)),
  max_pool: (spec, ctx, name, stride) => new Pool(ctx, name, 'max', spec.kernel, stride),
  avg_pool: (spec, ctx, name, stride) => new Pool(ctx, name, 'avg', spec.kernel, stride),
  conv: (spec, ctx, name, stride) => new Chain([new Unit(new ConvLayer(ctx.store, `${name}.conv`, spec.kernel, ctx.channels, ctx.channels, stride, ctx.binarize), ctx, name, ctx.channels)]),
  dil_conv: (spec, ctx, name, stride) => new Chain([separableUnit(spec, ctx, name, 'a', name, stride)]),
  sep_conv: (spec, ctx, name, stride) =>
    new Chain([separableUnit(spec, ctx, name, 'a', `${name}.1`, stride), separableUnit(spec, ctx, name, 'b', `${name}.2`, 1)]),
};

/**
 * Builds a candidate op, or `undefined` for `zero` (`none`): its output is all zeros, so the mixed
 * op leaves it out of the sum (α of `none` still takes part in the softmax).
 */
export function buildOp(spec: OpSpec, ctx: OpContext): Op | undefined {
  if (spec.kind === 'zero') return undefined;
  const parts: Op[] = [];
  const build = OP_TABLE[spec.kind];
  for (let r = 0; r < spec.repeat; r++) parts.push(build(spec, ctx, `${ctx.prefix}r${r}`, r === 0 ? ctx.stride : 1));
  const op = parts.length === 1 ? parts[0] : new Stack(parts);
  if (!ctx.shortcut || !takesShortcut(spec.kind, ctx.stride)) return op;
  const gain = ctx.shortcutGain === undefined ? undefined : ctx.store.create(shortcutGainName(ctx.prefix), [1], { constant: ctx.shortcutGain });
  return new Shortcut(op, gain);
}

/** ReLU → 1×1 conv → BN: the pre-processing of a cell input. */
export class ReluConvBn implements Op {
  private readonly unit: Unit;
  constructor(ctx: OpContext, ci: number, co: number) {
    this.unit = new Unit(new ConvLayer(ctx.store, `${ctx.prefix}conv`, 1, ci, co, 1, ctx.binarize), ctx, ctx.prefix.slice(0, -1), co);
  }
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.unit.apply(x, training));
  }
}

/**
 * The factorized reduce of {@link FactorizedReduce} (same weights, same output) for the derived
 * network: the even and the odd pixels are picked with one reshape and one slice each and
 * convolved at stride 1, because the engine's strided 1×1 conv gathers its patches with
 * StridedSlice, several times slower on wasm. An odd size gets one zero row / column at the
 * bottom / right first: the pixels the strided convs see, and the zero padding of the shifted
 * half, are then exactly the ones picked.
 */
export class EvenOddFactorizedReduce extends FactorizedReduce {
  constructor(ctx: OpContext, ci: number, co: number) {
    super(ctx, ci, co, 1);
  }

  /**
   * @param x shape [B, H, W, ci], float32
   * @returns shape [B, ceil(H/2), ceil(W/2), co], float32
   */
  override apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      let h = preActivation(x, this.binarize, true);
      const [b, hh, ww, c] = h.shape;
      if (hh % 2 || ww % 2) h = tf.pad(h, [[0, 0], [0, hh % 2], [0, ww % 2], [0, 0]]);
      const [ho, wo] = [Math.ceil(hh / 2), Math.ceil(ww / 2)];
      // Row pairs become a dimension and column pairs join the channels: [B·Ho, 2, Wo, 2C].
      const pairs = tf.reshape(h, [b * ho, 2, wo, 2 * c]);
      const pick = (odd: 0 | 1) => tf.reshape(tf.slice(pairs, [0, odd, 0, odd * c], [-1, 1, -1, c]), [b, ho, wo, c]) as tf.Tensor4D;
      const even = this.a.apply(pick(0));
      if (!this.b) return this.bn.apply(even, training);
      return this.bn.apply(concatChannels([even, this.b.apply(pick(1))]), training);
    });
  }
}
