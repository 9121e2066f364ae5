/**
 * A whole PC-DARTS cell's mixed edges computed together, with the loop kernels of
 * cell-kernels.ts. Every edge leaving a state sees the same input (its first C/K channels), so
 * instead of one chain of kernels per op per edge:
 * - the edges computed together (all edges leaving the states available at that point: states
 *   0 and 1 first, then each new node) are tiled along channels, and every sep/dil conv half of
 *   all those edges is ONE depthwise conv, ONE (sign →) grouped 1×1 → batch norm kernel, and ONE
 *   packed, quantized weight tensor per filter kind (all XNOR scales in one kernel);
 * - pools (and their batch norm) run once per source state, not once per edge;
 * - partial channels, op mixing (softmax α), edge weights (β), the bypass, the channel shuffle and
 *   the concatenation of the nodes are all one weighted channel gather-sum per node.
 * Weights are named by the caller ({@link FusedCellNaming}: the supernet gives its op table's
 * names), so the same seed gives the same weights as the ops built one by one, and a pruned op is
 * `drop(edge, name)`. Ops outside the fused kinds (conv_k, repeat > 1, factorized reduce) are built
 * by the caller per edge ({@link FusedCellOptions.buildOther}) and join the mix.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormFast, channelMix, packMany, pointwiseBn, signSte } from './cell-kernels.js';
import { depthwiseFast } from './depthwise-fast.js';
import { dropout, dropoutFor, type StepDropout } from './dropout.js';
import type { ParamStore } from './params.js';
import { avgPool, maxPool } from './pool.js';
import { blendLambda, blendValues, REAL, unblended, type BinarizeOptions } from './quantize.js';

/** Primitive kinds; the same strings as `OpKind` of the search space model. */
export type FusedOpKind = 'conv' | 'sep_conv' | 'dil_conv' | 'max_pool' | 'avg_pool' | 'skip' | 'zero';

/** One candidate op of a cell (structurally the DSL's `OpSpec`). */
export interface FusedOpEntry {
  readonly name: string;
  readonly kind: FusedOpKind;
  /** Odd kernel size (pools: window). */
  readonly kernel: number;
  /** Depthwise dilation (sep_conv and dil_conv). */
  readonly dilation: number;
  /** How many times the primitive is stacked (only the first is strided). */
  readonly repeat: number;
}

/** What a {@link FusedCell} is built from. */
export interface FusedCellOptions {
  readonly store: ParamStore;
  /** Channels C of every state (after pre-processing) and of every node. */
  readonly channels: number;
  /** Intermediate nodes (4 in DARTS: 14 edges). */
  readonly nodes: number;
  /** Partial-channel factor K (1 = all channels). */
  readonly k: number;
  /** Channel shuffle with K groups after the partial mix (PC-DARTS). */
  readonly shuffle: boolean;
  /** Reduction cell: edges from states 0 and 1 have stride 2. */
  readonly reduction: boolean;
  /** The quantizers; with a blend, λ is read at each `apply` (docs/method.md, "Progressive binarization"). */
  readonly binarize?: BinarizeOptions;
  /**
   * A real identity shortcut around the fused stride-1 conv ops (x + op(x); docs/method.md,
   * "Collapse"). Ops built by `buildOther` carry their own.
   */
  readonly shortcut?: boolean;
  /**
   * With the shortcut, a learned gain per op and edge on the fused conv branch, starting at this
   * value: x + g·op(x) (docs/method.md, "Collapse"). Absent: x + op(x).
   */
  readonly shortcutGain?: number;
  /**
   * Bypass of a strided edge: [B, H, W, C] → [B, H/2, W/2, C] (PC-DARTS: 2×2 max pooling).
   * Required for reduction cells.
   */
  readonly bypassPool?: (x: tf.Tensor4D) => tf.Tensor4D;
  /** Weight names: the caller's op table's, so checkpoints and optimizer slots name ops alike. */
  readonly naming: FusedCellNaming;
  /**
   * Builds an op outside the fused kinds (conv_k, repeat > 1, stride-2 skip) for edge `edge`;
   * its weights must live under `naming.opPrefix(edge, op)`.
   * @returns a function of the op input [B, H, W, C/K] → [B, H/stride, W/stride, C/K], float32
   */
  readonly buildOther: (edge: number, op: number, stride: 1 | 2) => (x: tf.Tensor4D) => tf.Tensor4D;
  /**
   * The ops whose outputs a {@link StepDropout} passed to `apply` drops (op index in α order, the
   * edge's stride); none when absent (docs/method.md, "Collapse").
   */
  readonly dropoutCovers?: (op: number, stride: 1 | 2) => boolean;
}

