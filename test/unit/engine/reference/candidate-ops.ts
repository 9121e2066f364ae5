/**
 * Test reference: the candidate ops built one by one from the engine's primitives on stock
 * kernels, independently of the runtime's op table (runtime/supernet/candidate-ops.ts), named
 * `${prefix}.a.dw` etc. The per-edge reference (fused-edge.ts) and the engine benchmark's naive
 * cell are built from it; candidate-ops.test.ts checks it against float64 references. Binary ops are ordinary convs with quantizers: the activation quantizer on the conv
 * input, the weight quantizer on the filter. Weights live in a {@link ParamStore} under the op's
 * prefix, so dropping an op is `store.disposePrefix(prefix)`.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../../../../runtime/engine/conv.js';
import { depthwiseConv2d } from '../../../../runtime/engine/depthwise.js';
import { BatchNormLayer } from '../../../../runtime/engine/norm.js';
import type { ParamStore } from '../../../../runtime/engine/params.js';
import { avgPool, maxPool } from '../../../../runtime/engine/pool.js';
import { quantizeActivations, quantizeWeights, REAL, type BinarizeOptions } from '../../../../runtime/engine/quantize.js';

/** Primitive kinds; the same strings as `OpKind` of the search space model. */
export type CandidateKind = 'conv' | 'sep_conv' | 'dil_conv' | 'max_pool' | 'avg_pool' | 'skip' | 'zero';

/** One candidate op in primitive form (structurally compatible with the DSL's `OpSpec`). */
export interface CandidateSpec {
  readonly kind: CandidateKind;
  /** Odd kernel size (pools: window). */
  readonly kernel: number;
  /** Depthwise dilation of `dil_conv` (1–3); ignored by other kinds. */
  readonly dilation: number;
  /** How many times the primitive is stacked (only the first is strided). */
  readonly repeat: number;
}

/** Where an op's weights live and how it computes. */
export interface CandidateOptions {
  readonly store: ParamStore;
  /** Variable-name prefix, unique per op (e.g. `normal.e3.sep_conv_3x3`). */
  readonly prefix: string;
  /** Input channels; also output channels unless `outChannels` is set (conv units only). */
  readonly channels: number;
  readonly stride: 1 | 2;
  /** Quantizers of every conv in the op; default full precision. */
  readonly binarize?: BinarizeOptions;
  /** Affine BN with running statistics (evaluation networks); default false (search). */
  readonly affine?: boolean;
}

/** A built op: a function of its input plus the prefix of its weights. */
export interface CandidateOp {
  readonly kind: CandidateKind;
  readonly prefix: string;
  /**
   * @param x shape [B, H, W, C], float32
   * @param training batch statistics in BN when true (default)
   * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
   */
  apply(x: tf.Tensor4D, training?: boolean): tf.Tensor4D;
}

function bnLayer(o: CandidateOptions, name: string, channels: number): BatchNormLayer {
  return new BatchNormLayer(o.store, `${o.prefix}.${name}`, channels, {
    affine: o.affine ?? false,
    trackRunningStats: o.affine ?? false,
  });
}

/**
 * ReLU before a conv, unless the conv's activations are binarized: sign(ReLU(x)) is +1
 * everywhere (sign(0) = +1), which would make the op constant. The sign is the nonlinearity then.
 */
function preActivation(x: tf.Tensor4D, bin: BinarizeOptions): tf.Tensor4D {
  return bin.activations === 'sign' ? x : tf.relu(x);
}

/**
 * A (possibly binary) dense conv: quantize input and filter, then {@link conv2d}.
 * @param x shape [B, H, W, Ci], float32
 * @param w shape [k, k, Ci, Co], float32
 */
export function binaryConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, bin: BinarizeOptions): tf.Tensor4D {
  return conv2d(quantizeActivations(x, bin), quantizeWeights(w, bin, 3), stride);
}

/**
 * A (possibly binary) depthwise conv; per-channel scale is per input channel (axis 2).
 * @param x shape [B, H, W, C], float32
 * @param w shape [k, k, C, 1], float32
 */
