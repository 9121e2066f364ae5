/**
 * The edge layout of a DARTS cell, shared by the supernet, pruning and derivation (no tensors).
 * States: 0 = c_{k-2}, 1 = c_{k-1}, 2.. = intermediate nodes. Node j (0-based) takes one edge from
 * every earlier state, so the edges of node j are numbered after those of nodes 0..j-1
 * (2 + 3 + 4 + 5 = 14 edges for 4 nodes), the order DARTS code uses.
 */

export interface Edge {
  /** Index of the edge in α / β rows. */
  readonly index: number;
  /** Source state (0 = c_{k-2}, 1 = c_{k-1}, 2.. = nodes). */
  readonly from: number;
  /** Intermediate node (0-based) the edge feeds. */
  readonly node: number;
}

/** Number of edges in a cell with `nodes` intermediate nodes. */
export function edgeCount(nodes: number): number {
  return (nodes * (nodes + 3)) / 2;
}

/** Every edge of a cell in α-row order. */
export function cellEdges(nodes: number): Edge[] {
  const out: Edge[] = [];
  for (let j = 0; j < nodes; j++) for (let i = 0; i < j + 2; i++) out.push({ index: out.length, from: i, node: j });
  return out;
}

/** Index of the first edge feeding node j. */
export function firstEdgeOfNode(j: number): number {
  return (j * (j + 3)) / 2;
}

/** Numerically stable softmax of plain numbers. */
export function softmax(xs: readonly number[]): number[] {
  if (xs.length === 0) return [];
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
