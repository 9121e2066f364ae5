/**
 * The cell layout of a DARTS supernet, from a search space alone (no tensors): which cells reduce,
 * the channels and spatial size of each, and the channel bookkeeping of its two inputs. The
 * runtime's supernet (runtime/supernet/supernet.ts) builds from it and the compute estimate
 * (compute.ts) counts from it, so both see the same network.
 */
import type { SearchSpace } from './space.js';

/** Kernel size of the stem convolution (a 3×3 conv to channels × stem multiplier, as DARTS). */
export const STEM_KERNEL = 3;

/** The two cell kinds (the names of `runtime/protocol/genotype.ts`). */
export type CellKindName = 'normal' | 'reduce';

/** Plan of the cells: kind and channel count of each, and the channel bookkeeping of DARTS. */
export interface CellPlan {
  readonly index: number;
  readonly kind: CellKindName;
  /** Channels of each intermediate node (C of the cell). */
  readonly channels: number;
  readonly reductionPrev: boolean;
  /** Channels of c_{k-2} and c_{k-1} as they arrive. */
  readonly inPrevPrev: number;
  readonly inPrev: number;
  /** Channels of the cell output (nodes × channels). */
  readonly out: number;
  /** Spatial size of the cell's output. */
  readonly size: number;
}

/** The cell layout of a space for an input of `size`×`size`. */
export function planCells(space: SearchSpace, size: number): CellPlan[] {
  const { cells, reductions, channels, nodes, stemMultiplier } = space.supernet;
  const plans: CellPlan[] = [];
  let cpp = channels * stemMultiplier;
  let cp = cpp;
  let c = channels;
  let reductionPrev = false;
  let s = size;
  for (let i = 0; i < cells; i++) {
    const reduce = reductions.includes(i);
    if (reduce) {
      c *= 2;
      s = Math.ceil(s / 2);
    }
    plans.push({ index: i, kind: reduce ? 'reduce' : 'normal', channels: c, reductionPrev, inPrevPrev: cpp, inPrev: cp, out: nodes * c, size: s });
    reductionPrev = reduce;
    cpp = cp;
    cp = nodes * c;
  }
  return plans;
}
