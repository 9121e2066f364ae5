import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import { parseGenotypeDarts, parseGenotypeJson } from '../../../runtime/protocol/genotype-format.js';
import type { Genotype } from '../../../runtime/protocol/index.js';
import { exportFileName, exportText, pythonName } from '../../../extension/commands/export-text.js';
import { searchLine } from '../../../extension/commands/search-line.js';
import { TEMPLATES, fileNameFor, renderTemplate } from '../../../extension/commands/templates.js';

const genotype: Genotype = {
  normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['dil_conv_3x3', 2], ['sep_conv_3x3', 0]],
  normal_concat: [2, 3],
  reduce: [['max_pool_3x3', 0], ['max_pool_3x3', 1], ['skip_connect', 2], ['avg_pool_3x3', 1]],
  reduce_concat: [2, 3],
};

describe('new search space templates', () => {
  for (const t of TEMPLATES) {
    it(`${t.id} renders a space that validates without errors`, () => {
      const text = renderTemplate(t, 'my-space');
      // checkFiles off: the IDX template points at a folder the user fills in.
      const { space, diagnostics } = loadSearchSpace(text, { filePath: join(mkdtempSync(join(tmpdir(), 'tpl-')), 'x.bnas'), checkFiles: false });
      assert.deepEqual(diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
      assert.equal(space?.name, 'my-space');
    });
  }

  it('escapes quotes in names and makes safe file names', () => {
    assert.match(renderTemplate(TEMPLATES[0] as (typeof TEMPLATES)[number], 'a"b'), /search "a\\"b"/);
    assert.equal(fileNameFor(' my net! '), 'my-net.bnas');
    assert.equal(fileNameFor('***'), 'search-space.bnas');
  });
});

describe('genotype export text', () => {
  it('JSON round-trips', () => {
    assert.deepEqual(parseGenotypeJson(exportText('json', genotype, 'r', true)).genotype, genotype);
  });

  it('DARTS is a genotypes.py entry whose Genotype(...) parses back', () => {
    const text = exportText('darts', genotype, 'quick-20261125-203107', true);
    assert.match(text, /^QUICK_20261125_203107 = Genotype\(\n {4}normal=\[\n {8}\('sep_conv_3x3', 0\),\n/m);
    assert.match(text, /namedtuple\('Genotype', 'normal normal_concat reduce reduce_concat'\)/);
    const entry = text.slice(text.indexOf('QUICK_'));
    assert.deepEqual(parseGenotypeDarts(entry.slice(entry.indexOf('=') + 2)).genotype, genotype);
    assert.equal(exportFileName('darts'), 'genotype.py');
    assert.ok(!text.includes('not finished'));
    assert.match(exportText('darts', genotype, 'r', false), /current derivation, the search had not finished/);
  });

  it('Mermaid is Markdown with one flowchart per cell', () => {
    const text = exportText('mermaid', genotype, 'r', true);
    assert.equal(text.match(/```mermaid\nflowchart LR/g)?.length, 2);
    assert.match(text, /## Normal cell[\s\S]*sep_conv_3x3[\s\S]*## Reduction cell[\s\S]*avg_pool_3x3/);
  });

  it('Python names are identifiers', () => {
    assert.equal(pythonName('2026-run'), 'BNAS_2026_RUN');
    assert.equal(pythonName('mnist-bnas-1'), 'MNIST_BNAS_1');
  });
});

describe('CodeLens line', () => {
  it('finds the search header outside comments', () => {
    assert.equal(searchLine(['# search "no"', '/* search', 'search x */', '', '  search "yes" {']), 4);
    assert.equal(searchLine(['// search a', 'search b {']), 1);
    assert.equal(searchLine(['data { }']), -1);
  });
});
