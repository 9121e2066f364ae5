/**
 * The discrete result of a search, in the DARTS layout: plain immutable data. `normal` / `reduce`
 * hold two `[op, input]` pairs per intermediate node, in node order; inputs count 0 = c_{k-2},
 * 1 = c_{k-1}, 2.. = intermediate nodes (see `stateName`).
 */
import * as v from 'valibot';
import { natural } from './check.js';

export const CELL_KINDS = ['normal', 'reduce'] as const;
export const CellKindSchema = v.picklist(CELL_KINDS);
export type CellKind = v.InferOutput<typeof CellKindSchema>;

/** One edge of a derived cell: `[op name, input state]`. */
export const GenotypeEdgeSchema = v.pipe(v.strictTuple([v.string(), natural]), v.readonly());
export type GenotypeEdge = v.InferOutput<typeof GenotypeEdgeSchema>;

const edges = v.pipe(v.array(GenotypeEdgeSchema), v.readonly());
const states = v.pipe(v.array(natural), v.readonly());

export const GenotypeSchema = v.pipe(
  v.object({ normal: edges, normal_concat: states, reduce: edges, reduce_concat: states }),
  v.readonly(),
);
export type Genotype = v.InferOutput<typeof GenotypeSchema>;

/** True when `g` has the shape of a Genotype (used to validate what crosses a boundary). */
export function isGenotype(g: unknown): g is Genotype {
  return v.is(GenotypeSchema, g);
}

/** Display name of cell state `i` in text: 0 = c_{k-2}, 1 = c_{k-1}, 2.. = `node i-2`. */
export function stateName(i: number): string {
  return i === 0 ? 'c_{k-2}' : i === 1 ? 'c_{k-1}' : `node ${i - 2}`;
}
