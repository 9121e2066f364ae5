import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ResponseError, type TextEdit } from 'vscode-languageserver';
import { bnas, docParams, parse } from './helpers.js';

/** Seeded mutations: inserted punctuation and words, deletions, truncation. */
function mutations(count: number): string[] {
  let seed = 99;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const files = readdirSync('examples').filter((f) => f.endsWith('.bnas')).map((f) => readFileSync(`examples/${f}`, 'utf8'));
  const pieces = ['{', '}', '[', ']', '=', ',', '"', "'", '/*', '#', 'op', 'ops', 'x', '3x3', '-', '\n', 'search', '@'];
  const out: string[] = ['', '{', 'search', 'search "x" {', '}}}', '"unterminated'];
  for (let n = 0; out.length < count; n++) {
    let text = files[n % files.length]!;
    for (let k = 0; k <= rand(4); k++) {
      const at = rand(text.length + 1);
      const op = rand(4);
      if (op === 0) text = text.slice(0, at) + pieces[rand(pieces.length)] + text.slice(at);
      else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(12));
      else if (op === 2) text = text.slice(0, at);
      else text = text.slice(0, at) + text.slice(rand(text.length));
    }
    out.push(text);
  }
  return out;
}

describe('editor features on broken text', () => {
  it('never throw (except clear rename refusals) and keep ranges inside the document', async () => {
    const lsp = bnas().lsp;
    const texts = mutations(120);
    let seed = 7;
    for (const text of texts) {
      const doc = await parse(text);
      const p = docParams(doc);
      const lines = text.split('\n');
      const inside = (r: { start: { line: number }; end: { line: number; character: number } }): boolean =>
        r.start.line >= 0 && r.end.line < Math.max(1, lines.length) && r.end.character <= (lines[r.end.line]?.length ?? 0);
      for (let k = 0; k < 4; k++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const position = doc.textDocument.positionAt(seed % (text.length + 1));
        const items = (await lsp.CompletionProvider!.getCompletion(doc, { ...p, position }))?.items ?? [];
        for (const item of items) assert.ok(inside((item.textEdit as TextEdit).range), `completion range outside: ${JSON.stringify(text)}`);
        const hover = await lsp.HoverProvider!.getHoverContent(doc, { ...p, position });
        if (hover?.range) assert.ok(inside(hover.range));
        await lsp.DefinitionProvider!.getDefinition(doc, { ...p, position });
        await lsp.ReferencesProvider!.findReferences(doc, { ...p, position, context: { includeDeclaration: true } });
        await lsp.DocumentHighlightProvider!.getDocumentHighlight(doc, { ...p, position });
        try {
          await lsp.RenameProvider!.prepareRename(doc, { ...p, position });
        } catch (e) {
          assert.ok(e instanceof ResponseError, `rename threw ${String(e)}`);
        }
      }
      for (const s of await lsp.DocumentSymbolProvider!.getSymbols(doc, p)) assert.ok(inside(s.range));
      await lsp.SemanticTokenProvider!.semanticHighlight(doc, p);
      for (const f of await lsp.FoldingRangeProvider!.getFoldingRanges(doc, p)) assert.ok(f.startLine <= f.endLine && f.endLine < lines.length);
      const range = { start: { line: 0, character: 0 }, end: doc.textDocument.positionAt(text.length) };
      await lsp.CodeActionProvider!.getCodeActions(doc, { ...p, range, context: { diagnostics: doc.diagnostics ?? [] } });
      await lsp.Formatter!.formatDocument(doc, { ...p, options: { tabSize: 2, insertSpaces: true } });
    }
  });
});
