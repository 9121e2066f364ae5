/**
 * The PC-DARTS supernet built from a SearchSpace (docs/method.md, "The supernet", "Partial channels", "Edge normalization"):
 * stem, normal and reduction cells with pre-processing, mixed edges over the alive candidate ops
 * with partial channels and shuffle, edge normalization β, global pooling and a linear head.
 * α (edges × ops) and β (edges) are shared by all cells of a kind and live in their own ParamStore
 * (`arch`), the weights in `weights`. A pruned op's variables are disposed and it is no longer
 * computed, so steps get cheaper as the search space shrinks.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamStore } from '../engine/params.js';
import type { BatchNormOptions } from '../engine/norm.js';
import { BatchNormLayer } from '../engine/norm.js';
import { quantizeWeights, REAL, type BinarizeOptions, type Blend } from '../engine/quantize.js';
import { STEM_KERNEL, planCells, type CellPlan } from '../dsl/cells.js';
import { isParamFree, type SearchSpace } from '../dsl/space.js';
import { dropoutFor, type StepDropout } from '../engine/dropout.js';
import { CELL_KINDS, type CellKind } from '../protocol/genotype.js';
import { buildOp, ConvLayer, FactorizedReduce, ReluConvBn, separableName, shortcutGainName, type Op, type OpContext } from './candidate-ops.js';
import { FusedCell } from '../engine/fused-cell.js';
import { bypassPool } from '../engine/pool.js';
import { FusedPreprocess, fusedPreprocessFits } from '../engine/preprocess.js';
import { cellEdges, edgeCount, firstEdgeOfNode } from './topology.js';

/** Search-time batch norm: no affine terms, batch statistics (DARTS `affine=False`). */
export const SEARCH_BN: BatchNormOptions = { affine: false, trackRunningStats: false };

/** The cell layout lives with the language (runtime/dsl/cells.ts): the compute estimate counts from it too. */
export { planCells, type CellPlan };

/** For each cell kind, the op index used on every edge (single-path sub-network). */
export type PathChoice = Record<CellKind, readonly number[]>;

/**
 * One edge of a cell kind restricted to one op, every other edge mixed as usual (pruning's per-edge
 * evidence), or removed ({@link EDGE_REMOVED}: its edge weight 0, so neither its ops nor its partial-channel
 * bypass reach the node; derivation's edge evidence). With `without`, the op is instead taken out
 * of the edge's mix: its weight 0 and the other alive ops' weights renormalized, the mix the edge
 * would have if pruning abandoned the op (docs/method.md, "Per-edge evidence").
 */
export interface EdgeRestriction {
  readonly cell: CellKind;
  readonly edge: number;
  readonly op: number;
  readonly without?: boolean;
}

/** The `op` of an {@link EdgeRestriction} that removes its edge from the cell. */
export const EDGE_REMOVED = -1;


/** A part of the network with its own quantizers. */
export type NetworkPart = 'ops' | 'stem' | 'preprocess' | 'classifier';

/**
 * Quantizers for a part of the network, honouring `keep_real`; with `blend`, a binarized part's
 * quantizers blend real and binary values by its λ (docs/method.md, "Progressive binarization").
 */
export function binarizeFor(space: SearchSpace, part: NetworkPart, blend?: Readonly<Blend>): BinarizeOptions {
  const b = space.binarize;
  if (part !== 'ops' && b.keepReal.includes(part)) return REAL;
  return { weights: b.weights, scale: b.scale, activations: b.activations, ...(blend ? { blend } : {}) };
}

/**
 * Whether search-time dropout (`regularize.dropout_ops`) covers op `o` on an edge of `stride`:
 * `skip` covers the identity skip (stride 1), `param_free` also pooling; never `none` or a
 * stride-2 skip, which is a factorized reduce with weights (docs/method.md, "Collapse").
 */
export function dropoutCovers(space: SearchSpace, o: number, stride: 1 | 2): boolean {
  const kind = space.ops[o].kind;
  if (kind === 'zero' || !isParamFree(kind, stride)) return false;
  return (space.regularize.dropoutOps ?? 'skip') === 'param_free' || kind === 'skip';
}

