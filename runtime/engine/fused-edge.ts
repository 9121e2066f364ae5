/**
 * A mixed edge computed as a few fused kernels instead of one kernel chain per candidate op.
 * The straightforward mixed edge runs every op on its own (ReLU, depthwise, 1×1, BN … per op)
 * and spends its time in many small, memory-bound kernels. Here, for the ops sharing the edge
 * input:
 * - the pre-activation (ReLU, or sign for binary activations) is computed once;
 * - the first depthwise convs of all sep/dil convs with the same dilation are ONE depthwise conv
 *   with a channel multiplier (smaller kernels zero-padded to the group's largest);
 * - their 1×1 convs are ONE matrix product with a block-diagonal weight;
 * - batch norms run once on the concatenated outputs (BN is per channel, so this is exact);
 * - the second half of the sep convs is again one depthwise conv and one matrix product;
 * - the weighted sum Σ_o w_o·y_o is ONE matrix product with kron(w, I_C).
 * Weights carry the same names as {@link buildCandidateOp} (`${prefix}.${name}.a.dw`, …), so the
 * same seed gives the same weights either way and a pruned op is `drop(name)`.
 * Ops outside the fused kinds (conv_k, repeat > 1, factorized reduce) run as ordinary candidate
 * ops and join the final weighted sum.
 */
import * as tf from '@tensorflow/tfjs';
import { buildCandidateOp, type CandidateOp, type CandidateSpec } from './candidate-ops.js';
import { depthwiseMultiplier, dilateFilter } from './depthwise.js';
import { batchNorm } from './norm.js';
import type { ParamStore } from './params.js';
import { avgPool, maxPool } from './pool.js';
import { quantizeActivations, quantizeWeights, REAL, type BinarizeOptions } from './quantize.js';

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

/** sep/dil convs sharing one fused first depthwise conv. */
interface DepthwiseGroup {
  readonly dilation: number;
  /** Filter size of the fused conv (largest member; stride 2: after dilating the filters). */
  readonly size: number;
  readonly members: number[];
}

