/**
 * Derivation's edge evidence (docs/method.md, "Derivation"): for each edge of each cell kind, how
 * much the supernet's mean validation loss rises when that edge alone is removed, every other edge
 * mixed as it is. Every probe and the unrestricted baseline run on the same batches, so the
 * differences are the edges' alone.
 */
import { CELL_KINDS, type CellKind } from '../protocol/genotype.js';
import { EDGE_REMOVED, type EdgeRestriction } from '../supernet/supernet.js';
import type { MeasureEdges } from './pruning.js';
import { meanLoss } from './pruning.js';

/** The removal probes of both cell kinds, in cell-kind then edge order. */
export function removalProbes(edges: number): EdgeRestriction[] {
  return CELL_KINDS.flatMap((cell) => Array.from({ length: edges }, (_, edge) => ({ cell, edge, op: EDGE_REMOVED })));
}

/**
 * Per cell kind and edge: L(supernet without the edge) − L(supernet), in nats; larger means the
 * supernet leans on the edge more.
 */
export async function edgeRemovalLosses(measure: MeasureEdges, edges: number): Promise<Record<CellKind, number[]>> {
  const probes = removalProbes(edges);
  const [base, ...losses] = (await measure([undefined, ...probes])).map(meanLoss);
  const out: Record<CellKind, number[]> = { normal: [], reduce: [] };
  probes.forEach((p, i) => out[p.cell].push(losses[i] - base));
  return out;
}