/** What computes the mixed edges of one cell: the engine's {@link FusedCell}. */
export type MixedEdges = Pick<FusedCell, 'apply' | 'drop' | 'aliveNames'>;

/** One cell: pre-processing and the mixed edges (shared α/β come from the network). */
class SearchCell {
  readonly pre0: Op;
  readonly pre1: Op;
  /** Created after the pre-processing: the store lists weights (and the optimizer its slots) in creation order. */
  readonly mixed: MixedEdges;

  constructor(
    readonly plan: CellPlan,
    private readonly net: Supernet,
    alive: readonly (readonly boolean[])[],
    mixedEdges: (plan: CellPlan) => MixedEdges,
  ) {
    const { space, weights } = net;
    const pre = net.quantizers('preprocess');
    const p = `c${plan.index}.`;
    // Real pre-processing (keep_real) is one fused op with a hand-written gradient (same weights
    // and values, runtime/engine/preprocess.ts): it was a third of a pruned step's fixed cost.
    const fusedPre = fusedPreprocessFits(pre, SEARCH_BN);
    /** One pre-processing unit: a factorized reduce after a reduction cell, else ReLU → 1×1 → BN. */
    const preOp = (name: string, reduce: boolean, inChannels: number): Op => {
      if (fusedPre) return new FusedPreprocess(weights, `${p}${name}.`, reduce ? 'factorized-reduce' : 'relu-conv-bn', inChannels, plan.channels);
      const c: OpContext = { store: weights, prefix: `${p}${name}.`, channels: plan.channels, stride: reduce ? 2 : 1, binarize: pre, bn: SEARCH_BN };
      return reduce ? new FactorizedReduce(c, inChannels, plan.channels) : new ReluConvBn(c, inChannels, plan.channels);
    };
    this.pre0 = preOp('pre0', plan.reductionPrev, plan.inPrevPrev);
    this.pre1 = preOp('pre1', false, plan.inPrev);
    this.mixed = mixedEdges(plan);
    cellEdges(space.supernet.nodes).forEach((e) => space.ops.forEach((op, o) => !alive[e.index][o] && this.mixed.drop(e.index, op.name)));
  }

  /** Ops computed in one forward pass of this cell (alive, not `none`). */
  computedOps(): number {
    const { space } = this.net;
    const zero = new Set(space.ops.filter((o) => o.kind === 'zero').map((o) => o.name));
    return cellEdges(space.supernet.nodes).reduce((n, e) => n + this.mixed.aliveNames(e.index).filter((name) => !zero.has(name)).length, 0);
  }

  /** Drops op `o` of edge `e`: disposes its variables, and it is never computed again. */
  prune(e: number, o: number): string {
    this.mixed.drop(e, this.net.space.ops[o].name);
    return opPrefix(this.plan, e, o);
  }

  /**
   * @param s0 c_{k-2}, shape [B, H', W', inPrevPrev], float32
   * @param s1 c_{k-1}, shape [B, H, W, inPrev], float32
   * @param opW per edge, float32 [E, O]: op mixing weights (one-hot for a single path)
   * @param edgeW float32 [E]: β weights (softmax per node), or ones
   * @param drop dropout on the covered ops' outputs (training steps only)
   * @returns [B, size, size, out], float32
   */
  apply(s0: tf.Tensor4D, s1: tf.Tensor4D, opW: tf.Tensor2D, edgeW: tf.Tensor1D, training: boolean, path?: readonly number[], drop?: StepDropout): tf.Tensor4D {
    // Batch statistics either way: search BNs track no running statistics.
    const cellDrop = drop && dropoutFor(drop, `c${this.plan.index}`);
    return tf.tidy(() => this.mixed.apply(this.pre0.apply(s0, training), this.pre1.apply(s1, training), opW, edgeW, path, cellDrop));
  }
}

/** Prefix of every weight of op `o` on edge `e` of a cell (what a pruned op disposes). */
export function opPrefix(plan: CellPlan, e: number, o: number): string {
  return `c${plan.index}.e${e}.o${o}.`;
}

