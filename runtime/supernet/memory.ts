/**
 * A per-step memory estimate of the supernet (method doc, "Known pitfalls"): the activations every
 * op keeps for the backward pass, counted from the cell plan, plus weights with their gradients and
 * optimizer slots. Pure arithmetic, so it runs before any tensor exists and can warn early.
 */
import type { OpSpec, SearchSpace } from '../dsl/space.js';
import { planCells } from './supernet.js';
import { cellEdges } from './topology.js';

/** Float32 tensors of output size an op keeps alive per forward pass (measured by reading the op code). */
function activationsPerOp(op: OpSpec, stride: number): number {
  const perPrimitive = (() => {
    switch (op.kind) {
      case 'zero':
        return 0;
      case 'skip':
        return stride === 2 ? 4 : 0;
      case 'max_pool':
      case 'avg_pool':
        return 3;
      case 'conv':
        return 3;
      case 'dil_conv':
        return 5;
      case 'sep_conv':
        return 10;
    }
  })();
  return perPrimitive * op.repeat;
}

/** What the estimate counts, in bytes. */
export interface MemoryEstimate {
  readonly activationBytes: number;
  readonly parameterBytes: number;
  readonly totalBytes: number;
  /** Ops computed per forward pass (all cells, all edges, non-`none`). */
  readonly computedOps: number;
}

/**
 * Estimates the memory of one search step.
 * @param alive fraction of ops still alive (1 before pruning); scales op activations
 */
export function estimateSupernetMemory(space: SearchSpace, image: number, inChannels: number, batch: number, alive = 1): MemoryEstimate {
  const plans = planCells(space, image);
  const edges = cellEdges(space.supernet.nodes);
  const k = space.sampling.k;
  let acts = batch * image * image * (space.supernet.channels * space.supernet.stemMultiplier) * 3 + batch * image * image * inChannels;
  let params = 0;
  let computed = 0;
  let prevSize = image;
  for (const p of plans) {
    const c = p.channels;
    const part = c / k;
    // pre-processing: two ReLU–conv–BN units at the cell's input size
    acts += 2 * 3 * batch * prevSize * prevSize * c;
    params += (p.inPrevPrev + p.inPrev) * c;
    for (const e of edges) {
      const stride = p.kind === 'reduce' && e.from < 2 ? 2 : 1;
      const out = p.size;
      for (const op of space.ops) {
        const n = activationsPerOp(op, stride);
        acts += alive * n * batch * out * out * part;
        if (op.kind !== 'zero') computed += alive;
        const kk = op.kernel * op.kernel;
        const w = op.kind === 'conv' ? kk * part * part : op.kind === 'sep_conv' ? 2 * (kk * part + part * part) : op.kind === 'dil_conv' ? kk * part + part * part : 0;
        params += alive * w * op.repeat;
      }
      // slice, weighted sum, bypass, concat, shuffle, β-weighted term
      acts += batch * out * out * (2 * part + 4 * c);
    }
    prevSize = p.size;
  }
  const last = plans.length ? plans[plans.length - 1].out : space.supernet.channels * space.supernet.stemMultiplier;
  params += last * 10;
  // Backward holds about as much again as the forward keeps; weights have grad + momentum.
  const activationBytes = Math.round(acts * 4 * 2);
  const parameterBytes = Math.round(params * 4 * 3);
  return { activationBytes, parameterBytes, totalBytes: activationBytes + parameterBytes, computedOps: Math.round(computed) };
}