export function binaryDepthwiseConv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  dilation: number,
  bin: BinarizeOptions,
): tf.Tensor4D {
  return depthwiseConv2d(quantizeActivations(x, bin), quantizeWeights(w, bin, 2), stride, dilation);
}

/** ReLU → depthwise k×k (dilation) → 1×1 → BN: one half of sep_conv, or all of dil_conv. */
class DepthwisePointwise {
  private readonly bn: BatchNormLayer;
  constructor(
    private readonly o: CandidateOptions,
    private readonly name: string,
    k: number,
    private readonly stride: number,
    private readonly dilation: number,
  ) {
    const c = o.channels;
    o.store.create(`${o.prefix}.${name}.dw`, [k, k, c, 1]);
    o.store.create(`${o.prefix}.${name}.pw`, [1, 1, c, c]);
    this.bn = bnLayer(o, `${name}.bn`, c);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const bin = this.o.binarize ?? REAL;
    const s = this.o.store;
    const p = `${this.o.prefix}.${this.name}`;
    const dw = binaryDepthwiseConv2d(preActivation(x, bin), s.get(`${p}.dw`) as tf.Tensor4D, this.stride, this.dilation, bin);
    return this.bn.apply(binaryConv2d(dw, s.get(`${p}.pw`) as tf.Tensor4D, 1, bin), training);
  }
}

/** ReLU → k×k conv → BN, Ci → Co (also the cell pre-processing ReLU–1×1–BN). */
export class ConvBn {
  private readonly bn: BatchNormLayer;
  constructor(
    private readonly o: CandidateOptions,
    k: number,
    outChannels = o.channels,
  ) {
    o.store.create(`${o.prefix}.w`, [k, k, o.channels, outChannels]);
    this.bn = bnLayer(o, 'bn', outChannels);
  }

  /** @param x shape [B, H, W, Ci], float32; @returns [B, H/s, W/s, Co], float32 */
  apply(x: tf.Tensor4D, training = true): tf.Tensor4D {
    return tf.tidy(() => {
      const bin = this.o.binarize ?? REAL;
      const y = binaryConv2d(preActivation(x, bin), this.o.store.get(`${this.o.prefix}.w`) as tf.Tensor4D, this.o.stride, bin);
      return this.bn.apply(y, training);
    });
  }
}

/**
 * Factorized reduce (stride 2, Ci → Co): ReLU, then two 1×1 stride-2 convs, one on the input and
 * one on the input shifted by one pixel (⌈Co/2⌉ and ⌊Co/2⌋ outputs), concatenated, then BN.
 */
export class FactorizedReduce {
  private readonly bn: BatchNormLayer;
  private readonly split: number;
  constructor(
    private readonly o: CandidateOptions,
    outChannels = o.channels,
  ) {
    this.split = Math.ceil(outChannels / 2);
    o.store.create(`${o.prefix}.w1`, [1, 1, o.channels, this.split]);
    // With one output channel there is nothing left for the shifted half.
    if (outChannels > this.split) o.store.create(`${o.prefix}.w2`, [1, 1, o.channels, outChannels - this.split]);
    this.bn = bnLayer(o, 'bn', outChannels);
  }

  /** @param x shape [B, H, W, Ci], float32; @returns [B, ceil(H/2), ceil(W/2), Co], float32 */
  apply(x: tf.Tensor4D, training = true): tf.Tensor4D {
    return tf.tidy(() => {
      const bin = this.o.binarize ?? REAL;
      const s = this.o.store;
      const a = preActivation(x, bin);
      const [b, h, w, c] = a.shape;
      const y1 = binaryConv2d(a, s.get(`${this.o.prefix}.w1`) as tf.Tensor4D, 2, bin);
      if (!s.has(`${this.o.prefix}.w2`)) return this.bn.apply(y1, training);
      // Shifted by one pixel; padding the far edge keeps the output size ceil(H/2) for odd H too.
      const shifted = tf.pad(tf.slice(a, [0, 1, 1, 0], [b, h - 1, w - 1, c]), [[0, 0], [0, 1], [0, 1], [0, 0]]);
      const y2 = binaryConv2d(shifted as tf.Tensor4D, s.get(`${this.o.prefix}.w2`) as tf.Tensor4D, 2, bin);
      return this.bn.apply(tf.concat([y1, y2], 3), training);
    });
  }
}

