/**
 * The benchmark's unit of work: one PC-DARTS normal cell (2 inputs, 4 nodes, 14 mixed edges over
 * the 8 DARTS ops, partial channels 1/K with shuffle, β edge weights), ReLU–1×1–BN
 * pre-processing, and a weight step (forward, backward, SGD update) on a fixed batch.
 * Two implementations of the mixed edge share everything else:
 * - `naive`: each candidate op built separately from engine ops (the straightforward version);
 * - `fused`: the tests' per-edge reference FusedMixedOp (one fused kernel chain per edge);
 * - `cell`: the engine's FusedCell (all edges of the cell batched, loop kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { packWeights, pointwiseBn } from '../../runtime/engine/cell-kernels.js';
import { FusedCell } from '../../runtime/engine/fused-cell.js';
import { optimizerStep } from '../../runtime/engine/fused-optim.js';
import { ParamStore } from '../../runtime/engine/params.js';
import { REAL, type BinarizeOptions } from '../../runtime/engine/quantize.js';
// The per-op and per-edge implementations are the tests' references (test/unit/engine/reference).
import { buildCandidateOp, candidateSpecOf, ConvBn, type CandidateOp } from '../../test/unit/engine/reference/candidate-ops.js';
import { FusedMixedOp, perEdgeNaming } from '../../test/unit/engine/reference/fused-edge.js';

export const DARTS_OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'];
export const BINARY: BinarizeOptions = { weights: 'xnor', scale: 'layer', activations: 'sign' };

export interface CellConfig {
  readonly batch: number;
  readonly size: number;
  readonly channels: number;
  /** Partial-channel factor: 1 = all channels. */
  readonly k: number;
  readonly binary: boolean;
  readonly variant: 'naive' | 'fused' | 'cell';
  /** SGD with momentum as one kernel call for all weights (the engine's optimizerStep) instead of tf.train.momentum. */
  readonly fusedSgd?: boolean;
  readonly seed: number;
}

export const DEFAULT_CELL: CellConfig = { batch: 32, size: 16, channels: 16, k: 4, binary: true, variant: 'fused', seed: 1 };

/** Channel shuffle with K groups. @param x [B, H, W, C] float32 */
function shuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [b, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [b, h, w, c]);
}

interface Edge {
  readonly from: number;
  readonly naive?: (CandidateOp | undefined)[];
  readonly fused?: FusedMixedOp;
}

/** SGD with momentum over every variable in one kernel call; owns its momentum buffers. */
class MomentumSgd {
  private readonly buffers = new Map<string, tf.Tensor>();
  constructor(private readonly momentum: number) {}

