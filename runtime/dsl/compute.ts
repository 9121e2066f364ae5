/**
 * Compute estimate of a supernet: the multiply-adds of one forward pass of one image, split into
 * the part that pruning cannot shrink (stem, the pre-processing of every cell input, the
 * partial-channel mix, the head) and the candidate ops of every edge. It answers "how much can
 * abandoning ops save at most?" independently of any engine: a step whose time were proportional
 * to its multiply-adds would cost `fixed + Σ alive ops`.
 *
 * What counts: every multiply-add of a convolution or matrix product (a depthwise k×k conv: k²
 * per output element; a 1×1 conv: Ci per output element), and every element of a pooling
 * window. Element-wise work (ReLU, sign, batch norm, the softmax of α) is left out; the mix of
 * each edge (op weights, β, bypass, shuffle) counts one multiply-add per output element, and a
 * reduction edge's 2×2 bypass pooling four per bypassed element. Binary ops count like real ones:
 * the search trains them in floating point, as the papers do.
 *
 * The layout is the runtime supernet's own (`planCells`, cells.ts; the ops of
 * runtime/supernet/candidate-ops.ts): DARTS cells, channels doubled and size halved at each
 * reduction, a factorized reduce as the first pre-processing after a reduction, partial channels
 * (C/K through the ops).
 */
import { STEM_KERNEL, planCells, type CellKindName } from './cells.js';
import { classesOf, imageSizeOf, inputChannelsOf } from './memory.js';
import type { OpSpec, SearchSpace } from './space.js';

/** The two cell kinds. */
export type ComputeCellKind = CellKindName;

/** Multiply-adds of one forward pass of one image. */
export interface ComputeEstimate {
  readonly imageSize: number;
  /** The 3×3 stem convolution. */
  readonly stem: number;
  /** Both pre-processing units of every cell (1×1 convs, factorized reduces). */
  readonly preprocess: number;
  /** Each edge's weighted sum of op outputs, bypass, β and shuffle. */
  readonly mix: number;
  /** Global pooling and the classifier. */
  readonly head: number;
  /** stem + preprocess + mix + head: what a step costs with every edge's ops pruned away. */
  readonly fixed: number;
  /**
   * `ops[kind][edge][op]`: multiply-adds of candidate op `op` (index into `space.ops`) on edge
   * `edge`, summed over every cell of that kind (α is shared per kind, so pruning is too).
   */
  readonly ops: Readonly<Record<ComputeCellKind, readonly (readonly number[])[]>>;
  /** fixed + every op of every edge: a supernet before any pruning. */
  readonly total: number;
}

/**
 * Multiply-adds of one candidate op per output pixel.
 * @param op the op
 * @param c channels through the op (C/K with partial channels)
 * @param stride 2 on the edges of a reduction cell that leave its inputs
 */
export function opMacsPerPixel(op: OpSpec, c: number, stride: number): number {
  const k2 = op.kernel * op.kernel;
  let first: number;
  let rest: number;
  switch (op.kind) {
    case 'zero':
      return 0;
    case 'skip':
      // Identity, or a factorized reduce: two 1×1 convs of c → c/2 each.
      first = stride === 2 ? c * c : 0;
      rest = 0;
      break;
    case 'max_pool':
    case 'avg_pool':
      first = rest = k2 * c;
      break;
    case 'conv':
      first = rest = k2 * c * c;
      break;
    case 'dil_conv':
      first = rest = k2 * c + c * c;
      break;
    case 'sep_conv':
      first = rest = 2 * (k2 * c + c * c);
      break;
  }
  return first + (op.repeat - 1) * rest;
}

/**
 * Estimates the multiply-adds of one forward pass of one image through the supernet of `space`.
 * @param space a validated search space (defaults filled)
 */
export function estimateSupernetCompute(space: SearchSpace): ComputeEstimate {
  const { channels, nodes, stemMultiplier } = space.supernet;
  const k = Math.max(1, space.sampling.k);
  const image = imageSizeOf(space);
  const stem = image * image * STEM_KERNEL * STEM_KERNEL * inputChannelsOf(space) * channels * stemMultiplier;
  const edges = (nodes * (nodes + 3)) / 2;
  const ops: Record<ComputeCellKind, number[][]> = {
    normal: Array.from({ length: edges }, () => space.ops.map(() => 0)),
    reduce: Array.from({ length: edges }, () => space.ops.map(() => 0)),
  };
  let preprocess = 0;
  let mix = 0;
  const plans = planCells(space, image);
  plans.forEach((p, i) => {
    const inSize = i === 0 ? image : plans[i - 1].size;
    // pre0 reads c_{k-2}: after a reduction it is twice the size and a factorized reduce (two 1×1
    // convs to C/2 each on every other pixel) brings it to c_{k-1}'s size; otherwise a 1×1 conv.
    // Either way Cpp·C per pixel of c_{k-1}; pre1 is a 1×1 conv of c_{k-1}.
    preprocess += inSize * inSize * (p.inPrevPrev + p.inPrev) * p.channels;
    const part = p.channels / k;
    const pixels = p.size * p.size;
    let e = 0;
    for (let node = 0; node < nodes; node++) {
      for (let from = 0; from < node + 2; from++, e++) {
        const stride = p.kind === 'reduce' && from < 2 ? 2 : 1;
        space.ops.forEach((op, o) => (ops[p.kind][e][o] += pixels * opMacsPerPixel(op, part, stride)));
        mix += pixels * p.channels + (stride === 2 ? pixels * 4 * (p.channels - part) : 0);
      }
    }
  });
  const last = plans.at(-1);
  const outC = last?.out ?? channels * stemMultiplier;
  const outSize = last?.size ?? image;
  const head = outSize * outSize * outC + outC * classesOf(space);
  const fixed = stem + preprocess + mix + head;
  const total = fixed + sumOps(ops, () => true);
  return { imageSize: image, stem, preprocess, mix, head, fixed, ops, total };
}

/** Σ of the ops' multiply-adds where `alive(kind, edge, op)`. */
function sumOps(ops: ComputeEstimate['ops'], alive: (kind: ComputeCellKind, edge: number, op: number) => boolean): number {
  let s = 0;
  for (const kind of ['normal', 'reduce'] as const) {
    ops[kind].forEach((row, e) => row.forEach((m, o) => (s += alive(kind, e, o) ? m : 0)));
  }
  return s;
}

/**
 * Multiply-adds of one forward pass of one image with only the alive ops computed (a pruned
 * supernet, or a single path when one op per edge is alive).
 * @param est the estimate of the space
 * @param alive `alive[kind][edge][op]`, as the supernet and the checkpoint keep it
 */
export function computeWithAlive(est: ComputeEstimate, alive: Readonly<Record<ComputeCellKind, readonly (readonly boolean[])[]>>): number {
  return est.fixed + sumOps(est.ops, (kind, e, o) => alive[kind][e]?.[o] ?? false);
}