/** Where a fused cell's weights live. */
export interface FusedCellNaming {
  /** Prefix of every weight of op `op` on edge `edge` (disposed when it is dropped). */
  opPrefix(edge: number, op: number): string;
  /** Depthwise (`dw`, [k, k, C/K, 1]) or pointwise (`pw`, [1, 1, C/K, C/K]) filter of half `a` or `b` of a sep/dil conv. */
  filter(edge: number, op: number, half: 'a' | 'b', kind: 'dw' | 'pw'): string;
  /** The learned shortcut gain of op `op` on edge `edge` ([1], under its op prefix). */
  gain(edge: number, op: number): string;
}

/** Edge e of the cell: its source state and node. */
interface CellEdge {
  readonly index: number;
  readonly from: number;
  readonly node: number;
}

const isFusedConv = (e: FusedOpEntry): boolean => (e.kind === 'sep_conv' || e.kind === 'dil_conv') && e.repeat <= 1;

/** Where the channels of one op's output for one edge live: map, first channel. */
interface Slot {
  readonly map: tf.Tensor4D;
  readonly offset: number;
}

/** The cell's mixed edges; `apply` = node outputs concatenated. Owns nothing but its weights in the store. */
export class FusedCell {
  readonly edges: CellEdge[] = [];
  private readonly alive: boolean[][];
  private readonly others = new Map<string, (x: tf.Tensor4D) => tf.Tensor4D>();
  private readonly part: number;

  /**
   * Creates every op's weights in `options.store`.
   * @param ops candidate ops in α order (`none` included)
   */
  constructor(
    readonly ops: readonly FusedOpEntry[],
    private readonly options: FusedCellOptions,
  ) {
    const { store, channels, nodes, k } = options;
    if (!Number.isInteger(channels / k)) throw new Error(`fused cell: ${channels} channels do not split into K = ${k} groups`);
    if (options.reduction && !options.bypassPool && k > 1) throw new Error('fused cell: a reduction cell with K > 1 needs bypassPool');
    this.part = channels / k;
    for (let j = 0; j < nodes; j++) for (let i = 0; i < j + 2; i++) this.edges.push({ index: this.edges.length, from: i, node: j });
    this.alive = this.edges.map(() => ops.map(() => true));
    for (const e of this.edges) {
      const stride = this.strideOf(e);
      ops.forEach((op, o) => {
        if (isFusedConv(op)) {
          for (const half of op.kind === 'sep_conv' ? (['a', 'b'] as const) : (['a'] as const)) {
            store.create(this.options.naming.filter(e.index, o, half, 'dw'), [op.kernel, op.kernel, this.part, 1]);
            store.create(this.options.naming.filter(e.index, o, half, 'pw'), [1, 1, this.part, this.part]);
          }
          if (this.gained(stride)) store.create(this.options.naming.gain(e.index, o), [1], { constant: options.shortcutGain as number });
        } else if (op.kind === 'conv' || op.repeat > 1 || (op.kind === 'skip' && stride === 2)) {
          this.others.set(`${e.index}:${o}`, options.buildOther(e.index, o, stride));
        }
      });
    }
  }

  /** Whether fused conv ops at `stride` scale their branch by a learned shortcut gain. */
  private gained(stride: 1 | 2): boolean {
    return !!this.options.shortcut && stride === 1 && this.options.shortcutGain !== undefined;
  }