/** What the supernet is built for. */
export interface SupernetOptions {
  /** Input images [height, width, channels]. */
  readonly input: readonly [number, number, number];
  readonly numClasses: number;
  /** Seed of weight and α/β initialisation. */
  readonly seed: number;
  /** alive[cell][edge][op]; default all alive (a resumed search passes its pruned state). */
  readonly alive?: Record<CellKind, readonly (readonly boolean[])[]>;
}

/** The supernet: owns `weights` and `arch` parameter stores; dispose() frees everything. */
export class Supernet {
  readonly weights: ParamStore;
  readonly arch: ParamStore;
  readonly plans: CellPlan[];
  readonly edges: number;
  readonly alive: Record<CellKind, boolean[][]>;
  private readonly stem: ConvLayer;
  private readonly stemBn: BatchNormLayer;
  private readonly cells: SearchCell[];
  private readonly classifierBinarize: BinarizeOptions;
  /** Additive α mask per cell kind: 0 for alive ops, −1e9 for pruned ones ([E, O], float32). */
  private masks: Record<CellKind, tf.Tensor2D>;
  /** λ of progressive binarization, shared by the quantizers of every binarized part. */
  private readonly blend: Blend = { lambda: 1 };

  constructor(
    readonly space: SearchSpace,
    readonly options: SupernetOptions,
  ) {
    const [h, , cin] = options.input;
    const { channels, stemMultiplier, nodes } = space.supernet;
    this.edges = edgeCount(nodes);
    this.plans = planCells(space, h);
    for (const p of this.plans) {
      if (p.channels % space.sampling.k !== 0) {
        throw new Error(`sampling.k = ${space.sampling.k} must divide the channels of every cell; cell ${p.index} has ${p.channels}`);
      }
    }
    const nOps = space.ops.length;
    const alive = (kind: CellKind) =>
      Array.from({ length: this.edges }, (_, e) => space.ops.map((_, o) => options.alive?.[kind][e][o] ?? true));
    this.alive = { normal: alive('normal'), reduce: alive('reduce') };
    this.weights = new ParamStore(options.seed);
    // α, β ~ 1e-3·N(0, 1), seeded separately from the weights.
    this.arch = new ParamStore((options.seed ^ 0x5bd1e995) >>> 0);
    for (const kind of CELL_KINDS) {
      this.arch.create(`alpha.${kind}`, [this.edges, nOps], { normal: 1e-3 });
      this.arch.create(`beta.${kind}`, [this.edges], { normal: 1e-3 });
    }
    const stemC = channels * stemMultiplier;
    this.stem = new ConvLayer(this.weights, 'stem.conv', STEM_KERNEL, cin, stemC, 1, this.quantizers('stem'), false);
    this.stemBn = new BatchNormLayer(this.weights, 'stem.bn', stemC, SEARCH_BN);
    this.cells = this.plans.map((p) => new SearchCell(p, this, this.alive[p.kind], (plan) => this.mixedEdges(plan)));
    const last = this.plans.length > 0 ? this.plans[this.plans.length - 1].out : stemC;
    this.weights.create('classifier.w', [last, options.numClasses], 'he');
    this.weights.create('classifier.b', [options.numClasses], 'zeros');
    this.classifierBinarize = this.quantizers('classifier');
    this.masks = { normal: this.makeMask('normal'), reduce: this.makeMask('reduce') };
  }

