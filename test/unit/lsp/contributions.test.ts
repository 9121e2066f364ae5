import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import { completionItems } from '../../../runtime/dsl/lsp/completion.js';
import { cursorContext } from '../../../runtime/dsl/lsp/completion-context.js';
import { ROOT } from './lsp-process.js';

const json = (path: string): unknown => JSON.parse(readFileSync(`${ROOT}/${path}`, 'utf8'));

interface Pattern {
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  include?: string;
  captures?: Record<string, { name?: string }>;
  beginCaptures?: Record<string, { name?: string }>;
  patterns?: Pattern[];
}
interface Grammar {
  scopeName: string;
  patterns: Pattern[];
  repository: Record<string, Pattern>;
}

/**
 * A small TextMate interpreter (match, begin/end, captures, includes; leftmost match wins, ties
 * to the first pattern), enough to check what scope each word of a line gets. Returns
 * `word → innermost scope` for the words of `line` that received a scope.
 */
function scopesOf(grammar: Grammar, line: string): Map<string, string> {
  const out = new Map<string, string>();
  const resolve = (ps: Pattern[]): Pattern[] =>
    ps.flatMap((p) => (p.include ? resolve([grammar.repository[p.include.slice(1)]!]) : p.patterns && !p.begin && !p.match ? resolve(p.patterns) : [p]));
  const note = (text: string, scope: string | undefined): void => {
    if (scope && text.trim() !== '' && !out.has(text)) out.set(text, scope);
  };
  const run = (patterns: Pattern[], from: number, endRe?: RegExp): number => {
    let pos = from;
    while (pos <= line.length) {
      let best: { p?: Pattern; m: RegExpExecArray } | undefined;
      if (endRe) {
        endRe.lastIndex = pos;
        const m = endRe.exec(line);
        if (m) best = { m };
      }
      for (const p of resolve(patterns)) {
        const re = new RegExp(p.match ?? p.begin!, 'gd');
        re.lastIndex = pos;
        const m = re.exec(line);
        if (m && (!best || m.index < best.m.index)) best = { p, m };
      }
      if (!best) return line.length;
      const { p, m } = best;
      if (!p) return m.index + m[0].length; // the enclosing rule ended
      const caps = p.match ? p.captures : p.beginCaptures;
      for (const [i, c] of Object.entries(caps ?? {})) {
        const span = m.indices?.[Number(i)];
        if (span) note(line.slice(span[0], span[1]), c.name?.split(' ').pop());
      }
      note(m[0], p.name);
      pos = m.index + Math.max(1, m[0].length);
      if (p.begin) pos = run(p.patterns ?? [], m.index + m[0].length, new RegExp(p.end!, 'g'));
    }
    return pos;
  };
  run(grammar.patterns, 0);
  return out;
}

/** Replaces snippet placeholders by their default text (first choice, or empty). */
function expandSnippet(body: string): string {
  let s = body;
  for (let i = 0; i < 5; i++) {
    s = s
      .replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, '$1')
      .replace(/\$\{(?:\d+|TM_[A-Z_]+):((?:[^${}]|\\[$}])*)\}/g, '$1')
      .replace(/\$\{\d+\}|\$\d+/g, '');
  }
  return s.replace(/\\([$}\\])/g, '$1').replace(/\t/g, '  ');
}

describe('package contributions', () => {
  const pkg = json('package.json') as {
    activationEvents: string[];
    extensionKind: string[];
    capabilities: { untrustedWorkspaces: { supported: string; description: string } };
    contributes: {
      languages: { id: string; extensions: string[]; configuration: string }[];
      grammars: { language: string; scopeName: string; path: string }[];
      snippets: { language: string; path: string }[];
    };
  };

  it('declares the language, its grammar, configuration and snippets with existing files', () => {
    const lang = pkg.contributes.languages.find((l) => l.id === 'bnas')!;
    assert.deepEqual(lang.extensions, ['.bnas']);
    assert.ok(existsSync(`${ROOT}/${lang.configuration}`));
    const grammar = pkg.contributes.grammars.find((g) => g.language === 'bnas')!;
    assert.equal((json(grammar.path) as Grammar).scopeName, grammar.scopeName);
    assert.ok(existsSync(`${ROOT}/${pkg.contributes.snippets.find((s) => s.language === 'bnas')!.path}`));
  });

  it('colours ```bnas code blocks in Markdown with the same grammar', () => {
    const injection = (pkg.contributes.grammars as { scopeName: string; path: string; injectTo?: string[] }[]).find((g) => g.injectTo);
    assert.deepEqual(injection?.injectTo, ['text.html.markdown']);
    const g = json(injection!.path) as { repository: Record<string, { begin: string; patterns: { patterns: { include: string }[] }[] }> };
    const block = g.repository['bnas-code-block']!;
    const fence = new RegExp(block.begin.replace('(?i:', '(?:'));
    assert.ok(fence.test('```bnas') && fence.test('~~~bnas title') && !fence.test('```python'));
    assert.deepEqual(block.patterns[0]!.patterns, [{ include: 'source.bnas' }]);
  });

  it('activates lean, runs in the workspace, and works (limited) without trust', () => {
    assert.ok(pkg.activationEvents.includes('onLanguage:bnas'));
    assert.ok(!pkg.activationEvents.includes('*'), 'never activate on startup');
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.match(pkg.capabilities.untrustedWorkspaces.description, /trust/);
  });
});

