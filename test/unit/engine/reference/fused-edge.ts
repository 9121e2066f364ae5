/**
 * Test reference (per edge): a mixed edge computed with the fewest kernels and no channel-axis copies. Measured on wasm
 * (bench/engine/README.md): kernel count and element-by-element copies (concat, slice, pad,
 * transpose and their gradients) cost more than arithmetic in this step, while packing several
 * ops into one depthwise conv with a channel multiplier was slower than separate calls (XNNPACK
 * leaves its fast depthwise path). So, compared with running each candidate op on its own:
 * - the pre-activation of the edge (ReLU, or sign for binary activations, whose estimator is
 *   several kernels forward and backward) is computed once for all sep/dil convs;
 * - 1×1 convs are plain matrix products on the flattened activations;
 * - the mixing weights are unstacked once and the weighted sum is one AddN;
 * - no op output is concatenated, sliced or transposed.
 * Weights carry the same names as {@link buildCandidateOp} (`${prefix}.${name}.a.dw`, …), so the
 * same seed gives the same weights either way and a pruned op is `drop(name)`.
 * Ops outside the fused kinds (conv_k, repeat > 1, factorized reduce) run as ordinary candidate
 * ops and join the weighted sum.
 */
import * as tf from '@tensorflow/tfjs';
import type { FusedCellOptions } from '../../../../runtime/engine/fused-cell.js';
import { buildCandidateOp, type CandidateOp, type CandidateSpec } from './candidate-ops.js';
import { depthwiseConv2d } from '../../../../runtime/engine/depthwise.js';
import { batchNorm } from '../../../../runtime/engine/norm.js';
import type { ParamStore } from '../../../../runtime/engine/params.js';
import { avgPool, maxPool } from '../../../../runtime/engine/pool.js';
import { quantizeActivations, quantizeWeights, REAL, type BinarizeOptions } from '../../../../runtime/engine/quantize.js';

/** One candidate op of a fused edge: its primitive form and its name (the weight prefix). */
export interface FusedOpEntry extends CandidateSpec {
  readonly name: string;
}

/** Options of a {@link FusedMixedOp}; same meaning as for {@link buildCandidateOp}. */
export interface FusedEdgeOptions {
  readonly store: ParamStore;
  readonly prefix: string;
  /** Channels of the edge input (after partial-channel selection) and output. */
  readonly channels: number;
  readonly stride: 1 | 2;
  readonly binarize?: BinarizeOptions;
}

/** What `apply` computes, derived from the alive ops. */
interface Plan {
  readonly convs: number[];
  readonly pools: number[];
  readonly identity: number[];
  readonly others: { index: number; op: CandidateOp }[];
}

const isFusedConv = (e: FusedOpEntry): boolean => (e.kind === 'sep_conv' || e.kind === 'dil_conv') && e.repeat <= 1;

/**
 * The mixed op of one edge, fused. `apply(x, weights)` = Σ_o weights[o] · op_o(x) over alive ops.
 */
export class FusedMixedOp {
  private readonly alive: boolean[];
  private readonly others = new Map<number, CandidateOp>();
  private plan: Plan;

  /**
   * Creates every op's weights in `options.store`.
   * @param entries the edge's candidate ops in α order (`none` included: it just adds nothing)
   */
  constructor(
    readonly entries: readonly FusedOpEntry[],
    private readonly options: FusedEdgeOptions,
  ) {
    const { store, prefix, channels: c } = options;
    this.alive = entries.map(() => true);
    entries.forEach((e, i) => {
      const p = `${prefix}.${e.name}`;
      if (isFusedConv(e)) {
        for (const half of e.kind === 'sep_conv' ? ['a', 'b'] : ['a']) {
          store.create(`${p}.${half}.dw`, [e.kernel, e.kernel, c, 1]);
          store.create(`${p}.${half}.pw`, [1, 1, c, c]);
        }
      } else if (e.kind === 'conv' || e.repeat > 1 || (e.kind === 'skip' && options.stride === 2)) {
        this.others.set(i, buildCandidateOp(e, { ...options, prefix: p }));
      }
    });
    this.plan = this.makePlan();
  }