  private strideOf(e: CellEdge): 1 | 2 {
    return this.options.reduction && e.from < 2 ? 2 : 1;
  }

  /** Abandons op `name` on edge `edge`: its weights are disposed and it is never computed again. */
  drop(edge: number, name: string): void {
    const o = this.ops.findIndex((op) => op.name === name);
    if (o < 0 || !this.alive[edge]?.[o]) throw new Error(`fused cell: edge ${edge} has no alive op '${name}'`);
    this.alive[edge][o] = false;
    this.others.delete(`${edge}:${o}`);
    this.options.store.disposePrefix(this.options.naming.opPrefix(edge, o));
  }

  /** Names of the ops still computed on `edge`. */
  aliveNames(edge: number): string[] {
    return this.ops.filter((_, o) => this.alive[edge][o]).map((op) => op.name);
  }

  /**
   * @param s0 first cell input after pre-processing, shape [B, H, W, C], float32
   * @param s1 second cell input after pre-processing, shape [B, H, W, C], float32
   * @param opWeights op mixing weights, shape [E, O] (rows in edge order, softmax of α), float32
   * @param edgeWeights edge weights β (softmax per node, or ones), shape [E], float32
   * @param path single path: op index per edge (only that op is computed, with its weight)
   * @param drop dropout on the outputs of the ops `dropoutCovers` names, each edge's op with its own mask
   * @returns the nodes concatenated, shape [B, H/s, W/s, nodes·C], float32 (s = 2 in reductions)
   */
  apply(s0: tf.Tensor4D, s1: tf.Tensor4D, opWeights: tf.Tensor2D, edgeWeights: tf.Tensor1D, path?: readonly number[], drop?: StepDropout): tf.Tensor4D {
    return tf.tidy(() => {
      const { channels: c, nodes } = this.options;
      const nOps = this.ops.length;
      const E = this.edges.length;
      // Coefficients: w[e, o]·β[e] for op terms, then β[e] for bypass terms.
      const coef = tf.concat([tf.reshape(tf.mul(opWeights, tf.reshape(edgeWeights, [E, 1])), [-1]), edgeWeights]) as tf.Tensor1D;
      const states: tf.Tensor4D[] = [s0, s1];
      const slots = new Map<string, Slot>();
      const bypass = new Map<number, tf.Tensor4D>();
      for (let j = 0; j < nodes; j++) {
        const sources = j === 0 ? [0, 1] : [j + 1];
        this.computeStage(states, sources, path, slots);
        if (drop && drop.rate > 0) this.dropStage(sources, slots, drop);
        const terms: number[] = [];
        const maps: tf.Tensor4D[] = [];
        const mapIndex = (m: tf.Tensor4D): number => {
          const i = maps.indexOf(m);
          return i >= 0 ? i : maps.push(m) - 1;
        };
        for (const e of this.edges.filter((x) => x.node === j)) {
          for (let o = 0; o < nOps; o++) {
            const slot = slots.get(`${e.index}:${o}`);
            if (!slot) continue;
            const m = mapIndex(slot.map);
            for (let ch = 0; ch < this.part; ch++) terms.push(this.place(ch), m, slot.offset + ch, e.index * nOps + o);
          }
          if (this.options.k > 1) {
            let src = states[e.from];
            if (this.strideOf(e) === 2) {
              if (!bypass.has(e.from)) bypass.set(e.from, (this.options.bypassPool as (x: tf.Tensor4D) => tf.Tensor4D)(src));
              src = bypass.get(e.from) as tf.Tensor4D;
            }
            const m = mapIndex(src);
            for (let ch = this.part; ch < c; ch++) terms.push(this.place(ch), m, ch, E * nOps + e.index);
          }
        }
        states.push(
          maps.length
            ? channelMix(maps, Int32Array.from(terms), c, coef)
            : (tf.zeros(this.outShape(s0, 0)) as tf.Tensor4D),
        );
      }
      const outTerms: number[] = [];
      for (let j = 0; j < nodes; j++) for (let ch = 0; ch < c; ch++) outTerms.push(j * c + ch, j, ch, -1);
      return channelMix(states.slice(2), Int32Array.from(outTerms), nodes * c);
    });
  }

