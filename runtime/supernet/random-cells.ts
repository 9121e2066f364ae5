/**
 * Random cells, the baseline a searched cell is judged against (docs/method.md, "Random cells").
 * `uniform`: each node's two inputs and their ops drawn uniformly. `caps`: the same draws, each cell
 * drawn again until it obeys the derivation caps the search derived under (`derive.max_param_free`,
 * `derive.max_inner_edges`): the uniform distribution over the cells the search could have
 * returned, so the caps' own worth is not credited to the search.
 */
import { isParamFree, paramFreeCounter, type SearchSpace } from '../dsl/space.js';
import type { CellKind, Genotype, GenotypeEdge } from '../protocol/genotype.js';

/** The derivation caps a random cell must obey; an absent cap does not limit. */
export interface CellCaps {
  /** At most this many parameter-free ops per cell (a stride-2 skip of a reduction cell has weights). */
  readonly maxParamFree?: number;
  /** At most this many edges per cell from intermediate nodes (inputs ≥ 2). */
  readonly maxInnerEdges?: number;
}

/** Draws per cell before a cap that (almost) no cell obeys is reported instead of looping on. */
export const MAX_CELL_DRAWS = 1_000_000;

/** The caps of `space`'s `derive` block (the caps its searches derive under). */
export function capsOf(space: SearchSpace): CellCaps {
  return { maxParamFree: space.derive?.maxParamFree, maxInnerEdges: space.derive?.maxInnerEdges };
}

/** Two distinct inputs of intermediate node `j`, uniform over the states before it, in increasing order. */
export function randomInputs(j: number, rng: { int(n: number): number }): [number, number] {
  const a = rng.int(j + 2);
  let b = rng.int(j + 1);
  if (b >= a) b++;
  return a < b ? [a, b] : [b, a];
}

/** The test of `caps` for cells of `space` (its op table read once: the draws call it in a loop). */
function capsTest(space: SearchSpace, caps: CellCaps): (edges: readonly GenotypeEdge[], kind: CellKind) => boolean {
  const paramFree = paramFreeCounter(space.ops);
  return (edges, kind) =>
    paramFree(edges, kind === 'reduce') <= (caps.maxParamFree ?? Infinity) && edges.filter(([, input]) => input >= 2).length <= (caps.maxInnerEdges ?? Infinity);
}

/** Whether a cell of `kind` obeys `caps`, its ops resolved in `space` (an op the space lacks has weights). */
export function obeysCaps(edges: readonly GenotypeEdge[], kind: CellKind, space: SearchSpace, caps: CellCaps): boolean {
  return capsTest(space, caps)(edges, kind);
}

/**
 * Whether some cell of `kind` obeys `caps`. Every node may read the cell's two inputs (no inner
 * edge), so one exists unless the parameter-free cap is below what those edges need: all of them
 * when no candidate op has weights at the inputs' stride.
 */
function capsSatisfiable(kind: CellKind, space: SearchSpace, caps: CellCaps): boolean {
  // Every edge from the cell's inputs: stride 2 in a reduction cell.
  const weighted = space.ops.some((o) => o.kind !== 'zero' && !isParamFree(o.kind, kind === 'reduce' ? 2 : 1));
  return weighted || 2 * space.supernet.nodes <= (caps.maxParamFree ?? Infinity);
}

/**
 * A random cell pair of the space: for each node two distinct inputs chosen uniformly from the
 * earlier states, each with a uniformly chosen non-`none` op; with `caps`, each cell drawn again
 * until it obeys them. Without caps the draws are those of every earlier version, so recorded
 * random cells of a seed are drawn again unchanged.
 * @throws an Error when no cell obeying `caps` turns up in {@link MAX_CELL_DRAWS} draws
 */
export function randomGenotype(space: SearchSpace, rng: { int(n: number): number }, caps?: CellCaps): Genotype {
  const ops = space.ops.filter((o) => o.kind !== 'zero').map((o) => o.name);
  const nodes = space.supernet.nodes;
  const obeys = caps && capsTest(space, caps);
  const draw = (): GenotypeEdge[] => {
    const out: GenotypeEdge[] = [];
    for (let j = 0; j < nodes; j++) {
      for (const input of randomInputs(j, rng)) out.push([ops[rng.int(ops.length)], input]);
    }
    return out;
  };
  const cell = (kind: CellKind): GenotypeEdge[] => {
    const fail = (why: string) =>
      new Error(
        `no random ${kind === 'normal' ? 'normal' : 'reduction'} cell ${why} the derivation caps (max_param_free = ${caps?.maxParamFree ?? 'none'}, ` +
          `max_inner_edges = ${caps?.maxInnerEdges ?? 'none'}); draw them uniformly (--random-rule uniform) or loosen the caps`,
      );
    if (caps && !capsSatisfiable(kind, space, caps)) throw fail('can obey');
    for (let i = 0; i < (caps ? MAX_CELL_DRAWS : 1); i++) {
      const edges = draw();
      if (!obeys || obeys(edges, kind)) return edges;
    }
    throw fail(`in ${MAX_CELL_DRAWS} draws obeys`);
  };
  const concat = Array.from({ length: nodes }, (_, i) => i + 2);
  const normal = cell('normal');
  return { normal, normal_concat: concat, reduce: cell('reduce'), reduce_concat: [...concat] };
}
