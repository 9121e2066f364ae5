import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SemanticTokensDecoder } from 'langium/lsp';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import { bnas, docParams, parse, rng } from './helpers.js';

const TEXT = [
  '# comment one', //                                        0
  '# comment two', //                                        1
  'search "demo" {', //                                      2
  '  data { source = mnist, train = 400 }', //               3
  '  ops = [sep_conv_3x3, wide,', //                         4
  '         none]', //                                       5
  '  op wide { kind = dil_conv, kernel = 3x3, dilation = 3 }', // 6
  '  optimizer arch {', //                                   7
  '    lr = 6e-4', //                                        8
  '    shuffle_me = true', //                                9
  '  }', //                                                  10
  '}', //                                                    11
].join('\n');

type Brief = [string, SymbolKind, string | undefined, Brief[]?];
const brief = (s: DocumentSymbol): Brief => (s.children?.length ? [s.name, s.kind, s.detail, s.children.map(brief)] : [s.name, s.kind, s.detail]);

describe('outline, semantic tokens and folding', () => {
  it('lists search → blocks → attributes, op blocks by name', async () => {
    const doc = await parse(TEXT);
    const symbols = await bnas().lsp.DocumentSymbolProvider!.getSymbols(doc, docParams(doc));
    assert.deepEqual(symbols.map(brief), [
      [
        'demo',
        SymbolKind.Namespace,
        'search',
        [
          ['data', SymbolKind.Struct, undefined, [['source', SymbolKind.Property, 'mnist'], ['train', SymbolKind.Property, '400']]],
          ['ops', SymbolKind.Array, '[sep_conv_3x3, wide, none]'],
          ['wide', SymbolKind.Function, 'op · dil_conv', [['kind', SymbolKind.Property, 'dil_conv'], ['kernel', SymbolKind.Property, '3x3'], ['dilation', SymbolKind.Property, '3']]],
          ['optimizer arch', SymbolKind.Struct, undefined, [['lr', SymbolKind.Property, '6e-4'], ['shuffle_me', SymbolKind.Property, 'true']]],
        ],
      ],
    ]);
    const wide = symbols[0]!.children![2]!;
    assert.deepEqual(wide.range, rng(6, 2, 6, 57));
    assert.deepEqual(wide.selectionRange, rng(6, 5, 6, 9));
  });

  it('highlights with the schema: known names only, ops as functions', async () => {
    const doc = await parse(TEXT);
    const provider = bnas().lsp.SemanticTokenProvider!;
    const tokens = SemanticTokensDecoder.decode(await provider.semanticHighlight(doc, docParams(doc)), provider.tokenTypes, doc);
    const byText = new Map(tokens.map((t) => [`${t.text}@${t.offset}`, t.tokenType]));
    const typeOf = (text: string, nth = 0): string | undefined => {
      let from = -1;
      for (let i = 0; i <= nth; i++) from = TEXT.indexOf(text, from + 1);
      return byText.get(`${text}@${from}`);
    };
    assert.equal(typeOf('search'), 'keyword');
    assert.equal(typeOf('data'), 'keyword');
    assert.equal(typeOf('source'), 'property');
    assert.equal(typeOf('mnist'), 'enumMember');
    assert.equal(typeOf('400'), 'number');
    assert.equal(typeOf('sep_conv_3x3'), 'function');
    assert.equal(typeOf('wide'), 'function');
    assert.equal(typeOf('wide', 1), 'function', 'the op block name');
    assert.equal(typeOf('3x3', 1), 'number');
    assert.equal(typeOf('arch', 1), 'namespace', 'the first `arch` is inside `search`');
    assert.equal(typeOf('shuffle_me'), undefined, 'an attribute the block does not have is not coloured as one');
    const mods = tokens.filter((t) => t.text === 'sep_conv_3x3').map((t) => t.tokenModifiers);
    assert.ok(mods[0]! & provider.tokenModifiers['defaultLibrary']!, 'built-in ops carry defaultLibrary');
  });

  it('folds blocks, wrapped lists and comment runs', async () => {
    const doc = await parse(TEXT);
    const ranges = await bnas().lsp.FoldingRangeProvider!.getFoldingRanges(doc, docParams(doc));
    assert.deepEqual(
      ranges.map((r) => [r.startLine, r.endLine, r.kind]),
      [[0, 1, 'comment'], [2, 10, undefined], [4, 5, undefined], [7, 9, undefined]],
    );
  });

  it('folds while the file has syntax errors', async () => {
    const doc = await parse('search "x" {\n  data {\n    source = = mnist\n  }\n');
    const ranges = await bnas().lsp.FoldingRangeProvider!.getFoldingRanges(doc, docParams(doc));
    assert.deepEqual(ranges.map((r) => [r.startLine, r.endLine]), [[1, 2]]);
  });
});
