/**
 * Candidate ops (method doc, "Candidate ops"), built from engine primitives with binary convs as
 * ordinary convs behind quantizers. Every op owns its variables in a ParamStore under a prefix, so
 * a pruned op is disposed with `store.disposePrefix(prefix)` and never computed again.
 *
 * One deliberate departure from the float DARTS ops: with `activations = sign` the ReLU in front of
 * a binary conv is left out, because sign(ReLU(x)) = +1 everywhere (sign(0) = +1) and the conv
 * would see a constant input; sign is then the non-linearity, as in Kim et al.'s binary cells.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../engine/conv.js';
import { depthwiseConv2d } from '../engine/depthwise.js';
import { BatchNormLayer, type BatchNormOptions } from '../engine/norm.js';
import type { ParamStore } from '../engine/params.js';
import { avgPool, maxPool } from '../engine/pool.js';
import { quantizeActivations, quantizeWeights, type BinarizeOptions } from '../engine/quantize.js';
import type { OpSpec } from '../dsl/space.js';

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
}

/** A built op: a function of its input. */
export interface Op {
  /**
   * @param x shape [B, H, W, C], float32
   * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** The non-linearity before a conv: ReLU for real activations, nothing when sign follows. */
function preActivation(x: tf.Tensor4D, binarize: BinarizeOptions): tf.Tensor4D {
  return binarize.activations === 'sign' ? x : tf.relu(x);
}

/** A k×k (or 1×1) binary-capable conv owning its filter [k, k, Ci, Co]. */
export class ConvLayer {
  constructor(
    private readonly store: ParamStore,
    private readonly name: string,
    k: number,
    ci: number,
    co: number,
    private readonly stride: 1 | 2,
    private readonly binarize: BinarizeOptions,
  ) {
    store.create(name, [k, k, ci, co], 'he');
  }

  /** @param x [B, H, W, Ci] float32 → [B, H/stride, W/stride, Co] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const w = quantizeWeights(this.store.get(this.name) as tf.Tensor4D, this.binarize);
    return conv2d(quantizeActivations(x, this.binarize), w, this.stride);
  }
}

/** A depthwise conv: x [B, H, W, C], w [k, k, C, 1] → [B, H/stride, W/stride, C], float32. */
export type DepthwiseFn = (x: tf.Tensor4D, w: tf.Tensor4D, stride: number, dilation: number) => tf.Tensor4D;

/**
 * Depthwise (k×k, dilation) then pointwise 1×1, both binary-capable. `depthwise` picks the kernel:
 * the supernet's op-by-op path (the engine benchmarks' naive baseline) keeps the stock one, the
 * discrete evaluation network passes the engine's fast kernel (same values).
 */
export class SeparableLayer {
  constructor(
    private readonly store: ParamStore,
    private readonly name: string,
    k: number,
    c: number,
    private readonly stride: 1 | 2,
    private readonly dilation: number,
    private readonly binarize: BinarizeOptions,
    private readonly depthwise: DepthwiseFn = depthwiseConv2d,
  ) {
    store.create(`${name}.dw`, [k, k, c, 1], 'he');
    store.create(`${name}.pw`, [1, 1, c, c], 'he');
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const b = this.binarize;
    const dw = quantizeWeights(this.store.get(`${this.name}.dw`) as tf.Tensor4D, b, 2);
    const pw = quantizeWeights(this.store.get(`${this.name}.pw`) as tf.Tensor4D, b);
    const h = this.depthwise(quantizeActivations(x, b), dw, this.stride, this.dilation);
    return conv2d(quantizeActivations(h, b), pw, 1);
  }
}

/** [pre-activation → layer → BN] as one unit. */
class Unit {
  private readonly bn: BatchNormLayer;
  private readonly binarize: BinarizeOptions;
  constructor(
    private readonly layer: { apply(x: tf.Tensor4D): tf.Tensor4D },
    ctx: OpContext,
    name: string,
    channels: number,
  ) {
    this.bn = new BatchNormLayer(ctx.store, `${name}.bn`, channels, ctx.bn);
    this.binarize = ctx.binarize;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.bn.apply(this.layer.apply(preActivation(x, this.binarize)), training);
  }
}

/**
 * Factorized reduce: two 1×1 stride-2 convs, one on the input shifted by one pixel, concatenated
 * (then BN). Halves the resolution while keeping every pixel in play.
 */
export class FactorizedReduce implements Op {
  private readonly a: ConvLayer;
  private readonly b: ConvLayer | undefined;
  private readonly bn: BatchNormLayer;
  private readonly binarize: BinarizeOptions;

  constructor(ctx: OpContext, ci: number, co: number) {
    const half = Math.ceil(co / 2);
    this.a = new ConvLayer(ctx.store, `${ctx.prefix}fr.a`, 1, ci, half, 2, ctx.binarize);
    // With one output channel there is nothing to give the shifted half.
    this.b = co - half > 0 ? new ConvLayer(ctx.store, `${ctx.prefix}fr.b`, 1, ci, co - half, 2, ctx.binarize) : undefined;
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

/** One primitive of `spec.kind` (repeat index `r`, stride `stride`). */
function primitive(spec: OpSpec, ctx: OpContext, r: number, stride: 1 | 2): Op {
  const c = ctx.channels;
  const name = `${ctx.prefix}r${r}`;
  const k = spec.kernel;
  switch (spec.kind) {
    case 'skip':
      return stride === 1 ? new Identity() : new FactorizedReduce({ ...ctx, prefix: `${name}.` }, c, c);
    case 'max_pool':
    case 'avg_pool':
      return new Pool(ctx, name, spec.kind === 'max_pool' ? 'max' : 'avg', k, stride);
    case 'conv':
      return new Chain([new Unit(new ConvLayer(ctx.store, `${name}.conv`, k, c, c, stride, ctx.binarize), ctx, name, c)]);
    case 'dil_conv':
      return new Chain([new Unit(new SeparableLayer(ctx.store, `${name}.sep`, k, c, stride, spec.dilation, ctx.binarize), ctx, name, c)]);
    case 'sep_conv':
      return new Chain([
        new Unit(new SeparableLayer(ctx.store, `${name}.sep1`, k, c, stride, spec.dilation, ctx.binarize), ctx, `${name}.1`, c),
        new Unit(new SeparableLayer(ctx.store, `${name}.sep2`, k, c, 1, spec.dilation, ctx.binarize), ctx, `${name}.2`, c),
      ]);
    case 'zero':
      throw new Error('zero ops are not built');
  }
}

/**
 * Builds a candidate op, or `undefined` for `zero` (`none`): its output is all zeros, so the mixed
 * op leaves it out of the sum (α of `none` still takes part in the softmax).
 */
export function buildOp(spec: OpSpec, ctx: OpContext): Op | undefined {
  if (spec.kind === 'zero') return undefined;
  const parts: Op[] = [];
  for (let r = 0; r < spec.repeat; r++) parts.push(primitive(spec, ctx, r, r === 0 ? ctx.stride : 1));
  return parts.length === 1 ? parts[0] : new Stack(parts);
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