  /**
   * The mixed edges of one cell: the engine's FusedCell, with the weight names of the op table
   * (candidate-ops.ts), so checkpoints and pruned prefixes name ops by index; ops outside the
   * fused kinds are built from that table. Protected so that tests can compute a cell op by op
   * (test/unit/engine/reference) and compare.
   */
  protected mixedEdges(plan: CellPlan): MixedEdges {
    const { space, weights } = this;
    const ops = this.quantizers('ops');
    const partial = plan.channels / space.sampling.k;
    const entries = space.ops.map((op) => ({ name: op.name, kind: op.kind, kernel: op.kernel, dilation: op.dilation, repeat: op.repeat }));
    return new FusedCell(entries, {
      store: weights,
      channels: plan.channels,
      nodes: space.supernet.nodes,
      k: space.sampling.k,
      shuffle: space.sampling.shuffle,
      reduction: plan.kind === 'reduce',
      binarize: ops,
      shortcut: space.binarize.shortcut ?? false,
      ...(space.binarize.shortcutGain !== undefined ? { shortcutGain: space.binarize.shortcutGain } : {}),
      bypassPool,
      dropoutCovers: (o, stride) => dropoutCovers(space, o, stride),
      naming: {
        opPrefix: (e, o) => opPrefix(plan, e, o),
        filter: (e, o, half, kind) => `${opPrefix(plan, e, o)}r0.${separableName(space.ops[o].kind, half)}.${kind}`,
        gain: (e, o) => shortcutGainName(opPrefix(plan, e, o)),
      },
      buildOther: (e, o, stride) => {
        const op = buildOp(space.ops[o], { store: weights, prefix: opPrefix(plan, e, o), channels: partial, stride, binarize: ops, bn: SEARCH_BN, shortcut: space.binarize.shortcut, shortcutGain: space.binarize.shortcutGain }) as Op;
        return (x) => op.apply(x, true);
      },
    });
  }

  /**
   * The share λ ∈ [0, 1] of the binary value in every quantizer of the supernet (docs/method.md,
   * "Progressive binarization"): 1, fully binary, unless the search sets it for a step of
   * `binarize.progressive`'s ramp. Read at each forward pass, so no op is rebuilt.
   */
  get binaryShare(): number {
    return this.blend.lambda;
  }

  set binaryShare(lambda: number) {
    if (!(lambda >= 0 && lambda <= 1)) throw new Error(`binary share λ = ${lambda} is outside [0, 1]`);
    this.blend.lambda = lambda;
  }

  /** The quantizers of a part of the supernet, blended by {@link binaryShare}. */
  quantizers(part: NetworkPart): BinarizeOptions {
    return binarizeFor(this.space, part, this.blend);
  }

  private makeMask(kind: CellKind): tf.Tensor2D {
    const flat = this.alive[kind].flatMap((row) => row.map((a) => (a ? 0 : -1e9)));
    return tf.tensor2d(flat, [this.edges, this.space.ops.length], 'float32');
  }