describe('TextMate grammar', () => {
  const grammar = json('syntaxes/bnas.tmLanguage.json') as Grammar;

  it('scopes keywords, names, values, ops and comments', () => {
    const cases: [string, Record<string, string>][] = [
      ['search "quick" {', { search: 'keyword.control.search.bnas', '"quick"': 'entity.name.type.search.bnas' }],
      [
        '  data { source = fashion-mnist, train = 4000, split = 0.5 } # note',
        {
          data: 'keyword.other.block.bnas',
          source: 'variable.other.property.bnas',
          'fashion-mnist': 'constant.other.enum.bnas',
          '4000': 'constant.numeric.bnas',
          '0.5': 'constant.numeric.bnas',
          '# note': 'comment.line.number-sign.bnas',
        },
      ],
      ['  optimizer arch { lr = 6e-4, betas = [0.5, 0.999] }', { optimizer: 'keyword.other.block.bnas', arch: 'entity.name.section.bnas', '6e-4': 'constant.numeric.bnas' }],
      ['  op wide_dil { kind = dil_conv, kernel = 3x3, dilation = 3 } // c', { op: 'storage.type.op.bnas', wide_dil: 'entity.name.function.op.bnas', '3x3': 'constant.numeric.size.bnas', '// c': 'comment.line.double-slash.bnas' }],
      ['  ops = [sep_conv_3x3, wide_dil, none]', { ops: 'variable.other.property.bnas', sep_conv_3x3: 'support.function.builtin-op.bnas', wide_dil: 'entity.name.function.op.bnas' }],
      ['  sampling { shuffle = true, k = -1 } /* block */', { true: 'constant.language.boolean.bnas', '-1': 'constant.numeric.bnas', '/*': 'punctuation.definition.comment.begin.bnas' }],
    ];
    for (const [line, expected] of cases) {
      const got = scopesOf(grammar, line);
      for (const [word, scope] of Object.entries(expected)) assert.equal(got.get(word), scope, `${word} in ${line}`);
    }
  });
});

describe('language configuration', () => {
  const conf = json('language-configuration.json') as {
    wordPattern: string;
    indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
    comments: { lineComment: string; blockComment: [string, string] };
  };

  it('treats names with `-` and `_`, sizes and numbers as single words', () => {
    const words = [...'source = fashion-mnist, kernel = 3x3, lr = -6e-4, ops = [sep_conv_3x3]'.matchAll(new RegExp(conf.wordPattern, 'g'))].map((m) => m[0]);
    assert.deepEqual(words, ['source', 'fashion-mnist', 'kernel', '3x3', 'lr', '-6e-4', 'ops', 'sep_conv_3x3']);
  });

  it('indents after `{` and `[` and outdents at `}` and `]`', () => {
    const inc = new RegExp(conf.indentationRules.increaseIndentPattern);
    const dec = new RegExp(conf.indentationRules.decreaseIndentPattern);
    assert.ok(inc.test('  data {') && inc.test('  ops = [  # list') && !inc.test('  data { source = mnist }'));
    assert.ok(dec.test('  }') && dec.test(']') && !dec.test('  train = 3'));
    assert.deepEqual(conf.comments, { lineComment: '#', blockComment: ['/*', '*/'] });
  });
});

describe('snippets and completion templates produce valid code', () => {
  const snippets = json('snippets/bnas.json') as Record<string, { body: string[] }>;

  it('every snippet, expanded with its defaults, validates without errors', () => {
    for (const [name, s] of Object.entries(snippets)) {
      const body = expandSnippet(s.body.join('\n'));
      const text = body.startsWith('#') || body.startsWith('search') ? body : `search "s" {\n${body}\n}\n`;
      const errors = loadSearchSpace(text).diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], `snippet "${name}":\n${text}`);
    }
  });

  it('every block and attribute the completion inserts validates without errors', () => {
    const text = 'search "s" {\n  \n}\n';
    const ctx = cursorContext(text, text.indexOf('\n  ') + 3);
    const range = { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } };
    const items = completionItems(ctx, range, () => ({ definitions: new Map(), usages: [] }));
    assert.ok(items.length > 10);
    for (const item of items) {
      const inserted = expandSnippet((item.textEdit as { newText: string }).newText);
      const doc = `search "s" {\n  ${inserted}\n}\n`;
      const errors = loadSearchSpace(doc).diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], `completion "${item.label}":\n${doc}`);
    }
  });
});