  /** Output channel of concatenated channel `ch` after the shuffle with K groups. */
  private place(ch: number): number {
    const { k, shuffle } = this.options;
    return shuffle && k > 1 ? (ch % this.part) * k + Math.floor(ch / this.part) : ch;
  }

  private outShape(x: tf.Tensor4D, from: number): [number, number, number, number] {
    const s = this.options.reduction && from < 2 ? 2 : 1;
    return [x.shape[0], Math.ceil(x.shape[1] / s), Math.ceil(x.shape[2] / s), x.shape[3]];
  }

  /**
   * Replaces the outputs of the covered ops on the edges leaving `sources` by their dropped
   * C/K channels (one mask per edge and op, seeded by both).
   */
  private dropStage(sources: number[], slots: Map<string, Slot>, drop: StepDropout): void {
    const covers = this.options.dropoutCovers;
    if (!covers) return;
    for (const e of this.edges.filter((x) => sources.includes(x.from))) {
      const stride = this.strideOf(e);
      this.ops.forEach((_, o) => {
        const key = `${e.index}:${o}`;
        const slot = slots.get(key);
        if (!slot || !covers(o, stride)) return;
        const own = slot.offset === 0 && slot.map.shape[3] === this.part ? slot.map : (tf.slice(slot.map, [0, 0, 0, slot.offset], [-1, -1, -1, this.part]) as tf.Tensor4D);
        slots.set(key, { map: dropout(own, dropoutFor(drop, `e${e.index}/o${o}`)), offset: 0 });
      });
    }
  }