  /** Abandons op `name`: its weights are disposed and it is never computed again. */
  drop(name: string): void {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i < 0 || !this.alive[i]) throw new Error(`fused edge ${this.options.prefix}: no alive op '${name}'`);
    this.alive[i] = false;
    this.others.delete(i);
    this.options.store.disposePrefix(`${this.options.prefix}.${name}.`);
    this.plan = this.makePlan();
  }

  /** Names of the ops still computed. */
  aliveNames(): string[] {
    return this.entries.filter((_, i) => this.alive[i]).map((e) => e.name);
  }

  private makePlan(): Plan {
    const plan: Plan = { convs: [], pools: [], identity: [], others: [] };
    this.entries.forEach((e, i) => {
      if (!this.alive[i]) return;
      if (this.others.has(i)) plan.others.push({ index: i, op: this.others.get(i) as CandidateOp });
      else if (isFusedConv(e)) plan.convs.push(i);
      else if (e.kind === 'max_pool' || e.kind === 'avg_pool') plan.pools.push(i);
      else if (e.kind === 'skip') plan.identity.push(i);
    });
    return plan;
  }

  /**
   * One half of a sep/dil conv after the pre-activation: depthwise → (quantized) 1×1 → BN.
   * @param pre pre-activated input, shape [B, H, W, C], float32
   * @returns shape [B, H/stride, W/stride, C], float32
   */
  private half(pre: tf.Tensor4D, i: number, half: 'a' | 'b', stride: number, dilation: number): tf.Tensor4D {
    const bin = this.options.binarize ?? REAL;
    const c = this.options.channels;
    const p = `${this.options.prefix}.${this.entries[i].name}.${half}`;
    const store = this.options.store;
    const dwFilter = quantizeWeights(store.get(`${p}.dw`) as tf.Tensor4D, bin, 2);
    const dw = depthwiseConv2d(pre, dwFilter, stride, dilation);
    const pwFilter = tf.reshape(quantizeWeights(store.get(`${p}.pw`) as tf.Tensor4D, bin, 3), [c, c]) as tf.Tensor2D;
    const pw = tf.matMul(tf.reshape(quantizeActivations(dw, bin), [-1, c]), pwFilter);
    return batchNorm(tf.reshape(pw, dw.shape) as tf.Tensor4D);
  }

  /**
   * @param x edge input, shape [B, H, W, C], float32
   * @param weights op mixing weights, shape [O] (one per entry, in entry order), float32
   * @returns Σ_o weights[o]·op_o(x), shape [B, ceil(H/stride), ceil(W/stride), C], float32
   */
  apply(x: tf.Tensor4D, weights: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => {
      const bin = this.options.binarize ?? REAL;
      const s = this.options.stride;
      const [b, h, w, c] = x.shape;
      const terms: { index: number; y: tf.Tensor4D }[] = [];
      for (const i of this.plan.identity) terms.push({ index: i, y: x });
      for (const i of this.plan.pools) {
        const e = this.entries[i];
        terms.push({ index: i, y: batchNorm((e.kind === 'max_pool' ? maxPool : avgPool)(x, e.kernel, s)) });
      }
      if (this.plan.convs.length) {
        const activate = (t: tf.Tensor4D): tf.Tensor4D => (bin.activations === 'sign' ? quantizeActivations(t, bin) : tf.relu(t));
        const pre = activate(x);
        for (const i of this.plan.convs) {
          const e = this.entries[i];
          const first = this.half(pre, i, 'a', s, e.kind === 'dil_conv' ? e.dilation : 1);
          terms.push({ index: i, y: e.kind === 'sep_conv' ? this.half(activate(first), i, 'b', 1, 1) : first });
        }
      }
      for (const { index, op } of this.plan.others) terms.push({ index, y: op.apply(x) });
      if (!terms.length) return tf.zeros([b, Math.ceil(h / s), Math.ceil(w / s), c]) as tf.Tensor4D;
      const ws = tf.unstack(weights);
      return tf.addN(terms.map((t) => tf.mul(t.y, ws[t.index]) as tf.Tensor4D));
    });
  }
}

/**
 * The weight names and other-op builder that make a FusedCell share its weights with a cell of
 * FusedMixedOps (edge e's ops under `${edgePrefix(e)}.${op}.`).
 * @param channels the channels of an op's input (C/K)
 */
export function perEdgeNaming(
  ops: readonly FusedOpEntry[],
  edgePrefix: (edge: number) => string,
  o: { store: ParamStore; channels: number; binarize?: BinarizeOptions },
): Pick<FusedCellOptions, 'naming' | 'buildOther'> {
  return {
    naming: {
      opPrefix: (e, i) => `${edgePrefix(e)}.${ops[i].name}.`,
      filter: (e, i, half, kind) => `${edgePrefix(e)}.${ops[i].name}.${half}.${kind}`,
      gain: (e, i) => `${edgePrefix(e)}.${ops[i].name}.gain`,
    },
    buildOther: (e, i, stride) => {
      const op = buildCandidateOp(ops[i], { ...o, prefix: `${edgePrefix(e)}.${ops[i].name}`, stride });
      return (x) => op.apply(x);
    },
  };
}