function buildOne(spec: CandidateSpec, o: CandidateOptions): CandidateOp['apply'] {
  const k = spec.kernel;
  switch (spec.kind) {
    case 'sep_conv': {
      const first = new DepthwisePointwise(o, 'a', k, o.stride, 1);
      const second = new DepthwisePointwise(o, 'b', k, 1, 1);
      return (x, training = true) => second.apply(first.apply(x, training), training);
    }
    case 'dil_conv': {
      const unit = new DepthwisePointwise(o, 'a', k, o.stride, spec.dilation);
      return (x, training = true) => unit.apply(x, training);
    }
    case 'conv': {
      const unit = new ConvBn(o, k);
      return (x, training = true) => unit.apply(x, training);
    }
    case 'max_pool':
    case 'avg_pool': {
      const bn = bnLayer(o, 'bn', o.channels);
      const pool = spec.kind === 'max_pool' ? maxPool : avgPool;
      return (x, training = true) => bn.apply(pool(x, k, o.stride), training);
    }
    case 'skip': {
      if (o.stride === 1) return (x) => tf.clone(x);
      const fr = new FactorizedReduce(o);
      return (x, training = true) => fr.apply(x, training);
    }
    case 'zero':
      return (x) => zeroOp(x, o.stride);
  }
}

/**
 * The `none` op: zeros of the output shape (no gradient to its input).
 * @param x shape [B, H, W, C], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32, all zero
 */
export function zeroOp(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.zeros([b, Math.ceil(h / stride), Math.ceil(w / stride), c]);
}

/**
 * Builds a candidate op: creates its weights in `options.store` under `options.prefix` and
 * returns its forward function. `repeat` > 1 stacks the primitive (the first copy strided),
 * each copy under `${prefix}.r${i}`.
 */
export function buildCandidateOp(spec: CandidateSpec, options: CandidateOptions): CandidateOp {
  const repeat = Math.max(1, spec.repeat);
  if ((spec.kind === 'zero' || spec.kind === 'skip') && repeat > 1) {
    return buildCandidateOp({ ...spec, repeat: 1 }, options);
  }
  const parts =
    repeat === 1
      ? [buildOne(spec, options)]
      : Array.from({ length: repeat }, (_, i) =>
          buildOne(spec, { ...options, prefix: `${options.prefix}.r${i}`, stride: i === 0 ? options.stride : 1 }),
        );
  return {
    kind: spec.kind,
    prefix: options.prefix,
    apply: (x, training = true) =>
      tf.tidy(() => parts.reduce<tf.Tensor4D>((h, f) => f(h, training), x)),
  };
}

/** Parses a built-in DARTS op name (`sep_conv_3x3`, `dil_conv_5x5`, `max_pool_3x3`, …). */
export function candidateSpecOf(name: string): CandidateSpec {
  if (name === 'none') return { kind: 'zero', kernel: 1, dilation: 1, repeat: 1 };
  if (name === 'skip_connect') return { kind: 'skip', kernel: 1, dilation: 1, repeat: 1 };
  const m = /^(sep_conv|dil_conv|conv|max_pool|avg_pool)_(\d+)x\2$/.exec(name);
  if (!m) {
    throw new Error(
      `unknown op '${name}': built-ins are none, skip_connect, max_pool_KxK, avg_pool_KxK, sep_conv_KxK, dil_conv_KxK, conv_KxK (K odd)`,
    );
  }
  const kind = m[1] as CandidateKind;
  return { kind, kernel: Number(m[2]), dilation: kind === 'dil_conv' ? 2 : 1, repeat: 1 };
}