  /** Computes every alive op of every edge leaving `sources`, recording where each output lives. */
  private computeStage(states: tf.Tensor4D[], sources: number[], path: readonly number[] | undefined, slots: Map<string, Slot>): void {
    const bin = this.options.binarize ?? REAL;
    // Progressive binarization: below 1, every quantizer is (1 − λ)·real + λ·binary, composed of
    // the fully binary kernels and stock ops (docs/method.md, "Progressive binarization").
    const lambda = blendLambda(bin);
    const blending = lambda < 1;
    const edges = this.edges.filter((e) => sources.includes(e.from));
    if (!edges.length) return;
    const stride = this.strideOf(edges[0]);
    const live = (e: CellEdge, o: number): boolean => this.alive[e.index][o] && (!path || path[e.index] === o);
    const partOf = new Map<number, tf.Tensor4D>();
    const xpart = (src: number): tf.Tensor4D => {
      if (this.options.k === 1) return states[src];
      if (!partOf.has(src)) {
        const terms = Array.from({ length: this.part }, (_, ch) => [ch, 0, ch, -1]).flat();
        partOf.set(src, channelMix([states[src]], Int32Array.from(terms), this.part));
      }
      return partOf.get(src) as tf.Tensor4D;
    };
    // The op table's pre-activation (runtime/supernet/candidate-ops.ts: no ReLU before a sign) with
    // the conv's activation quantizer folded in: sign, or ReLU for real activations; blended, the
    // real network's ReLU and the sign.
    const activate = (t: tf.Tensor4D): tf.Tensor4D => {
      if (bin.activations !== 'sign') return tf.relu(t);
      return blending ? blendValues(tf.relu(t), signSte(t), lambda) : signSte(t);
    };
    // Tiled, activated inputs, shared by every conv kind with the same set of edges.
    const tiled = new Map<string, tf.Tensor4D>();
    // The edges' partial inputs side by side, as they are (the shortcut) or activated (the convs).
    const raw = new Map<string, tf.Tensor4D>();
    const rawOf = (group: CellEdge[]): tf.Tensor4D => {
      const key = group.map((e) => e.index).join(',');
      if (!raw.has(key)) {
        const terms: number[] = [];
        group.forEach((e, g) => {
          for (let ch = 0; ch < this.part; ch++) terms.push(g * this.part + ch, sources.indexOf(e.from), ch, -1);
        });
        const maps = sources.map((s) => states[s]);
        raw.set(key, channelMix(maps, Int32Array.from(terms), group.length * this.part));
      }
      return raw.get(key) as tf.Tensor4D;
    };
    const inputOf = (group: CellEdge[]): tf.Tensor4D => {
      const key = group.map((e) => e.index).join(',');
      if (!tiled.has(key)) tiled.set(key, activate(rawOf(group)));
      return tiled.get(key) as tf.Tensor4D;
    };
    const signInput = bin.activations === 'sign';
    const store = this.options.store;
    this.ops.forEach((op, o) => {
      if (op.kind === 'zero') return;
      const group = edges.filter((e) => live(e, o));
      if (!group.length) return;
      if (isFusedConv(op)) {
        const names = (half: 'a' | 'b', w: 'dw' | 'pw'): tf.Tensor[] => group.map((e) => store.get(this.options.naming.filter(e.index, o, half, w)));
        const halves: ('a' | 'b')[] = op.kind === 'sep_conv' ? ['a', 'b'] : ['a'];
        // Every pack of the op in one kernel call: [a.dw, a.pw, b.dw, b.pw].
        const groups = halves.flatMap((h) => [{ ws: names(h, 'dw'), layout: 'dw' as const }, { ws: names(h, 'pw'), layout: 'pw' as const }]);
        let packed = packMany(groups, unblended(bin));
        if (blending && bin.weights !== 'none') {
          const real = packMany(groups, REAL);
          packed = packed.map((q, i) => blendValues(real[i], q, lambda));
        }
        const unit = (x: tf.Tensor4D, half: number, s: number, dilation: number): tf.Tensor4D => {
          const h = depthwiseFast(x, packed[2 * half] as tf.Tensor4D, s, dilation);
          const pw = packed[2 * half + 1] as tf.Tensor3D;
          // The 1×1 conv's input is the depthwise output itself in the real network (no ReLU).
          return blending && signInput ? pointwiseBn(blendValues(h, signSte(h), lambda), pw, false) : pointwiseBn(h, pw, signInput);
        };
        // Dilation as the op says (a sep_conv's is normally 1, then both halves use it).
        let y = unit(inputOf(group), 0, stride, op.dilation);
        if (op.kind === 'sep_conv') y = unit(activate(y), 1, 1, op.dilation);
        if (this.gained(stride)) {
          // One gain per edge, repeated over that edge's channels of the stacked output.
          const gains = tf.concat(group.map((e) => tf.tile(store.get(this.options.naming.gain(e.index, o)), [this.part])));
          y = tf.mul(y, gains) as tf.Tensor4D;
        }
        if (this.options.shortcut && stride === 1) y = tf.add(y, rawOf(group)) as tf.Tensor4D;
        group.forEach((e, g) => slots.set(`${e.index}:${o}`, { map: y, offset: g * this.part }));
        return;
      }
      for (const e of group) {
        const other = this.others.get(`${e.index}:${o}`);
        if (other) {
          slots.set(`${e.index}:${o}`, { map: other(xpart(e.from)), offset: 0 });
        } else if (op.kind === 'skip') {
          slots.set(`${e.index}:${o}`, { map: states[e.from], offset: 0 });
        }
      }
      if (op.kind === 'max_pool' || op.kind === 'avg_pool') {
        // Same input, same op, no weights: one pool + batch norm per source state.
        for (const src of new Set(group.map((e) => e.from))) {
          const pooled = batchNormFast((op.kind === 'max_pool' ? maxPool : avgPool)(xpart(src), op.kernel, stride));
          for (const e of group.filter((x) => x.from === src)) slots.set(`${e.index}:${o}`, { map: pooled, offset: 0 });
        }
      }
    });
  }
}