  apply(vars: Record<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number): void {
    const names = Object.keys(vars);
    const slots = names.map((n) => this.buffers.get(n) ?? tf.keep(tf.zerosLike(vars[n])));
    const attrs = { kind: 'sgd', lr, momentum: this.momentum, weightDecay: 0, gradScale: 1, beta1: 0, beta2: 0, epsilon: 0, step: 1 } as const;
    const out = optimizerStep(names.map((n) => vars[n]), names.map((n) => grads[n]), slots, attrs);
    names.forEach((n, i) => {
      vars[n].assign(out.params[i]);
      out.params[i].dispose();
      slots[i].dispose();
      this.buffers.set(n, tf.keep(out.slots[i]));
    });
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

/** One cell with its weights, α, β and a fixed batch; `step()` is one SGD weight step. */
export class BenchCell {
  readonly store: ParamStore;
  private readonly arch: ParamStore;
  private readonly pre: ConvBn[];
  private readonly edges: Edge[] = [];
  private readonly s0: tf.Tensor4D;
  private readonly s1: tf.Tensor4D;
  private readonly target: tf.Tensor4D;
  private readonly optimizer: tf.Optimizer;
  private readonly sgd: MomentumSgd | undefined;
  private readonly cell: FusedCell | undefined;

  constructor(readonly config: CellConfig) {
    const { channels: c, k, binary, seed } = config;
    const bin = binary ? BINARY : REAL;
    this.store = new ParamStore(seed);
    this.arch = new ParamStore(seed + 1);
    this.pre = [0, 1].map((i) => new ConvBn({ store: this.store, prefix: `pre${i}`, channels: c, stride: 1, binarize: bin }, 1));
    const part = c / k;
    const entries = DARTS_OPS.map((name) => ({ ...candidateSpecOf(name), name }));
    this.cell =
      config.variant === 'cell'
        ? new FusedCell(entries, {
            ...perEdgeNaming(entries, (e) => `e${e}`, { store: this.store, channels: part, binarize: bin }),
            store: this.store,
            channels: c,
            nodes: 4,
            k,
            shuffle: true,
            reduction: false,
            binarize: bin,
          })
        : undefined;
    for (let node = 0; node < 4 && !this.cell; node++) {
      for (let from = 0; from < node + 2; from++) {
        const prefix = `e${this.edges.length}`;
        const opts = { store: this.store, prefix, channels: part, stride: 1 as const, binarize: bin };
        this.edges.push(
          config.variant === 'naive'
            ? {
                from,
                naive: DARTS_OPS.map((name) =>
                  name === 'none' ? undefined : buildCandidateOp(candidateSpecOf(name), { ...opts, prefix: `${prefix}.${name}` }),
                ),
              }
            : { from, fused: new FusedMixedOp(entries, opts) },
        );
      }
    }
    this.arch.create('alpha', [14, DARTS_OPS.length], { normal: 1e-3 });
    this.arch.create('beta', [14], { normal: 1e-3 });
    const shape: [number, number, number, number] = [config.batch, config.size, config.size, c];
    const data = new ParamStore(seed + 2);
    this.s0 = tf.keep(data.create('s0', shape, { normal: 1 }, false).clone() as tf.Tensor4D);
    this.s1 = tf.keep(data.create('s1', shape, { normal: 1 }, false).clone() as tf.Tensor4D);
    this.target = tf.keep(data.create('t', [config.batch, config.size, config.size, 4 * c], { normal: 1 }, false).clone() as tf.Tensor4D);
    data.dispose();
    this.optimizer = tf.train.momentum(0.01, 0.9);
    this.sgd = config.fusedSgd ? new MomentumSgd(0.9) : undefined;
  }

  /** Forward pass: the concatenated node outputs [B, H, W, 4C], float32. */
  forward(): tf.Tensor4D {
    return tf.tidy(() => {
      const { k } = this.config;
      const alphas = tf.softmax(this.arch.get('alpha')) as tf.Tensor2D;
      const betas = this.arch.get('beta');
      const states: tf.Tensor4D[] = this.cell
        ? [this.fastPre(0, this.s0), this.fastPre(1, this.s1)]
        : [this.pre[0].apply(this.s0), this.pre[1].apply(this.s1)];
      if (this.cell) {
        const beta = tf.concat([0, 1, 2, 3].map((j) => tf.softmax(tf.slice(betas, [(j * (j + 3)) / 2], [j + 2]))));
        return this.cell.apply(states[0], states[1], alphas, beta as tf.Tensor1D);
      }
      let e = 0;
      for (let node = 0; node < 4; node++) {
        const n = node + 2;
        const beta = tf.softmax(tf.slice(betas, [e], [n]));
        let sum: tf.Tensor4D | undefined;
        for (let i = 0; i < n; i++, e++) {
          const y = tf.mul(this.edge(e, states[this.edges[e].from], alphas, k), tf.slice(beta, [i], [1])) as tf.Tensor4D;
          sum = sum ? (tf.add(sum, y) as tf.Tensor4D) : y;
        }
        states.push(sum as tf.Tensor4D);
      }
      return tf.concat(states.slice(2), 3);
    });
  }

  /**
   * The pre-processing of the `cell` variants with the same weights as ConvBn, on the engine's
   * loop kernels: (ReLU | sign) → quantized 1×1 → BN as one grouped-pointwise unit.
   * @param x cell input, shape [B, H, W, C], float32
   */
  private fastPre(i: number, x: tf.Tensor4D): tf.Tensor4D {
    const bin = this.config.binary ? BINARY : REAL;
    const c = this.config.channels;
    const w = tf.reshape(packWeights([this.store.get(`pre${i}.w`)], 'pw', bin), [1, c, c]) as tf.Tensor3D;
    const sign = bin.activations === 'sign';
    return pointwiseBn(sign ? x : tf.relu(x), w, sign);
  }

  private edge(e: number, x: tf.Tensor4D, alphas: tf.Tensor2D, k: number): tf.Tensor4D {
    const c = x.shape[3];
    const part = c / k;
    const xa = k > 1 ? tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, part]) : x;
    const w = tf.reshape(tf.slice(alphas, [e, 0], [1, -1]), [-1]) as tf.Tensor1D;
    const edge = this.edges[e];
    let mixed: tf.Tensor;
    if (edge.fused) {
      mixed = edge.fused.apply(xa, w);
    } else {
      const terms = (edge.naive ?? []).flatMap((op, o) => (op ? [tf.mul(op.apply(xa), tf.slice(w, [o], [1]))] : []));
      mixed = tf.addN(terms);
    }
    if (k === 1) return mixed as tf.Tensor4D;
    return shuffle(tf.concat([mixed as tf.Tensor4D, tf.slice(x, [0, 0, 0, part], [-1, -1, -1, c - part])], 3), k);
  }

