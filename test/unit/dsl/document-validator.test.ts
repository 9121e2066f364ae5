/**
 * The language server's validator reports exactly what `loadSearchSpace` reports (codes, ranges,
 * messages, quick-fix data), with LSP severities, and does not repeat diagnostics when Langium
 * validates again for other categories.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmptyFileSystem, URI } from 'langium';
import { createBnasServices } from '../../../runtime/dsl/module.js';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';

const TEXT = 'search s {\n  ops = [sep_conv_3x3, sep_conv_9x9]\n  op spare { kind = conv }\n  train { epochs = }\n}';

describe('document validator (language server)', () => {
  it('matches loadSearchSpace and keeps the suggestion for quick fixes', async () => {
    const { shared, Bnas } = createBnasServices(EmptyFileSystem);
    const doc = shared.workspace.LangiumDocumentFactory.fromString(TEXT, URI.parse('memory:///a.bnas'));
    shared.workspace.LangiumDocuments.addDocument(doc);
    await shared.workspace.DocumentBuilder.build([doc], { validation: true });
    const expected = loadSearchSpace(TEXT).diagnostics;
    const got = doc.diagnostics ?? [];
    assert.deepEqual(
      got.map((d) => [d.code, d.message, d.range, d.severity, d.source]),
      expected.map((d) => [d.code, d.message, d.range, { error: 1, warning: 2, info: 3 }[d.severity], 'bnas']),
    );
    const unknown = got.find((d) => d.code === 'unknown-op');
    assert.deepEqual(unknown?.data, { suggestion: 'sep_conv_3x3' });
    // Langium appends the results of later runs for other categories ('slow'): those must be empty.
    const validator = Bnas.validation.DocumentValidator;
    assert.deepEqual(await validator.validateDocument(doc, { categories: ['slow'] }), []);
    assert.equal((await validator.validateDocument(doc, { categories: ['built-in', 'fast'] })).length, expected.length);
  });
});
