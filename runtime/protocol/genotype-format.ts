/**
 * Text formats of a genotype: JSON, the DARTS Python `Genotype(...)` string, and both cells as
 * Mermaid (drawn by mermaid.ts). Pure string code (no TensorFlow.js), so the extension and the
 * webview can import it as well as the command line.
 */
import { isGenotype, type Genotype, type GenotypeEdge } from './genotype.js';
import { formatCellMermaid } from './mermaid.js';

/** Pretty JSON of a genotype (the `bnas export --format json` output). */
export function formatGenotypeJson(g: Genotype): string {
  const edges = (list: readonly GenotypeEdge[]) => '[' + list.map(([op, i]) => JSON.stringify([op, i])).join(', ') + ']';
  return [
    '{',
    `  "normal": ${edges(g.normal)},`,
    `  "normal_concat": ${JSON.stringify(g.normal_concat)},`,
    `  "reduce": ${edges(g.reduce)},`,
    `  "reduce_concat": ${JSON.stringify(g.reduce_concat)}`,
    '}',
  ].join('\n');
}

/** A Python single-quoted string literal (op names are identifiers, but stay safe for any text). */
function pyString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
}

/**
 * The DARTS-family `Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])`
 * string that DARTS, PC-DARTS and BNAS training code accept (`genotypes.py`): on one line (a
 * summary), or as a file entry with one edge per line, as DARTS' `genotypes.py` writes its longer
 * genotypes.
 */
export function formatGenotypeDarts(g: Genotype, layout: 'line' | 'lines' = 'line'): string {
  const edge = ([op, i]: GenotypeEdge) => `(${pyString(op)}, ${i})`;
  const ints = (list: readonly number[]) => '[' + list.join(', ') + ']';
  if (layout === 'line') {
    const edges = (list: readonly GenotypeEdge[]) => '[' + list.map(edge).join(', ') + ']';
    return `Genotype(normal=${edges(g.normal)}, normal_concat=${ints(g.normal_concat)}, reduce=${edges(g.reduce)}, reduce_concat=${ints(g.reduce_concat)})`;
  }
  const edges = (list: readonly GenotypeEdge[]) => ['[', ...list.map((e) => `        ${edge(e)},`), '    ]'].join('\n');
  return [
    'Genotype(',
    `    normal=${edges(g.normal)},`,
    `    normal_concat=${ints(g.normal_concat)},`,
    `    reduce=${edges(g.reduce)},`,
    `    reduce_concat=${ints(g.reduce_concat)},`,
    ')',
  ].join('\n');
}

/**
 * Parses a DARTS `Genotype(...)` string (as printed by DARTS code or {@link formatGenotypeDarts});
 * `range(a, b)` is accepted for the concat lists.
 * @returns the genotype, or an error message saying what was expected.
 */
export function parseGenotypeDarts(text: string): { genotype?: Genotype; error?: string } {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`\\b${name}\\s*=\\s*(\\[[^\\]]*\\]|range\\s*\\(\\s*\\d+\\s*,\\s*\\d+\\s*\\))`).exec(text);
    return m?.[1];
  };
  const edges = (src: string | undefined): GenotypeEdge[] | undefined => {
    if (src === undefined || !src.startsWith('[')) return undefined;
    const out: GenotypeEdge[] = [];
    const re = /\(\s*(['"])((?:\\.|(?!\1).)*)\1\s*,\s*(\d+)\s*\)/g;
    for (let m = re.exec(src); m; m = re.exec(src)) out.push([m[2].replace(/\\(.)/g, '$1'), Number(m[3])]);
    return out;
  };
  const ints = (src: string | undefined): number[] | undefined => {
    if (src === undefined) return undefined;
    const r = /^range\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(src);
    if (r) return Array.from({ length: Math.max(0, Number(r[2]) - Number(r[1])) }, (_, i) => Number(r[1]) + i);
    const inner = src.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((s) => Number(s.trim()));
  };
  const g = {
    normal: edges(field('normal')),
    normal_concat: ints(field('normal_concat')),
    reduce: edges(field('reduce')),
    reduce_concat: ints(field('reduce_concat')),
  };
  if (!isGenotype(g)) {
    return { error: "expected Genotype(normal=[('op', input), ...], normal_concat=[...], reduce=[...], reduce_concat=[...])" };
  }
  return { genotype: g };
}

/** Both cells as Mermaid texts (the `bnas export --format mermaid` output puts them one after the other). */
export function formatGenotypeMermaid(g: Genotype): string {
  return `%% normal cell\n${formatCellMermaid(g, 'normal')}\n%% reduction cell\n${formatCellMermaid(g, 'reduce')}`;
}

/**
 * Reads a genotype from JSON text: a bare genotype, a `result.json` (`{genotype: ...}`), or an
 * event carrying one.
 */
export function parseGenotypeJson(text: string): { genotype?: Genotype; error?: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  const cand = isGenotype(v) ? v : (v as { genotype?: unknown } | null)?.genotype;
  if (isGenotype(cand)) return { genotype: cand };
  return { error: 'expected a genotype {"normal": [[op, input], ...], "normal_concat": [...], "reduce": [...], "reduce_concat": [...]} or a result.json holding one' };
}
