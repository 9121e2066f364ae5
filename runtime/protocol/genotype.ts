/**
 * The discrete result of a search, in the DARTS layout (contract section 6): plain immutable data.
 * `normal` / `reduce` hold two `[op, input]` pairs per intermediate node, in node order; inputs
 * count 0 = c_{k-2}, 1 = c_{k-1}, 2.. = intermediate nodes.
 */
export type GenotypeEdge = readonly [op: string, input: number];

export interface Genotype {
  readonly normal: readonly GenotypeEdge[];
  readonly normal_concat: readonly number[];
  readonly reduce: readonly GenotypeEdge[];
  readonly reduce_concat: readonly number[];
}

export type CellKind = 'normal' | 'reduce';
export const CELL_KINDS: readonly CellKind[] = ['normal', 'reduce'];

/** True when `g` has the shape of a Genotype (used to validate what crosses a boundary). */
export function isGenotype(g: unknown): g is Genotype {
  if (typeof g !== 'object' || g === null) return false;
  const o = g as Record<string, unknown>;
  const edges = (v: unknown) =>
    Array.isArray(v) &&
    v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && Number.isInteger(p[1]) && p[1] >= 0);
  const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
  return edges(o.normal) && edges(o.reduce) && ints(o.normal_concat) && ints(o.reduce_concat);
}
