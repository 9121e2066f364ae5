/**
 * Deriving the discrete cell from the architecture weights (docs/method.md, "Derivation"):
 * per intermediate node, score each incoming edge by its best non-`none` op weight
 * softmax(α over the ops still alive)·softmax(β over the node's inputs), keep the top 2 edges and
 * take the best non-`none` op on each; then at most `derive.max_inner_edges` edges from intermediate
 * nodes and at most `derive.max_param_free` parameter-free ops per cell. Pure numbers, no tensors,
 * once {@link archNumbers} has read them from the supernet.
 */
import { isParamFree, type SearchSpace } from '../dsl/space.js';
import { CELL_KINDS, type CellKind, type Genotype, type GenotypeEdge } from '../protocol/genotype.js';
import type { Supernet } from '../supernet/supernet.js';
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

/** Reads α/β of the supernet as plain numbers per cell kind. */
export async function archNumbers(net: Supernet): Promise<Record<CellKind, CellArch>> {
  const out = {} as Record<CellKind, CellArch>;
  for (const k of CELL_KINDS) {
    out[k] = {
      alphas: (await net.arch.get(`alpha.${k}`).array()) as number[][],
      betas: (await net.arch.get(`beta.${k}`).array()) as number[],
      alive: net.alive[k],
    };
  }
  return out;
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

/** Derivation limits (the space's `derive` block). */
export interface DeriveLimits {
  /** Whether declared op o on an edge from input `from` has no learnable weights (in this cell kind). */
  readonly paramFree: (op: number, from: number) => boolean;
  /** At most this many parameter-free ops per cell; undefined = no limit. */
  readonly maxParamFree?: number;
  /**
   * How a node's input edges are ranked: `weight` by w_o · b (the best alive op's weight times the
   * edge weight), `beta` by the edge weight b alone, `removal` by {@link DeriveLimits.removal}
   * (docs/method.md, "Derivation"); default `weight`.
   */
  readonly edges?: EdgeScore;
  /**
   * With `edges = removal`: per edge, how much the supernet's validation loss rises when the edge is
   * removed (runtime/search/edge-evidence.ts). Required there, ignored otherwise.
   */
  readonly removal?: readonly number[];
  /** At most this many edges per cell read from intermediate nodes; undefined = no limit. */
  readonly maxInnerEdges?: number;
}

/** How derivation ranks a node's input edges (see {@link DeriveLimits.edges}). */
export type EdgeScore = 'weight' | 'beta' | 'removal';

/** The derivation limits of a space for one cell kind (reduction cells: edges from inputs 0 and 1 have stride 2). */
export function deriveLimitsOf(space: SearchSpace, cell: CellKind): DeriveLimits {
  return {
    paramFree: (o, from) => isParamFree(space.ops[o].kind, cell === 'reduce' && from < 2 ? 2 : 1),
    maxParamFree: space.derive?.maxParamFree,
    edges: space.derive?.edges,
    maxInnerEdges: space.derive?.maxInnerEdges,
  };
}

/** One chosen input of a node: the edge, its op and the score it was chosen by. */
interface Pick {
  readonly edge: number;
  readonly from: number;
  op: number;
  score: number;
}

/** Derives one cell's `[op, input]` pairs (two per node; one when the node has a single input). */
export function deriveCell(
  arch: CellArch,
  opNames: readonly string[],
  nodes: number,
  edgeNormalization: boolean,
  limits?: DeriveLimits,
): GenotypeEdge[] {
  if (!opNames.some((n) => n !== 'none')) throw new Error('cannot derive a cell: every candidate op is `none`');
  const w = opWeights(arch);
  const b = edgeWeights(arch, nodes, edgeNormalization);
  const edges = cellEdges(nodes);
  const score = edgeScorer(w, b, limits?.edges, limits?.removal);
  const scored: Pick[][] = [];
  for (let j = 0; j < nodes; j++) {
    const own = edges
      .filter((e) => e.node === j)
      .map((e) => {
        const best = bestOp(arch, w[e.index], e.index, opNames);
        return { edge: e.index, from: e.from, op: best.op, score: best.weight < 0 ? -Infinity : score(e.index, best.op) };
      });
    // Stable order on ties: the earlier input wins, so derivation is deterministic.
    own.sort(byScore);
    scored.push(own);
  }
  const picks = scored.map((own) => own.slice(0, 2).map((p) => ({ ...p })));
  const maxInner = limits?.maxInnerEdges ?? Infinity;
  if (maxInner < Infinity) capInnerEdges(picks, scored, maxInner);
  if (limits?.maxParamFree !== undefined) capParamFree(picks, arch, w, score, edges, opNames, limits.paramFree, limits.maxParamFree, maxInner);
  return picks.flatMap((node) => [...node].sort(byScore).map((p): GenotypeEdge => [opNames[p.op], p.from]));
}

/**
 * The score of op `o` on edge `e` by which derivation ranks edges: w_o · b; with `beta` the edge
 * weight b first and w_o only between equal b (a node's edges are then compared by β alone: an edge
 * that pruning has left one op does not win by that op's softmax weight of 1); with `removal` the
 * loss the supernet gains without the edge, w_o only between equal losses.
 */
function edgeScorer(w: readonly (readonly number[])[], b: readonly number[], edges: EdgeScore = 'weight', removal?: readonly number[]): (e: number, o: number) => number {
  if (edges === 'removal') {
    if (!removal || removal.length !== b.length) throw new Error(`derive.edges = removal needs one removal loss per edge (${b.length}), got ${removal?.length ?? 'none'}`);
    return (e, o) => removal[e] + 1e-9 * w[e][o];
  }
  return edges === 'beta' ? (e, o) => b[e] * (1 + 1e-9 * w[e][o]) : (e, o) => w[e][o] * b[e];
}

/** Higher score first; on equal scores (two edges without a live real op included) the earlier input. */
const byScore = (x: Pick, y: Pick): number => (y.score === x.score ? 0 : y.score - x.score) || x.from - y.from;

/** Edges from intermediate nodes (inputs 2 and up), as opposed to the cell inputs c_{k-2} and c_{k-1}. */
const isInner = (p: { readonly from: number }): boolean => p.from >= 2;
const innerCount = (picks: readonly (readonly Pick[])[]): number => picks.reduce((n, node) => n + node.filter(isInner).length, 0);

/**
 * Replaces picks that read an intermediate node by the node's best unpicked cell-input edge until at
 * most `max` remain (docs/method.md, "Derivation"). Each step takes the replacement with the highest
 * score over all nodes, so the inner edges that survive are those whose node has no close input alternative.
 */
function capInnerEdges(picks: Pick[][], scored: readonly (readonly Pick[])[], max: number): void {
  while (innerCount(picks) > max) {
    let choice: { j: number; at: number; with: Pick } | undefined;
    picks.forEach((node, j) =>
      node.forEach((p, at) => {
        if (!isInner(p)) return;
        const alt = scored[j].find((q) => !isInner(q) && !node.some((r) => r.edge === q.edge));
        if (alt && (!choice || alt.score > choice.with.score)) choice = { j, at, with: alt };
      }),
    );
    if (!choice) return;
    picks[choice.j][choice.at] = { ...choice.with };
  }
}

/**
 * Replaces parameter-free picks by learnable ones until at most `max` remain (docs/method.md,
 * "Collapse"). Each replacement is the best-weighted learnable alternative of any parameter-free
 * pick: an alive learnable op on the same edge, or another input edge of the same node whose best
 * alive op is learnable. Where no alternative is alive (pruning removed them), the cell keeps more.
 */
function capParamFree(
  picks: Pick[][],
  arch: CellArch,
  w: readonly (readonly number[])[],
  score: (e: number, o: number) => number,
  edges: ReturnType<typeof cellEdges>,
  opNames: readonly string[],
  paramFree: DeriveLimits['paramFree'],
  max: number,
  maxInner: number,
): void {
  const learnable = (o: number, from: number) => opNames[o] !== 'none' && !paramFree(o, from);
  const bestLearnable = (e: number, from: number): number => {
    let best = -1;
    arch.alive[e].forEach((alive, o) => alive && learnable(o, from) && (best < 0 || w[e][o] > w[e][best]) && (best = o));
    return best;
  };
  for (;;) {
    const free = picks.flatMap((node, j) => node.filter((p) => paramFree(p.op, p.from)).map((p) => ({ j, p })));
    if (free.length <= max) return;
    const inner = innerCount(picks);
    let choice: { j: number; p: Pick; edge: number; from: number; op: number; score: number } | undefined;
    for (const { j, p } of free) {
      const same = bestLearnable(p.edge, p.from);
      const options = same >= 0 ? [{ edge: p.edge, from: p.from, op: same }] : [];
      for (const e of edges.filter((x) => x.node === j && !picks[j].some((q) => q.edge === x.index))) {
        const o = bestOp(arch, w[e.index], e.index, opNames).op;
        if (o >= 0 && arch.alive[e.index][o] && learnable(o, e.from)) options.push({ edge: e.index, from: e.from, op: o });
      }
      for (const opt of options) {
        // A replacement must not take the cell past the inner-edge cap.
        if (inner - Number(isInner(p)) + Number(isInner(opt)) > maxInner) continue;
        const s = score(opt.edge, opt.op);
        if (!choice || s > choice.score) choice = { j, p, ...opt, score: s };
      }
    }
    if (!choice) return;
    const { j, p } = choice;
    picks[j][picks[j].indexOf(p)] = { edge: choice.edge, from: choice.from, op: choice.op, score: choice.score };
  }
}

/** Derives the genotype of both cell kinds; all intermediate nodes are concatenated. */
export function deriveGenotype(
  archs: Readonly<Record<CellKind, CellArch>>,
  opNames: readonly string[],
  nodes: number,
  edgeNormalization: boolean,
  limits?: Readonly<Record<CellKind, DeriveLimits>>,
): Genotype {
  const concat = Array.from({ length: nodes }, (_, i) => i + 2);
  return {
    normal: deriveCell(archs.normal, opNames, nodes, edgeNormalization, limits?.normal),
    normal_concat: concat,
    reduce: deriveCell(archs.reduce, opNames, nodes, edgeNormalization, limits?.reduce),
    reduce_concat: concat,
  };
}
