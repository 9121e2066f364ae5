import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction } from 'vscode-languageserver';
import { bnas, docParams, parse } from './helpers.js';

/** Validates `text`, asks for the quick fixes of the diagnostic with `code`, returns [title, fixed text]. */
async function fixes(text: string, code: string): Promise<[string, string, boolean | undefined][]> {
  const doc = await parse(text);
  const diags = (doc.diagnostics ?? []).filter((d) => d.code === code);
  assert.equal(diags.length, 1, `expected one ${code} diagnostic, got: ${JSON.stringify(doc.diagnostics?.map((d) => d.code))}`);
  const d = diags[0]!;
  const actions = (await bnas().lsp.CodeActionProvider!.getCodeActions(doc, { ...docParams(doc), range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
  return actions.map((a) => {
    assert.equal(a.kind, 'quickfix');
    assert.deepEqual(a.diagnostics, [d]);
    const edits = a.edit!.changes![doc.textDocument.uri]!;
    return [a.title, TextDocument.applyEdits(doc.textDocument as TextDocument, edits), a.isPreferred];
  });
}

describe('quick fixes', () => {
  it('applies "did you mean" to an attribute, a value and an op name', async () => {
    assert.deepEqual(await fixes('search "s" {\n  train { ecpohs = 4 }\n}\n', 'unknown-attribute'), [
      ['Change `ecpohs` to `epochs`', 'search "s" {\n  train { epochs = 4 }\n}\n', true],
    ]);
    assert.deepEqual(await fixes('search "s" {\n  data { source = mnst }\n}\n', 'unknown-value'), [
      ['Change `mnst` to `mnist`', 'search "s" {\n  data { source = mnist }\n}\n', true],
    ]);
    assert.deepEqual(await fixes('search "s" {\n  ops = [sep_conv_3x3, skip_conect]\n}\n', 'unknown-op'), [
      ['Change `skip_conect` to `skip_connect`', 'search "s" {\n  ops = [sep_conv_3x3, skip_connect]\n}\n', true],
    ]);
  });

  it('moves an attribute into the block where it belongs', async () => {
    assert.deepEqual(await fixes('search "s" {\n  data { source = mnist, epochs = 4 }\n  train { batch = 8 }\n}\n', 'unknown-attribute'), [
      ['Move `epochs` into the `train` block', 'search "s" {\n  data { source = mnist }\n  train { batch = 8, epochs = 4 }\n}\n', true],
    ]);
    const multi = await fixes('search "s" {\n  train {\n    batch = 8\n  }\n  data {\n    epochs = 4\n  }\n}\n', 'unknown-attribute');
    assert.equal(multi[0]![1], 'search "s" {\n  train {\n    batch = 8\n    epochs = 4\n  }\n  data {\n  }\n}\n');
  });

  it('wraps a top-level attribute in its block when the block is missing', async () => {
    assert.deepEqual(await fixes('search "s" {\n  epochs = 4\n}\n', 'unknown-attribute'), [
      ['Move `epochs` into the `train` block', 'search "s" {\n  train { epochs = 4 }\n}\n', true],
    ]);
  });

  it('adds an unused op to `ops`, or writes `ops` with the defaults', async () => {
    const [title, fixed] = (await fixes('search "s" {\n  ops = [none, sep_conv_3x3]\n  op wide { kind = conv }\n}\n', 'unused-op'))[0]!;
    assert.equal(title, 'Add `wide` to `ops`');
    assert.equal(fixed, 'search "s" {\n  ops = [none, sep_conv_3x3, wide]\n  op wide { kind = conv }\n}\n');
    const [, written] = (await fixes('search "s" {\n  op wide { kind = conv }\n}\n', 'unused-op'))[0]!;
    assert.equal(
      written,
      'search "s" {\n  ops = [none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5, wide]\n  op wide { kind = conv }\n}\n',
    );
    const check = await parse(written);
    assert.deepEqual(check.diagnostics?.filter((d) => d.severity === 1), [], 'the fixed file has no errors');
  });

  it('removes a repeated op or attribute, and a name a block does not take', async () => {
    assert.equal((await fixes('search "s" {\n  ops = [none, sep_conv_3x3, none]\n}\n', 'duplicate-op'))[0]![1], 'search "s" {\n  ops = [none, sep_conv_3x3]\n}\n');
    assert.equal((await fixes('search "s" {\n  train { epochs = 4, epochs = 5 }\n}\n', 'duplicate-attribute'))[0]![1], 'search "s" {\n  train { epochs = 4 }\n}\n');
    assert.deepEqual(await fixes('search "s" {\n  data foo { }\n}\n', 'unexpected-block-name'), [['Remove `foo`', 'search "s" {\n  data { }\n}\n', true]]);
  });

  it('ignores diagnostics from other sources', async () => {
    const doc = await parse('search "s" {\n  train { ecpohs = 4 }\n}\n');
    const d = { ...doc.diagnostics![0]!, source: 'other-linter' };
    assert.deepEqual(await bnas().lsp.CodeActionProvider!.getCodeActions(doc, { ...docParams(doc), range: d.range, context: { diagnostics: [d] } }), []);
  });
});
