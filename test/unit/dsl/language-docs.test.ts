/**
 * `docs/language.md` is generated from the schema: the committed file must equal the generator's
 * output (run `npm run docs` after changing the schema), and it must mention every block,
 * attribute, built-in op and diagnostic code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BLOCKS, BUILTIN_OPS, DIAGNOSTIC_CODES } from '../../../runtime/dsl/index.js';
import { LANGUAGE_DOCS_PATH, renderLanguageDocs } from '../../../scripts/gen-language-docs.js';

describe('docs/language.md', () => {
  const rendered = renderLanguageDocs();

  it('is up to date with the schema (run `npm run docs`)', () => {
    assert.equal(readFileSync(LANGUAGE_DOCS_PATH, 'utf8'), rendered);
  });

  it('documents every block, attribute, built-in op and diagnostic code', () => {
    for (const b of BLOCKS) {
      assert.ok(rendered.includes(`### \`${b.kind}`), b.kind);
      for (const a of b.attributes) assert.ok(rendered.includes(`| \`${a.name}\` |`), `${b.kind}.${a.name}`);
    }
    for (const op of BUILTIN_OPS) assert.ok(rendered.includes(`| \`${op}\` |`), op);
    for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.ok(rendered.includes(`| \`${code}\` |`), code);
  });
});
