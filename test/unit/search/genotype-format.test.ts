import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGenotypeDarts, formatGenotypeJson, formatGenotypeMermaid, parseGenotypeDarts, parseGenotypeJson } from '../../../runtime/protocol/genotype-format.js';
import { formatCellMermaid, mermaidLabel } from '../../../runtime/protocol/mermaid.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';

// BNAS_XNOR_1 (bench/search/reference-cells/bnas-xnor-1.json).
const BNAS: Genotype = {
  normal: [['skip_connect', 1], ['dil_conv_3x3', 0], ['skip_connect', 0], ['dil_conv_5x5', 2], ['max_pool_3x3', 1], ['max_pool_3x3', 0], ['dil_conv_5x5', 4], ['sep_conv_3x3', 2]],
  normal_concat: [2, 3, 4, 5],
  reduce: [['sep_conv_3x3', 1], ['dil_conv_5x5', 0], ['skip_connect', 1], ['max_pool_3x3', 2], ['dil_conv_5x5', 0], ['avg_pool_3x3', 3], ['skip_connect', 2], ['dil_conv_3x3', 4]],
  reduce_concat: [2, 3, 4, 5],
};

test('DARTS string matches the Python Genotype layout and parses back', () => {
  const s = formatGenotypeDarts(BNAS);
  assert.ok(s.startsWith("Genotype(normal=[('skip_connect', 1), ('dil_conv_3x3', 0), "));
  assert.ok(s.includes('normal_concat=[2, 3, 4, 5], reduce=[('));
  assert.ok(s.endsWith("('dil_conv_3x3', 4)], reduce_concat=[2, 3, 4, 5])"));
  assert.deepEqual(parseGenotypeDarts(s).genotype, BNAS);
});

test('DARTS file layout: one edge per line as in genotypes.py, and it parses back', () => {
  const s = formatGenotypeDarts(BNAS, 'lines');
  const lines = s.split('\n');
  assert.equal(lines[0], 'Genotype(');
  assert.equal(lines[1], '    normal=[');
  assert.deepEqual(lines.slice(2, 10), BNAS.normal.map(([op, i]) => `        ('${op}', ${i}),`));
  assert.equal(lines[10], '    ],');
  assert.equal(lines[11], '    normal_concat=[2, 3, 4, 5],');
  assert.deepEqual(lines.slice(13, 21), BNAS.reduce.map(([op, i]) => `        ('${op}', ${i}),`));
  assert.equal(lines.at(-1), ')');
  assert.deepEqual(parseGenotypeDarts(s).genotype, BNAS);
});

test('DARTS parser accepts range() concat and reports malformed text', () => {
  const g = parseGenotypeDarts("Genotype(normal=[('a', 0), ('b', 1)], normal_concat=range(2, 3), reduce=[('c',1),('d',0)], reduce_concat=range(2, 3))");
  assert.deepEqual(g.genotype?.normal_concat, [2]);
  assert.deepEqual(g.genotype?.reduce, [['c', 1], ['d', 0]]);
  assert.match(parseGenotypeDarts('Genotype(normal=oops)').error ?? '', /expected Genotype/);
});

test('JSON export round-trips, and result.json or bare genotypes are accepted', () => {
  assert.deepEqual(parseGenotypeJson(formatGenotypeJson(BNAS)).genotype, BNAS);
  assert.deepEqual(parseGenotypeJson(JSON.stringify({ genotype: BNAS, seed: 1 })).genotype, BNAS);
  assert.match(parseGenotypeJson('{"x":1}').error ?? '', /expected a genotype/);
  assert.match(parseGenotypeJson('{').error ?? '', /not JSON/);
});

test('Mermaid cell follows the DARTS drawing: LR, inputs, nodes, output, op labels', () => {
  const m = formatCellMermaid(BNAS, 'normal');
  const lines = m.trim().split('\n');
  assert.equal(lines[0], 'flowchart LR');
  // State names are plain text (c[k-1], brackets entity-escaped), never raw TeX.
  assert.ok(lines.includes('  in0(["c#91;k-2#93;"])'));
  assert.ok(lines.includes('  in1(["c#91;k-1#93;"])'));
  assert.ok(!m.includes('_{'));
  for (let j = 0; j < 4; j++) assert.ok(lines.includes(`  n${j}["${j}"]`));
  assert.ok(lines.includes('  out[["c#91;k#93;"]]'));
  // first pair: node 0 takes skip_connect from c_{k-1} and dil_conv_3x3 from c_{k-2}
  assert.ok(lines.includes('  in1 -->|"skip_connect"| n0'));
  assert.ok(lines.includes('  in0 -->|"dil_conv_3x3"| n0'));
  // node 3 takes dil_conv_5x5 from node 2 (state 4)
  assert.ok(lines.includes('  n2 -->|"dil_conv_5x5"| n3'));
  assert.equal(lines.filter((l) => l.endsWith('--> out')).length, 4);
  assert.equal(lines.filter((l) => l.includes('-->|')).length, 8);
});

test('the Mermaid export is the drawing: both cells, each exactly as the run view draws it', () => {
  const both = formatGenotypeMermaid(BNAS);
  assert.ok(both.includes(formatCellMermaid(BNAS, 'normal')));
  assert.ok(both.includes(formatCellMermaid(BNAS, 'reduce')));
});

test('Mermaid labels are escaped for odd op names', () => {
  assert.equal(mermaidLabel('a"b|c<d>'), 'a#34;b#124;c#60;d#62;');
  const g: Genotype = { normal: [['my"op|x', 0], ['b', 1]], normal_concat: [2], reduce: [['b', 0], ['b', 1]], reduce_concat: [2] };
  const m = formatCellMermaid(g, 'normal', 'cell "1" x');
  assert.ok(m.includes('in0 -->|"my#34;op#124;x"| n0'));
  assert.ok(m.includes('title: "cell #34;1#34; x"'));
  assert.ok(!/-->\|"[^"]*"[^|]*"\|/.test(m));
});
