import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from 'vscode-languageserver';
import { formatBnasText } from '../../../runtime/dsl/lsp/format-text.js';
import { bnas, docParams, parse } from './helpers.js';

const OPTIONS = { tabSize: 2, insertSpaces: true };

/** Formats through the language server's formatter and applies the edits. */
async function format(text: string, options = OPTIONS): Promise<string> {
  const doc = await parse(text);
  const edits: TextEdit[] = await bnas().lsp.Formatter!.formatDocument(doc, { ...docParams(doc), options });
  return TextDocument.applyEdits(doc.textDocument as TextDocument, edits);
}

const examples = readdirSync('examples').filter((f) => f.endsWith('.bnas'));

describe('formatting', () => {
  it('lays out blocks, attributes and lists canonically and keeps every comment', async () => {
    const messy = [
      '# header',
      '',
      '',
      'search   "s"{',
      '      data{ source=mnist ,train = 4000; }   # inline',
      '  supernet {',
      '  cells=5,channels = 8',
      '',
      '',
      '      nodes = 4 // four nodes',
      '  }',
      '/* own line */',
      '  ops = [ sep_conv_3x3,none ,',
      '  skip_connect ]',
      '  binarize {',
      '    keep_real = [',
      '   stem,',
      '        classifier,',
      '    ]',
      '  }',
      '}',
    ].join('\n');
    const expected = [
      '# header',
      '',
      'search "s" {',
      '  data { source = mnist, train = 4000 }   # inline',
      '  supernet {',
      '    cells = 5',
      '    channels = 8',
      '',
      '    nodes = 4 // four nodes',
      '  }',
      '  /* own line */',
      '  ops = [sep_conv_3x3, none,',
      '         skip_connect]',
      '  binarize {',
      '    keep_real = [',
      '      stem,',
      '      classifier,',
      '    ]',
      '  }',
      '}',
      '',
    ].join('\n');
    assert.equal(await format(messy), expected);
    assert.equal(await format(expected), expected, 'the result is a fixed point');
  });

  it('is idempotent on every example and keeps their comments', async () => {
    for (const file of examples) {
      const text = readFileSync(`examples/${file}`, 'utf8');
      const once = await format(text);
      assert.equal(await format(once), once, `${file}: formatting twice changes the text`);
      const comments = (s: string) => s.match(/#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? [];
      assert.deepEqual(comments(once), comments(text), `${file}: comments changed`);
    }
  });

  it('honours tabs and the indentation width', async () => {
    const text = 'search "s" {\ntrain {\nepochs = 4\n}\n}\n';
    assert.equal(await format(text, { tabSize: 4, insertSpaces: false }), 'search "s" {\n\ttrain {\n\t\tepochs = 4\n\t}\n}\n');
    assert.equal(await format(text, { tabSize: 4, insertSpaces: true }), 'search "s" {\n    train {\n        epochs = 4\n    }\n}\n');
  });

  it('returns minimal edits that touch only whitespace and separators', async () => {
    const doc = await parse('search "s" {\n  train { epochs=4 }\n}\n');
    const edits = await bnas().lsp.Formatter!.formatDocument(doc, { ...docParams(doc), options: OPTIONS });
    assert.deepEqual(edits, [
      { range: { start: { line: 1, character: 16 }, end: { line: 1, character: 16 } }, newText: ' ' },
      { range: { start: { line: 1, character: 17 }, end: { line: 1, character: 17 } }, newText: ' ' },
    ]);
  });

  it('formats only the requested range', async () => {
    const doc = await parse('search "s" {\n  data { train=4 }\n  train { epochs=4 }\n}\n');
    const edits = await bnas().lsp.Formatter!.formatDocumentRange(doc, {
      ...docParams(doc),
      options: OPTIONS,
      range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } },
    });
    assert.deepEqual(edits.map((e) => e.range.start.line), [2, 2]);
  });

  it('leaves a document with syntax errors alone', async () => {
    assert.equal(await format('search "s" {\n  data { train = = 4 }\n    train { }\n}\n'), 'search "s" {\n  data { train = = 4 }\n    train { }\n}\n');
  });

  it('keeps CRLF line ends', () => {
    assert.equal(formatBnasText('search "s" {\r\ntrain { epochs = 4 }\r\n}', { indent: '  ' })?.text, 'search "s" {\r\n  train { epochs = 4 }\r\n}\r\n');
  });
});

describe('formatting robustness', () => {
  it('never throws on mutated examples, and whatever it formats is a fixed point', () => {
    // Seeded LCG: the same mutations on every run.
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = [' ', '\n', '\n\n', ',', ';', '{', '}', '[', ']', '=', '# c\n', '/* c */', 'x', '3x3', '"s"'];
    let formatted = 0;
    for (let n = 0; n < 600; n++) {
      const base = readFileSync(`examples/${examples[n % examples.length]}`, 'utf8');
      let text = base;
      for (let k = 0; k <= rand(3); k++) {
        const at = rand(text.length + 1);
        const op = rand(3);
        if (op === 0) text = text.slice(0, at) + pieces[rand(pieces.length)] + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(5));
        else text = text.slice(0, at) + text.slice(at).replace(/[ \t]+/, () => ' '.repeat(rand(4)));
      }
      const once = formatBnasText(text, { indent: '  ' });
      if (!once) continue;
      formatted++;
      assert.equal(formatBnasText(once.text, { indent: '  ' })?.text, once.text, `not a fixed point for mutation ${n}:\n${text}`);
    }
    assert.ok(formatted > 100, `only ${formatted} of 600 mutations were formattable`);
  });
});

describe('formatting on type', () => {
  it('re-indents the line of the `}` just typed, and nothing else', async () => {
    const doc = await parse('search "s" {\n  train {\n    epochs=4\n      }\n}\n');
    const edits = await bnas().lsp.Formatter!.formatDocumentOnType(doc, {
      ...docParams(doc),
      options: OPTIONS,
      position: { line: 3, character: 7 },
      ch: '}',
    });
    assert.equal(TextDocument.applyEdits(doc.textDocument as TextDocument, edits), 'search "s" {\n  train {\n    epochs=4\n  }\n}\n');
  });
});