/** What `apply` computes, derived from the alive ops. */
interface Plan {
  readonly groups: DepthwiseGroup[];
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
    const groups = new Map<number, DepthwiseGroup>();
    const pools: number[] = [];
    const identity: number[] = [];
    const others: Plan['others'] = [];
    const s = this.options.stride;
    this.entries.forEach((e, i) => {
      if (!this.alive[i]) return;
      if (this.others.has(i)) {
        others.push({ index: i, op: this.others.get(i) as CandidateOp });
      } else if (isFusedConv(e)) {
        const d = e.kind === 'dil_conv' ? e.dilation : 1;
        // Stride 2 cannot use native dilation: all filters are dilated and fused into one group.
        const key = s === 1 ? d : 1;
        const size = s === 1 ? e.kernel : (e.kernel - 1) * d + 1;
        const g = groups.get(key) ?? { dilation: key, size: 0, members: [] };
        groups.set(key, { ...g, size: Math.max(g.size, size), members: [...g.members, i] });
      } else if (e.kind === 'max_pool' || e.kind === 'avg_pool') {
        pools.push(i);
      } else if (e.kind === 'skip') {
        identity.push(i);
      }
    });
    // sep convs first inside a group: their outputs continue to the second half as one block.
    const sorted = [...groups.values()].map((g) => ({
      ...g,
      members: [...g.members].sort((a, b) => Number(this.entries[b].kind === 'sep_conv') - Number(this.entries[a].kind === 'sep_conv')),
    }));
    return { groups: sorted, pools, identity, others };
  }

  /** The quantized depthwise filter of op i, half h, placed in a size×size window. */
  private depthwiseFilter(i: number, half: string, size: number, dilate: number): tf.Tensor4D {
    const bin = this.options.binarize ?? REAL;
    const w = quantizeWeights(this.options.store.get(`${this.options.prefix}.${this.entries[i].name}.${half}.dw`) as tf.Tensor4D, bin, 2);
    const spread = dilateFilter(w, dilate);
    const pad = (size - spread.shape[0]) / 2;
    return pad > 0 ? (tf.pad(spread, [[pad, pad], [pad, pad], [0, 0], [0, 0]]) as tf.Tensor4D) : spread;
  }

  /**
   * Block-diagonal 1×1 weight for the ops `members` (half h), reading input channels in
   * `inputLayout` order and writing op-major outputs [op, C].
   * @returns shape [M·C, M·C], float32
   */
  private pointwiseBlock(members: number[], half: string, inputLayout: 'channel-major' | 'op-major'): tf.Tensor2D {
    const bin = this.options.binarize ?? REAL;
    const c = this.options.channels;
    const m = members.length;
    const ws = members.map((i) =>
      tf.reshape(quantizeWeights(this.options.store.get(`${this.options.prefix}.${this.entries[i].name}.${half}.pw`) as tf.Tensor4D, bin, 3), [c, c]),
    );
    const stacked = tf.stack(ws); // [m, Ci, Co]
    const eye = tf.reshape(tf.eye(m), [m, 1, m, 1]);
    if (inputLayout === 'op-major') {
      // W[j, ci, j', co] = δ(j, j') · w_j[ci, co]
      return tf.reshape(tf.mul(tf.reshape(stacked, [m, c, 1, c]), eye), [m * c, m * c]) as tf.Tensor2D;
    }
    // Depthwise-multiplier output is channel-major (ci·m + j): W[ci, j, j', co] = δ(j, j') · w_j[ci, co]
    const perChannel = tf.reshape(tf.transpose(stacked, [1, 0, 2]), [c, m, 1, c]);
    return tf.reshape(tf.mul(perChannel, tf.reshape(eye, [1, m, m, 1])), [m * c, m * c]) as tf.Tensor2D;
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
      const c = this.options.channels;
      const [b, h, w] = x.shape;
      const ho = Math.ceil(h / s);
      const wo = Math.ceil(w / s);
      const rows = b * ho * wo;
      const parts: tf.Tensor2D[] = [];
      const order: number[] = [];
      const add = (t: tf.Tensor4D, indices: number[]): void => {
        parts.push(tf.reshape(t, [rows, indices.length * c]) as tf.Tensor2D);
        order.push(...indices);
      };
      for (const i of this.plan.identity) add(x, [i]);
      const normalize: { t: tf.Tensor4D; indices: number[] }[] = [];
      if (this.plan.pools.length) {
        const pooled = this.plan.pools.map((i) => (this.entries[i].kind === 'max_pool' ? maxPool : avgPool)(x, this.entries[i].kernel, s));
        normalize.push({ t: pooled.length === 1 ? pooled[0] : (tf.concat(pooled, 3) as tf.Tensor4D), indices: this.plan.pools });
      }
      if (this.plan.groups.length) {
        const pre = bin.activations === 'sign' ? quantizeActivations(x, bin) : tf.relu(x);
        for (const g of this.plan.groups) {
          const m = g.members.length;
          const filters = g.members.map((i) => {
            const d = this.entries[i].kind === 'dil_conv' ? this.entries[i].dilation : 1;
            // Stride 1: the kernel dilates natively; stride 2: each filter is dilated here.
            return this.depthwiseFilter(i, 'a', g.size, s === 1 ? 1 : d);
          });
          const filter = m === 1 ? filters[0] : (tf.concat(filters, 3) as tf.Tensor4D); // [k, k, C, m]
          const dw = depthwiseMultiplier(pre, filter, s, s === 1 ? g.dilation : 1);
          const pw = tf.matMul(tf.reshape(quantizeActivations(dw, bin), [rows, m * c]), this.pointwiseBlock(g.members, 'a', 'channel-major'));
          const first = batchNorm(tf.reshape(pw, [b, ho, wo, m * c]) as tf.Tensor4D);
          const seps = g.members.filter((i) => this.entries[i].kind === 'sep_conv');
          const dils = g.members.filter((i) => this.entries[i].kind !== 'sep_conv');
          if (dils.length) add(tf.slice(first, [0, 0, 0, seps.length * c], [-1, -1, -1, -1]) as tf.Tensor4D, dils);
          if (seps.length) {
            const mid = seps.length === m ? first : (tf.slice(first, [0, 0, 0, 0], [-1, -1, -1, seps.length * c]) as tf.Tensor4D);
            const a2 = bin.activations === 'sign' ? quantizeActivations(mid, bin) : tf.relu(mid);
            const size = Math.max(...seps.map((i) => this.entries[i].kernel));
            // Second depthwise: each op has its own input block, so filters stack along channels.
            const f2 = tf.concat(seps.map((i) => this.depthwiseFilter(i, 'b', size, 1)), 2) as tf.Tensor4D;
            const dw2 = depthwiseMultiplier(a2, f2, 1, 1);
            const pw2 = tf.matMul(tf.reshape(quantizeActivations(dw2, bin), [rows, seps.length * c]), this.pointwiseBlock(seps, 'b', 'op-major'));
            normalize.push({ t: tf.reshape(pw2, [b, ho, wo, seps.length * c]) as tf.Tensor4D, indices: seps });
          }
        }
      }
      if (normalize.length) {
        const joined = normalize.length === 1 ? normalize[0].t : (tf.concat(normalize.map((n) => n.t), 3) as tf.Tensor4D);
        add(batchNorm(joined), normalize.flatMap((n) => n.indices));
      }
      for (const { index, op } of this.plan.others) add(op.apply(x), [index]);
      if (!parts.length) return tf.zeros([b, ho, wo, c]) as tf.Tensor4D;
      // Σ_o w_o·y_o as products part × kron(w_part, I_C) summed: no concat of the parts (a concat
      // and its split-gradient move every activation twice).
      // Weights are selected with a one-hot product: gather's gradient (UnsortedSegmentSum) is
      // missing on wasm.
      const select = new Float32Array(order.length * this.entries.length);
      order.forEach((o, r) => (select[r * this.entries.length + o] = 1));
      const wSel = tf.matMul(tf.tensor2d(select, [order.length, this.entries.length]), tf.reshape(weights, [-1, 1]));
      const mix = tf.reshape(tf.mul(tf.reshape(wSel, [order.length, 1, 1]), tf.eye(c)), [order.length * c, c]);
      let offset = 0;
      const terms = parts.map((p) => {
        const width = p.shape[1];
        const rowsOfMix = parts.length === 1 ? mix : tf.slice(mix, [offset, 0], [width, c]);
        offset += width;
        return tf.matMul(p, rowsOfMix);
      });
      return tf.reshape(terms.length === 1 ? terms[0] : tf.addN(terms), [b, ho, wo, c]) as tf.Tensor4D;
    });
  }
}
