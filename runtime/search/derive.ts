/**
 * Deriving the discrete cell from the architecture weights (method doc, "Deriving the cell"):
 * per intermediate node, score each incoming edge by its best non-`none` op weight
 * softmax(α over the ops still alive)·softmax(β over the node's inputs), keep the top 2 edges and
 * take the best non-`none` op on each. Pure numbers, no tensors.
 */
import type { CellKind, Genotype, GenotypeEdge } from '../protocol/genotype.js';
import { cellEdges, firstEdgeOfNode, softmax } from '../supernet/topology.js';

/** Architecture state of one cell kind as plain numbers. */
export interface CellArch {
  /** Raw α, edges × ops (all declared ops, pruned ones included). */
  readonly alphas: readonly (readonly number[])[];
  /** Raw β, one per edge. */
  readonly betas: readonly number[];
  /** alive[e][o]: op o still in the mix on edge e. */
  readonly alive: readonly (readonly boolean[])[];
}

/** Per edge: softmax(α) over alive ops (0 for pruned ops), in declared op order. */
export function opWeights(arch: CellArch): number[][] {
  return arch.alphas.map((row, e) => {
    const idx = row.map((_, o) => o).filter((o) => arch.alive[e][o]);
    const sm = softmax(idx.map((o) => row[o]));
    const out = row.map(() => 0);
    idx.forEach((o, k) => (out[o] = sm[k]));
    return out;
  });
}

/** Per edge: softmax(β) over the inputs of the edge's node; all 1 when edge normalization is off. */
export function edgeWeights(arch: CellArch, nodes: number, edgeNormalization: boolean): number[] {
  if (!edgeNormalization) return arch.betas.map(() => 1);
  const out: number[] = [];
  for (let j = 0; j < nodes; j++) {
    const start = firstEdgeOfNode(j);
    out.push(...softmax(arch.betas.slice(start, start + j + 2)));
  }
  return out;
}

/**
 * The best non-`none` op on an edge: among alive ops by weight; when only `none` is alive (pruning
 * may leave it), the non-`none` op with the largest raw α, so the genotype always names a real op.
 */
function bestOp(arch: CellArch, weights: readonly number[], e: number, opNames: readonly string[]): { op: number; weight: number } {
  let best = -1;
  for (let o = 0; o < opNames.length; o++) {
    if (opNames[o] === 'none' || !arch.alive[e][o]) continue;
    if (best < 0 || weights[o] > weights[best]) best = o;
  }
  if (best >= 0) return { op: best, weight: weights[best] };
  for (let o = 0; o < opNames.length; o++) {
    if (opNames[o] === 'none') continue;
    if (best < 0 || arch.alphas[e][o] > arch.alphas[e][best]) best = o;
  }
  // -1 weight: an edge without a live real op is chosen only when the node has no better input.
  return { op: best, weight: -1 };
}

/** Derives one cell's `[op, input]` pairs (two per node; one when the node has a single input). */
export function deriveCell(arch: CellArch, opNames: readonly string[], nodes: number, edgeNormalization: boolean): GenotypeEdge[] {
  if (!opNames.some((n) => n !== 'none')) throw new Error('cannot derive a cell: every candidate op is `none`');
  const w = opWeights(arch);
  const b = edgeWeights(arch, nodes, edgeNormalization);
  const edges = cellEdges(nodes);
  const out: GenotypeEdge[] = [];
  for (let j = 0; j < nodes; j++) {
    const scored = edges
      .filter((e) => e.node === j)
      .map((e) => {
        const best = bestOp(arch, w[e.index], e.index, opNames);
        return { from: e.from, op: best.op, score: best.weight < 0 ? -1 : best.weight * b[e.index] };
      });
    // Stable order on ties: the earlier input wins, so derivation is deterministic.
    scored.sort((x, y) => y.score - x.score || x.from - y.from);
    for (const s of scored.slice(0, 2)) out.push([opNames[s.op], s.from]);
  }
  return out;
}

/** Derives the genotype of both cell kinds; all intermediate nodes are concatenated. */
export function deriveGenotype(
  archs: Readonly<Record<CellKind, CellArch>>,
  opNames: readonly string[],
  nodes: number,
  edgeNormalization: boolean,
): Genotype {
  const concat = Array.from({ length: nodes }, (_, i) => i + 2);
  return {
    normal: deriveCell(archs.normal, opNames, nodes, edgeNormalization),
    normal_concat: concat,
    reduce: deriveCell(archs.reduce, opNames, nodes, edgeNormalization),
    reduce_concat: concat,
  };
}
