import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LspProcess, ROOT, bundleServer } from './lsp-process.js';

// The shipped form: the bundled server, spawned and spoken to over stdio.
describe('language server process (end to end)', () => {
  let server: LspProcess;
  before(async () => {
    server = LspProcess.start(await bundleServer());
  });
  after(async () => {
    await server?.stop();
  });

  it('announces the editor features in its capabilities', async () => {
    const { capabilities: c } = await server.initialize();
    assert.ok(c.completionProvider, 'completion');
    assert.deepEqual(c.completionProvider?.triggerCharacters, ['=', '[', ',', ' ', '"', '/']);
    assert.ok(c.hoverProvider, 'hover');
    assert.ok(c.documentFormattingProvider && c.documentRangeFormattingProvider, 'formatting');
    assert.deepEqual(c.documentOnTypeFormattingProvider, { firstTriggerCharacter: '}' });
    assert.ok(c.documentSymbolProvider && c.definitionProvider && c.referencesProvider && c.documentHighlightProvider);
    assert.deepEqual(c.renameProvider, { prepareProvider: true });
    assert.ok(c.codeActionProvider && c.foldingRangeProvider && c.semanticTokensProvider);
  });

  it('publishes no diagnostics for an example and precise ones for a typo', async () => {
    const example = pathToFileURL(`${ROOT}/examples/quick.bnas`).href;
    assert.deepEqual(await server.open(example, readFileSync(`${ROOT}/examples/quick.bnas`, 'utf8')), []);
    const typo = 'file:///virtual/typo.bnas';
    const diags = await server.open(typo, 'search "t" {\n  train { ecpohs = 4 }\n}\n');
    assert.equal(diags.length, 1);
    assert.equal(diags[0]!.code, 'unknown-attribute');
    assert.deepEqual(diags[0]!.range, { start: { line: 1, character: 10 }, end: { line: 1, character: 16 } });
    assert.deepEqual(diags[0]!.data, { suggestion: 'epochs' });
  });

  it('answers completion, hover and formatting requests', async () => {
    const uri = 'file:///virtual/edit.bnas';
    const text = 'search "e" {\n  sampling { k = 2 }\n  binarize { weights=xnor,  }\n}\n';
    await server.open(uri, text);
    const items = await server.completion(uri, { line: 2, character: 27 });
    assert.deepEqual(items.map((i) => i.label), ['scale', 'activations', 'keep_real', 'shortcut', 'shortcut_gain', 'progressive']);
    const hover = await server.hover(uri, { line: 1, character: 13 });
    assert.match((hover?.contents as { value: string }).value, /^\*\*sampling\.k\*\*: integer ≥ 1/);
    const edits = await server.format(uri);
    const formatted = TextDocument.applyEdits(TextDocument.create(uri, 'bnas', 1, text), edits);
    assert.equal(formatted, 'search "e" {\n  sampling { k = 2 }\n  binarize { weights = xnor }\n}\n');
  });
});
