import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseError, type WorkspaceEdit } from 'vscode-languageserver';
import { bnas, docParams, parseAt, rng } from './helpers.js';

// Line 1: the `ops` list; line 2: the `wide` block; line 3: another block.
const SPACE = [
  'search "s" {',
  '  ops = [sep_conv_3x3, wide, none]',
  '  op wide { kind = dil_conv, dilation = 3 }',
  '  op spare { kind = conv }',
  '}',
];
const at = (line: number, marker: string): string =>
  SPACE.map((l, i) => (i === line ? l.replace(marker, marker.slice(0, 2) + '|' + marker.slice(2)) : l)).join('\n');

const WIDE_USE = rng(1, 23, 1, 27);
const WIDE_DEF = rng(2, 5, 2, 9);

describe('op navigation', () => {
  it('goes from a use in `ops` to the op block', async () => {
    const { doc, position } = await parseAt(at(1, 'wide'));
    const links = await bnas().lsp.DefinitionProvider!.getDefinition(doc, { ...docParams(doc), position });
    assert.deepEqual(links, [
      { originSelectionRange: WIDE_USE, targetUri: doc.textDocument.uri, targetRange: rng(2, 2, 2, 43), targetSelectionRange: WIDE_DEF },
    ]);
  });

  it('has no definition for a built-in op', async () => {
    const { doc, position } = await parseAt(at(1, 'sep_conv_3x3'));
    assert.equal(await bnas().lsp.DefinitionProvider!.getDefinition(doc, { ...docParams(doc), position }), undefined);
  });

  it('finds references from the definition and from a use', async () => {
    for (const textWithBar of [at(2, 'wide'), at(1, 'wide')]) {
      const { doc, position } = await parseAt(textWithBar);
      const uri = doc.textDocument.uri;
      const withDecl = await bnas().lsp.ReferencesProvider!.findReferences(doc, { ...docParams(doc), position, context: { includeDeclaration: true } });
      assert.deepEqual(withDecl, [{ uri, range: WIDE_DEF }, { uri, range: WIDE_USE }]);
      const usesOnly = await bnas().lsp.ReferencesProvider!.findReferences(doc, { ...docParams(doc), position, context: { includeDeclaration: false } });
      assert.deepEqual(usesOnly, [{ uri, range: WIDE_USE }]);
    }
  });

  it('highlights the definition as a write and the uses as reads', async () => {
    const { doc, position } = await parseAt(at(1, 'wide'));
    const hl = await bnas().lsp.DocumentHighlightProvider!.getDocumentHighlight(doc, { ...docParams(doc), position });
    assert.deepEqual(hl, [{ range: WIDE_DEF, kind: 3 }, { range: WIDE_USE, kind: 2 }]);
  });

  it('renames a custom op at its definition and every use', async () => {
    const { doc, position } = await parseAt(at(1, 'wide'));
    const rename = bnas().lsp.RenameProvider!;
    assert.deepEqual(await rename.prepareRename(doc, { ...docParams(doc), position }), WIDE_USE);
    const edit = (await rename.rename(doc, { ...docParams(doc), position, newName: 'wide_dil' })) as WorkspaceEdit;
    assert.deepEqual(edit.changes?.[doc.textDocument.uri], [
      { range: WIDE_DEF, newText: 'wide_dil' },
      { range: WIDE_USE, newText: 'wide_dil' },
    ]);
  });

  it('refuses to rename a built-in op, with a message that says what to do', async () => {
    const { doc, position } = await parseAt(at(1, 'sep_conv_3x3'));
    await assert.rejects(
      async () => bnas().lsp.RenameProvider!.prepareRename(doc, { ...docParams(doc), position }),
      (e: unknown) => e instanceof ResponseError && /`sep_conv_3x3` is a built-in op and cannot be renamed/.test(e.message) && /op my_name/.test(e.message),
    );
  });

  it('refuses new names that are invalid, built-in or taken', async () => {
    const { doc, position } = await parseAt(at(2, 'wide'));
    const rename = (newName: string) => bnas().lsp.RenameProvider!.rename(doc, { ...docParams(doc), position, newName });
    await assert.rejects(async () => rename('2wide'), /not a valid op name/);
    await assert.rejects(async () => rename('true'), /not a valid op name/);
    await assert.rejects(async () => rename('skip_connect'), /`skip_connect` is a built-in op/);
    await assert.rejects(async () => rename('spare'), /An op named `spare` already exists/);
  });

  it('refuses to rename something that is not an op', async () => {
    const { doc, position } = await parseAt(at(2, 'kind'));
    await assert.rejects(async () => bnas().lsp.RenameProvider!.prepareRename(doc, { ...docParams(doc), position }), /Only op names can be renamed/);
  });
});