  /** Loss of the fixed batch: mean of output · target (a stand-in for the head). */
  loss(): tf.Scalar {
    return tf.tidy(() => tf.mean(tf.mul(this.forward(), this.target)));
  }

  /** One weight step: gradients of every weight (α, β held), SGD with momentum. Returns the loss. */
  step(): number {
    if (this.sgd) {
      const vars = this.store.trainable();
      const { value, grads } = tf.variableGrads(() => this.loss(), vars);
      this.sgd.apply(Object.fromEntries(vars.map((v) => [v.name, v])), grads, 0.01);
      tf.dispose(grads);
      const v = value.dataSync()[0];
      value.dispose();
      return v;
    }
    const loss = this.optimizer.minimize(() => this.loss(), true, this.store.trainable()) as tf.Scalar;
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  }

  /** Current trainable weights as arrays, in `store.trainable()` order. */
  weightArrays(): Float32Array[] {
    return this.store.trainable().map((v) => v.dataSync() as Float32Array);
  }

  /** Overwrites the trainable weights (same order as {@link weightArrays}). */
  setWeights(arrays: readonly Float32Array[]): void {
    const vars = this.store.trainable();
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(arrays[i], v.shape))));
  }

  /** Loss and gradients of this cell's batch, as arrays in `store.trainable()` order. */
  gradientArrays(): { loss: number; grads: Float32Array[] } {
    const vars = this.store.trainable();
    const { value, grads } = tf.variableGrads(() => this.loss(), vars);
    const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
    const loss = value.dataSync()[0];
    value.dispose();
    tf.dispose(grads);
    return { loss, grads: out };
  }

  /** One optimizer update from gradient arrays (e.g. averaged over data-parallel shards). */
  applyGradientArrays(grads: readonly Float32Array[]): void {
    const vars = this.store.trainable();
    tf.tidy(() => {
      const named: tf.NamedTensorMap = {};
      vars.forEach((v, i) => (named[v.name] = tf.tensor(grads[i], v.shape)));
      if (this.sgd) this.sgd.apply(Object.fromEntries(vars.map((v) => [v.name, v])), named, 0.01);
      else this.optimizer.applyGradients(named);
    });
  }

  dispose(): void {
    for (const t of [this.s0, this.s1, this.target]) t.dispose();
    this.optimizer.dispose();
    this.sgd?.dispose();
    this.store.dispose();
    this.arch.dispose();
  }
}

/**
 * Arithmetic of one training step of the cell: multiply-adds of every conv and 1×1 product
 * (2 FLOP each), backward counted as twice the forward (input and weight gradients). Pooling, BN
 * and element-wise work is left out, so this is the useful arithmetic, not all memory traffic.
 */
export function stepFlops(config: CellConfig): number {
  const n = config.batch * config.size * config.size;
  const c = config.channels / config.k;
  const dw = (k: number): number => k * k * c * n;
  const pw = c * c * n;
  const perEdge = 2 * (dw(3) + pw) + 2 * (dw(5) + pw) + (dw(3) + pw) + (dw(5) + pw);
  const pre = 2 * config.channels * config.channels * n;
  return 2 * 3 * (14 * perEdge + pre);
}
