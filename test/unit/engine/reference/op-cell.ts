/**
 * Test reference (per op): a supernet cell whose mixed edges run every candidate op of the
 * runtime's op table (runtime/supernet/candidate-ops.ts) on its own, with partial channels by
 * slice, concat and transpose (mixed-edge.ts). Same weight names as the supernet's fused cell, so
 * the same seed gives the same weights; supernet-cell.test.ts compares the two in values and
 * every gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../../../../runtime/engine/params.js';
import type { SearchSpace } from '../../../../runtime/dsl/space.js';
import { buildOp, type Op } from '../../../../runtime/supernet/candidate-ops.js';
import type { BinarizeOptions } from '../../../../runtime/engine/quantize.js';
import { binarizeFor, opPrefix, SEARCH_BN, Supernet, type CellPlan, type MixedEdges } from '../../../../runtime/supernet/supernet.js';
import { cellEdges, firstEdgeOfNode } from '../../../../runtime/supernet/topology.js';
import { mixEdge, sumOps } from './mixed-edge.js';

/** The mixed edges of one cell, op by op. */
export class OpByOpCell implements MixedEdges {
  /** ops[e].get(o): the op, `undefined` for `none`; a missing key is a pruned op. */
  private readonly ops: Map<number, Op | undefined>[];

  constructor(
    private readonly space: SearchSpace,
    private readonly plan: CellPlan,
    private readonly store: ParamStore,
    /** The ops' quantizers (the supernet's, with its progressive-binarization blend). */
    binarize: BinarizeOptions = binarizeFor(space, 'ops'),
  ) {
    const channels = plan.channels / space.sampling.k;
    this.ops = cellEdges(space.supernet.nodes).map((e) => {
      const stride: 1 | 2 = plan.kind === 'reduce' && e.from < 2 ? 2 : 1;
      const m = new Map<number, Op | undefined>();
      space.ops.forEach((spec, o) => m.set(o, buildOp(spec, { store, prefix: opPrefix(plan, e.index, o), channels, stride, binarize, bn: SEARCH_BN, shortcut: space.binarize.shortcut, shortcutGain: space.binarize.shortcutGain })));
      return m;
    });
  }

  drop(edge: number, name: string): void {
    const o = this.space.ops.findIndex((op) => op.name === name);
    this.ops[edge].delete(o);
    this.store.disposePrefix(opPrefix(this.plan, edge, o));
  }

  aliveNames(edge: number): string[] {
    return [...this.ops[edge].keys()].map((o) => this.space.ops[o].name);
  }

  apply(s0: tf.Tensor4D, s1: tf.Tensor4D, opW: tf.Tensor2D, edgeW: tf.Tensor1D, path?: readonly number[]): tf.Tensor4D {
    return tf.tidy(() => {
      const states = [s0, s1];
      const { k, shuffle } = this.space.sampling;
      for (let j = 0; j < this.space.supernet.nodes; j++) {
        let acc: tf.Tensor4D | undefined;
        for (let i = 0; i < j + 2; i++) {
          const e = firstEdgeOfNode(j) + i;
          const live = path ? new Map([[path[e], this.ops[e].get(path[e])]]) : this.ops[e];
          const y = mixEdge(states[i], (xa) => sumOps(xa, live, opW, e, true), { k, shuffle, stride: this.plan.kind === 'reduce' && i < 2 ? 2 : 1 });
          const term = tf.mul(y, tf.slice(edgeW, [e], [1])) as tf.Tensor4D;
          acc = acc ? (tf.add(acc, term) as tf.Tensor4D) : term;
        }
        states.push(acc as tf.Tensor4D);
      }
      return tf.concat(states.slice(2), 3) as tf.Tensor4D;
    });
  }
}

/** The supernet with its cells computed op by op (the reference of its fused cells). */
export class OpByOpSupernet extends Supernet {
  protected override mixedEdges(plan: CellPlan): MixedEdges {
    return new OpByOpCell(this.space, plan, this.weights, this.quantizers('ops'));
  }
}
