/**
 * Mermaid text for every drawing: a derived cell (genotype), the supernet cell with every
 * candidate edge, and the macro network. One function per drawing: the run view draws a cell with
 * `formatCellMermaid`, and the run folder's `normal.mmd` / `reduce.mmd` and every Mermaid export
 * are the same text. Pure string code (no DOM), so the views, the extension and the command line
 * share it and it is tested in Node.
 *
 * Labels come from user files (op names can be anything the language accepts, and a hand-edited
 * events file can hold anything at all). Every label is quoted and every character outside a
 * small safe set is written as a Mermaid entity code (`#60;` for `<`), which Mermaid turns into
 * an HTML character reference: the text is shown, never parsed as markup or as Mermaid syntax.
 */
import type { CellKind, Genotype } from './genotype.js';

/** Escapes a label for use inside `"…"` in Mermaid flowchart text. */
export function mermaidLabel(text: string): string {
  let out = '';
  for (const ch of text) out += /[A-Za-z0-9 _.,:()+-]/.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out;
}

/** Mermaid node id of cell state `i` (ids are generated, never taken from user text). */
const stateId = (i: number) => (i === 0 ? 'in0' : i === 1 ? 'in1' : `n${i - 2}`);

/** Edge index of (node j, input i) in the DARTS edge order used by `alphas` events. */
export function edgeIndex(node: number, input: number): number {
  return node * 2 + (node * (node - 1)) / 2 + input;
}

/** Inverse of `edgeIndex`: which node and input an edge index belongs to. */
export function edgeEnds(edge: number): { node: number; input: number } {
  let node = 0;
  let first = 0;
  while (edge >= first + node + 2) {
    first += node + 2;
    node++;
  }
  return { node, input: edge - first };
}

/**
 * Name of cell state `i` in drawings and views: `c[k-2]`, `c[k-1]`, `node i-2`, and `c[k]` for the
 * output; plain text a reader needs no TeX for (the command line's text keeps `stateName`).
 */
export function stateLabel(i: number | 'out'): string {
  return i === 'out' ? 'c[k]' : i === 0 ? 'c[k-2]' : i === 1 ? 'c[k-1]' : `node ${i - 2}`;
}

/** Human name of an edge, e.g. `node 1 ← c[k-1]`. */
export function edgeName(edge: number): string {
  const { node, input } = edgeEnds(edge);
  return `node ${node} ← ${stateLabel(input)}`;
}

function header(direction: 'LR' | 'TB', title: string | undefined): string[] {
  return title ? ['---', `title: "${mermaidLabel(title)}"`, '---', `flowchart ${direction}`] : [`flowchart ${direction}`];
}

function stateDeclarations(nodes: number): string[] {
  const lines = [`  in0(["${mermaidLabel(stateLabel(0))}"])`, `  in1(["${mermaidLabel(stateLabel(1))}"])`];
  for (let j = 0; j < nodes; j++) lines.push(`  n${j}["${j}"]`);
  lines.push(`  out[["${mermaidLabel(stateLabel('out'))}"]]`);
  return lines;
}

/**
 * Mermaid flowchart of one derived cell in the DARTS drawing: left to right, inputs c[k-2] and
 * c[k-1], intermediate nodes 0..n-1, output c[k] fed by the concatenated nodes, op names on
 * the edges.
 * @param genotype DARTS-layout genotype (two `[op, input]` pairs per intermediate node).
 * @param kind which cell to draw.
 * @param title shown above the drawing, when given.
 */
export function formatCellMermaid(genotype: Genotype, kind: CellKind, title?: string): string {
  const pairs = kind === 'normal' ? genotype.normal : genotype.reduce;
  const concat = kind === 'normal' ? genotype.normal_concat : genotype.reduce_concat;
  const nodes = Math.max(Math.ceil(pairs.length / 2), ...concat.map((c) => c - 1));
  const lines = [...header('LR', title), ...stateDeclarations(nodes)];
  pairs.forEach(([op, input], i) => {
    const node = Math.floor(i / 2);
    lines.push(`  ${stateId(input)} -->|"${mermaidLabel(op)}"| n${node}`);
  });
  for (const c of concat) if (c >= 2) lines.push(`  ${stateId(c)} --> out`);
  return lines.join('\n') + '\n';
}

/**
 * Mermaid flowchart of the supernet cell: every candidate edge, each a mixed op over `ops`.
 * @param nodes intermediate nodes per cell.
 * @param ops candidate op names (only their count is drawn on edges; the list is shown beside).
 */
export function supernetCellMermaid(nodes: number, ops: readonly string[], k: number): string {
  const label = `${ops.length} ops${k > 1 ? `, 1/${k} ch` : ''}`;
  const lines = [...header('LR', undefined), ...stateDeclarations(nodes)];
  for (let j = 0; j < nodes; j++) {
    for (let i = 0; i < j + 2; i++) lines.push(`  ${stateId(i)} -->|"${mermaidLabel(label)}"| n${j}`);
  }
  for (let j = 0; j < nodes; j++) lines.push(`  n${j} -.-> out`);
  return lines.join('\n') + '\n';
}

/** What the macro drawing needs of a search space. */
export interface MacroShape {
  readonly cells: number;
  readonly reductions: readonly number[];
  readonly channels: number;
  readonly stemMultiplier: number;
  readonly nodes: number;
}

/** Channel count of each cell: doubled at every reduction cell. */
export function cellChannels(shape: MacroShape): number[] {
  const out: number[] = [];
  let c = shape.channels;
  for (let i = 0; i < shape.cells; i++) {
    if (shape.reductions.includes(i)) c *= 2;
    out.push(c);
  }
  return out;
}

/**
 * Mermaid flowchart of the whole network: stem → cells (normal / reduction, with channels) → head.
 * Dotted arrows show the c_{k-2} input each cell also takes.
 */
export function macroMermaid(shape: MacroShape, classes?: number): string {
  const ch = cellChannels(shape);
  const lines = ['flowchart LR', `  stem(["stem #183; ${shape.channels * shape.stemMultiplier} ch"])`];
  for (let i = 0; i < shape.cells; i++) {
    const red = shape.reductions.includes(i);
    lines.push(`  c${i}["cell ${i} #183; ${red ? 'reduce' : 'normal'} #183; ${ch[i]} ch"]`);
  }
  lines.push(`  head(["pool + linear${classes ? ` #8594; ${classes}` : ''}"])`);
  const ids = ['stem', ...Array.from({ length: shape.cells }, (_, i) => `c${i}`), 'head'];
  for (let i = 0; i + 1 < ids.length; i++) lines.push(`  ${ids[i]} --> ${ids[i + 1]}`);
  // c_{k-2}: cell i also reads the output of cell i-2 (the stem for cells 0 and 1).
  for (let i = 1; i < shape.cells; i++) lines.push(`  ${i === 1 ? 'stem' : `c${i - 2}`} -.-> c${i}`);
  const reds = shape.reductions.filter((r) => r < shape.cells).map((r) => `c${r}`);
  if (reds.length) lines.push('  classDef reduction stroke-width:3px', `  class ${reds.join(',')} reduction`);
  return lines.join('\n') + '\n';
}