  /** Op mixing weights of a cell kind: softmax of α over the alive ops of each edge, [E, O]. */
  opWeights(kind: CellKind): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(tf.add(this.arch.get(`alpha.${kind}`), this.masks[kind]) as tf.Tensor2D));
  }

  /** Edge weights of a cell kind: softmax of β over each node's inputs, [E] (ones when off). */
  edgeWeights(kind: CellKind): tf.Tensor1D {
    return tf.tidy(() => {
      if (!this.space.sampling.edgeNormalization) return tf.ones([this.edges]) as tf.Tensor1D;
      const beta = this.arch.get(`beta.${kind}`) as tf.Tensor1D;
      const parts: tf.Tensor1D[] = [];
      for (let j = 0; j < this.space.supernet.nodes; j++) parts.push(tf.softmax(tf.slice(beta, [firstEdgeOfNode(j)], [j + 2])));
      return tf.concat(parts) as tf.Tensor1D;
    });
  }

  /**
   * Forward pass.
   * @param x images, shape [B, H, W, Cin], float32
   * @param path single-path sub-network (pruning evaluations): one op per edge with weight 1
   * @param restrict one edge whose mixing weights become one-hot on one op, or which is removed (ignored with `path`)
   * @param drop dropout on the outputs of the ops {@link dropoutCovers} names: the search's weight
   *   and architecture steps pass it, nothing else does
   * @returns logits, shape [B, numClasses], float32
   */
  forward(x: tf.Tensor4D, training: boolean, path?: PathChoice, restrict?: EdgeRestriction, drop?: StepDropout): tf.Tensor2D {
    return tf.tidy(() => {
      const w = {} as Record<CellKind, tf.Tensor2D>;
      for (const kind of CELL_KINDS) {
        w[kind] = path
          ? (tf.oneHot(tf.tensor1d([...path[kind]], 'int32'), this.space.ops.length).toFloat() as tf.Tensor2D)
          : this.opWeights(kind);
      }
      const b = { normal: this.edgeWeights('normal'), reduce: this.edgeWeights('reduce') };
      if (restrict && !path) {
        const row = tf.oneHot(tf.tensor1d([restrict.edge], 'int32'), this.edges).toFloat().reshape([this.edges]);
        if (restrict.op === EDGE_REMOVED) {
          // The edge weight ← 0: the edge's ops and its partial-channel bypass no longer reach the node.
          b[restrict.cell] = tf.mul(b[restrict.cell], tf.sub(1, row)) as tf.Tensor1D;
        } else {
          // Row `edge` ← one-hot(op) (the other ops of that edge still run, with weight exactly 0),
          // or with `without` ← its weights with `op` at 0, renormalized over the ops left.
          const nOps = this.space.ops.length;
          const hot = tf.oneHot(tf.tensor1d([restrict.op], 'int32'), nOps).toFloat().reshape([1, nOps]);
          const col = row.reshape([this.edges, 1]);
          const kept = restrict.without ? tf.mul(w[restrict.cell], tf.sub(1, hot)) : undefined;
          const next = kept ? tf.div(kept, tf.sum(kept, 1, true)) : hot;
          w[restrict.cell] = tf.add(tf.mul(w[restrict.cell], tf.sub(1, col)), tf.mul(col, next)) as tf.Tensor2D;
        }
      }
      let s0 = this.stemBn.apply(this.stem.apply(x), training);
      let s1 = s0;
      for (const cell of this.cells) {
        const k = cell.plan.kind;
        const out = cell.apply(s0, s1, w[k], b[k], training, path?.[k], drop);
        s0 = s1;
        s1 = out;
      }
      const pooled = tf.mean(s1, [1, 2]) as tf.Tensor2D;
      const cw = quantizeWeights(this.weights.get('classifier.w') as tf.Tensor2D, this.classifierBinarize);
      return tf.add(tf.matMul(pooled, cw), this.weights.get('classifier.b')) as tf.Tensor2D;
    });
  }

  /**
   * Abandons op `o` on edge `e` of every cell of `kind` (variables disposed, op no longer run).
   * @returns the variable-name prefixes that were disposed (optimizer slots to drop)
   */
  prune(kind: CellKind, e: number, o: number): string[] {
    if (!this.alive[kind][e][o]) return [];
    if (this.alive[kind][e].filter(Boolean).length <= 1) throw new Error(`cannot prune the last op of ${kind} edge ${e}`);
    this.alive[kind][e][o] = false;
    const prefixes: string[] = [];
    for (const cell of this.cells) if (cell.plan.kind === kind) prefixes.push(cell.prune(e, o));
    this.masks[kind].dispose();
    this.masks[kind] = this.makeMask(kind);
    return prefixes;
  }

  /** The additive α mask of a cell kind: 0 for alive ops, −1e9 for pruned ones, [E, O] float32. */
  alphaMask(kind: CellKind): tf.Tensor2D {
    return this.masks[kind];
  }

  /** Ops alive per edge summed over both cell kinds (the `ops_left` of epoch events). */
  opsLeft(): number {
    return CELL_KINDS.reduce((n, k) => n + this.alive[k].reduce((m, row) => m + row.filter(Boolean).length, 0), 0);
  }

  /** Ops actually computed in one forward pass (non-`none`, alive, over all cells and edges). */
  computedOps(): number {
    return this.cells.reduce((n, c) => n + c.computedOps(), 0);
  }

  /** Trainable weights (not counting α and β). */
  parameterCount(): number {
    return this.weights.count();
  }

  dispose(): void {
    this.weights.dispose();
    this.arch.dispose();
    for (const kind of CELL_KINDS) this.masks[kind].dispose();
  }
}
