/**
 * `loadSearchSpace`: the examples validate clean, the model carries every default, values map to
 * the model exactly, and the lexer keeps `3x3`, `3e-4`, `-1` and names with `_`/`-` apart.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BLOCKS, DARTS_OPS, defaultReductions, defaultValue, loadSearchSpace, type SearchSpace } from '../../../runtime/dsl/index.js';
import { EXAMPLES_DIR, examples } from './helpers.js';

function load(text: string): SearchSpace {
  const r = loadSearchSpace(text);
  assert.ok(r.space, `expected a model, got ${JSON.stringify(r.diagnostics)}`);
  return r.space;
}

describe('examples', () => {
  const all = examples();
  it('has the contract examples and at least two more (custom ops, UCB, IDX, tiny)', () => {
    const names = all.map((e) => e.name);
    for (const n of ['quick.bnas', 'mnist-bnas.bnas', 'tiny.bnas', 'custom-ops.bnas', 'ucb-idx.bnas']) assert.ok(names.includes(n), n);
  });
  for (const e of all) {
    it(`${e.name} validates without errors or warnings (files checked)`, () => {
      const r = loadSearchSpace(e.text, { filePath: e.path, checkFiles: true });
      assert.deepEqual(r.diagnostics.map((d) => `${d.code}: ${d.message}`), []);
      assert.ok(r.space);
    });
  }

  it('tiny.bnas is the tiny space other parts test with', () => {
    const s = load(all.find((e) => e.name === 'tiny.bnas')!.text);
    assert.deepEqual([s.supernet.cells, s.supernet.nodes, s.ops.length, s.data.image, s.sampling.k, s.train.epochs], [2, 2, 4, 8, 2, 4]);
    assert.equal(s.data.source, 'synthetic');
  });

  it('mnist-bnas.bnas maps every written value into the model', () => {
    const s = load(all.find((e) => e.name === 'mnist-bnas.bnas')!.text);
    assert.equal(s.name, 'mnist-bnas');
    assert.deepEqual(s.data, { source: 'mnist', train: 4000, split: 0.5, test: 2000, image: 16, augment: ['crop'] });
    assert.deepEqual(s.supernet, { cells: 5, reductions: [1, 3], channels: 8, nodes: 4, stemMultiplier: 3 });
    assert.deepEqual(s.ops.at(-1), { name: 'wide_dil', kind: 'dil_conv', kernel: 3, dilation: 3, repeat: 1, builtin: false });
    assert.equal(s.ops.length, 9);
    assert.deepEqual(s.binarize, { weights: 'xnor', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'], shortcut: false });
    assert.deepEqual(s.sampling, { k: 4, shuffle: true, edgeNormalization: true });
    assert.deepEqual(s.pruning, { criterion: 'ucb', start: 2, every: 1, drop: 1, samples: 2, ucbC: 1.41, confidence: 2 });
    assert.deepEqual(s.train, { epochs: 12, batch: 32, warmup: 2, seed: 42 });
    assert.deepEqual(s.optimizers.weights, { kind: 'sgd', lr: 0.025, momentum: 0.9, weightDecay: 3e-4, betas: [0.5, 0.999], schedule: 'cosine', gradClip: 5 });
    assert.deepEqual(s.optimizers.arch, { kind: 'adam', lr: 6e-4, momentum: 0.9, weightDecay: 1e-3, betas: [0.5, 0.999], schedule: 'constant' });
    assert.deepEqual(s.regularize, { diversity: 1, tau: 7.7, dropout: 0, dropoutOps: 'skip', dropoutDecay: 0.2 });
  });

  it('resolves data.path against the file folder', () => {
    const e = all.find((x) => x.name === 'ucb-idx.bnas')!;
    const s = loadSearchSpace(e.text, { filePath: e.path }).space!;
    assert.equal(s.data.path, join(EXAMPLES_DIR, 'data', 'idx-tiny'));
  });
});

describe('defaults', () => {
  it('an empty search block gets every default of the contract', () => {
    const s = load('search "empty" {}');
    assert.equal(s.name, 'empty');
    assert.deepEqual(s.data, { source: 'synthetic', train: 2000, split: 0.5, test: 1000, augment: [] });
    assert.deepEqual(s.supernet, { cells: 5, reductions: [1, 3], channels: 8, nodes: 4, stemMultiplier: 3 });
    assert.deepEqual(s.ops.map((o) => o.name), [...DARTS_OPS]);
    assert.deepEqual(s.binarize, { weights: 'xnor', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'], shortcut: false });
    assert.deepEqual(s.sampling, { k: 4, shuffle: true, edgeNormalization: true });
    assert.deepEqual(s.pruning, { criterion: 'performance', start: 1, every: 1, drop: 1, samples: 2, ucbC: 1.41, confidence: 2 });
    assert.deepEqual(s.train, { epochs: 8, batch: 32, warmup: 2, seed: 1 });
    assert.equal(s.optimizers.weights.kind, 'sgd');
    assert.equal(s.optimizers.arch.kind, 'adam');
    assert.deepEqual(s.regularize, { diversity: 0, tau: 7.7, dropout: 0, dropoutOps: 'skip', dropoutDecay: 0.2 });
    assert.deepEqual(s.derive, { maxParamFree: 2, maxInnerEdges: 1 });
    assert.deepEqual(s.budget, { memoryMb: 3000 });
  });

  it('every default the model takes is the schema\'s own (one table of defaults: build-space repeats none)', () => {
    const s = load('search "empty" {}') as unknown as Record<string, Record<string, unknown>>;
    const camel = (n: string) => n.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    const modelBlock: Record<string, string> = { budget: 'budget', data: 'data', supernet: 'supernet', binarize: 'binarize', sampling: 'sampling', pruning: 'pruning', train: 'train', regularize: 'regularize' };
    let checked = 0;
    for (const block of BLOCKS) {
      const targets = block.kind === 'optimizer' ? (['weights', 'arch'] as const).map((n) => [n, (s.optimizers as Record<string, Record<string, unknown>>)[n]] as const) : modelBlock[block.kind] ? [[undefined, s[modelBlock[block.kind]]] as const] : [];
      for (const [name, model] of targets) {
        for (const attr of block.attributes) {
          const d = defaultValue(attr, name);
          const key = camel(attr.name);
          if (d === undefined || !(key in model)) continue;
          assert.deepEqual(model[key], d, `${block.kind}${name ? ` ${name}` : ''}.${attr.name}`);
          checked++;
        }
      }
    }
    // Most attributes with a schema default appear in the model under their camelCase names.
    assert.ok(checked >= 40, `only ${checked} defaults compared`);
  });

  it('a parameter-free cap that cannot bind (at least two edges a node) is no cap', () => {
    const free = (text: string) => load(text).derive?.maxParamFree;
    assert.equal(free('search "s" { derive { max_param_free = 7 } }'), 7);
    assert.equal(free('search "s" { derive { max_param_free = 8 } }'), undefined);
    assert.equal(free('search "s" { supernet { nodes = 2 } derive { max_param_free = 4 } }'), undefined);
    assert.equal(free('search "s" { supernet { nodes = 2 } derive { max_param_free = 3 } }'), 3);
  });

  it('derive.edges = beta reaches the model; weight, the default, is left out', () => {
    assert.deepEqual(load('search "s" { derive { edges = beta } }').derive, { maxParamFree: 2, maxInnerEdges: 1, edges: 'beta' });
    assert.deepEqual(load('search "s" { derive { edges = weight } }').derive, load('search "s" {}').derive);
  });

  it('derive.edges = removal reaches the model with its probe batches (8 by default); probe_batches must be 1 or more', () => {
    assert.deepEqual(load('search "s" { derive { edges = removal } }').derive, { maxParamFree: 2, maxInnerEdges: 1, edges: 'removal', probeBatches: 8 });
    assert.equal(load('search "s" { derive { edges = removal, probe_batches = 3 } }').derive?.probeBatches, 3);
    const codes = (text: string) => loadSearchSpace(text).diagnostics.map((d) => d.code);
    assert.deepEqual(codes('search "s" { derive { edges = removal, probe_batches = 0 } }'), ['out-of-range']);
    assert.deepEqual(codes('search "s" { derive { edges = removed } }'), ['unknown-value']);
    assert.deepEqual(codes('search "s" { derive { probe_batches = 4 } }'), ['ignored-attribute']);
    assert.deepEqual(codes('search "s" { derive { edges = beta, probe_batches = 4 } }'), ['ignored-attribute']);
  });

  it('derive.max_inner_edges reaches the model (1 by default); a cap that cannot bind is no cap', () => {
    const inner = (text: string) => load(text).derive?.maxInnerEdges;
    assert.equal(inner('search "s" {}'), 1);
    assert.equal(inner('search "s" { derive { max_inner_edges = 0 } }'), 0);
    // 4 nodes read at most 0 + 1 + 2 + 2 = 5 inner edges; 2 nodes at most 1
    assert.equal(inner('search "s" { derive { max_inner_edges = 4 } }'), 4);
    assert.equal(inner('search "s" { derive { max_inner_edges = 5 } }'), undefined);
    assert.equal(inner('search "s" { supernet { nodes = 2 } }'), undefined);
    assert.equal(inner('search "s" { supernet { nodes = 3 } }'), 1);
  });

  it('binarize.progressive reaches the model; 0 leaves it out, as without the attribute', () => {
    assert.equal(load('search "p" {\n  binarize { progressive = 3 }\n}').binarize.progressive, 3);
    assert.deepEqual(load('search "p" {\n  binarize { progressive = 0 }\n}').binarize, load('search "p" {}').binarize);
  });

  it('reductions default to ⌊L/3⌋ and ⌊2L/3⌋, distinct', () => {
    assert.deepEqual(defaultReductions(1), [0]);
    assert.deepEqual(defaultReductions(2), [0, 1]);
    assert.deepEqual(defaultReductions(8), [2, 5]);
    assert.deepEqual(load('search s { supernet { cells = 8 } }').supernet.reductions, [2, 5]);
    assert.deepEqual(load('search s { supernet { cells = 3, reductions = [] } }').supernet.reductions, []);
  });

  it('built-in ops resolve to their primitives', () => {
    const s = load('search s { ops = [none, skip_connect, dil_conv_5x5, conv_1x1] }');
    assert.deepEqual(
      s.ops.map((o) => [o.name, o.kind, o.kernel, o.dilation, o.builtin]),
      [
        ['none', 'zero', 1, 1, true],
        ['skip_connect', 'skip', 1, 1, true],
        ['dil_conv_5x5', 'dil_conv', 5, 2, true],
        ['conv_1x1', 'conv', 1, 1, true],
      ],
    );
  });

  it('custom ops get kernel 3, dilation 1, repeat 1 unless written', () => {
    const s = load('search s { ops = [a, b] op a { kind = sep_conv } op b { kind = conv, kernel = 5x5, repeat = 2 } }');
    assert.deepEqual(s.ops[0], { name: 'a', kind: 'sep_conv', kernel: 3, dilation: 1, repeat: 1, builtin: false });
    assert.deepEqual(s.ops[1], { name: 'b', kind: 'conv', kernel: 5, dilation: 1, repeat: 2, builtin: false });
  });

  it('warnings keep the model; errors drop it', () => {
    const warn = loadSearchSpace('search s { ops = [skip_connect, sep_conv_3x3] op spare { kind = conv } }');
    assert.ok(warn.space);
    assert.deepEqual(warn.diagnostics.map((d) => d.code), ['unused-op']);
    const err = loadSearchSpace('search s { train { epochs = 0 } }');
    assert.equal(err.space, undefined);
  });
});

describe('lexing and separators', () => {
  it('reads SIZE, negative and exponent numbers, and names with _ and -', () => {
    const s = load(`search my-space_1 {
      ops = [sep_conv_3x3, my-op_2]
      op my-op_2 { kind = conv, kernel = 5x5 }
      optimizer weights { weight_decay = 3e-4; lr = .05; grad_clip = 0 }
      train { seed = -1 }
    }`);
    assert.equal(s.name, 'my-space_1');
    assert.equal(s.ops[1]!.kernel, 5);
    assert.equal(s.optimizers.weights.weightDecay, 3e-4);
    assert.equal(s.optimizers.weights.lr, 0.05);
    assert.equal(s.train.seed, -1);
  });

  it('accepts #, // and /* */ comments, commas, semicolons and trailing commas', () => {
    const s = load(`# hash comment
      search s { // line comment
        /* block
           comment */ data { train = 100; test = 10, image = 8 }
        supernet { reductions = [1, 3,], }
      }`);
    assert.deepEqual([s.data.train, s.data.test, s.data.image], [100, 10, 8]);
    assert.deepEqual(s.supernet.reductions, [1, 3]);
  });

  it('`3x3` as a kernel is a size, not the number 3 followed by a name', () => {
    const r = loadSearchSpace('search s { ops = [k] op k { kind = conv, kernel = 3x3 } }');
    assert.deepEqual(r.diagnostics, []);
  });
});

describe('recovery', () => {
  it('reports later errors after a syntax error', () => {
    const r = loadSearchSpace('search s {\n  data { train = }\n  supernet { cells = 99 }\n  trian { }\n  ops = [sep_conv_9x9]\n}');
    const codes = r.diagnostics.map((d) => `${d.range.start.line}:${d.code}`);
    assert.ok(codes.includes('1:syntax-error'), codes.join());
    assert.ok(codes.includes('2:out-of-range'), codes.join());
    assert.ok(codes.includes('3:unknown-block'), codes.join());
    assert.ok(codes.includes('4:unknown-op'), codes.join());
  });

  it('keeps checking blocks after a bad character and an unterminated string', () => {
    const r = loadSearchSpace('search s {\n  data { image = 8 $ }\n  train { epochs = "abc\n  }\n  sampling { k = 0 }\n}');
    const codes = r.diagnostics.map((d) => d.code);
    assert.ok(codes.includes('unexpected-character'));
    assert.ok(codes.includes('malformed-value'));
    assert.ok(codes.includes('out-of-range'), codes.join());
  });

  it('never throws on empty or non-bnas input', () => {
    for (const text of ['', '   ', '{', 'search', 'search {', '}}}}', '\u0000\uffff', 'x'.repeat(10000)]) {
      const r = loadSearchSpace(text);
      assert.ok(r.diagnostics.length > 0, JSON.stringify(text));
      assert.equal(r.space, undefined);
    }
  });
});

describe('pathological input', () => {
  it('reports brackets nested thousands deep instead of overflowing the parser, then keeps working', () => {
    const deep = `search s {\n  ops = ${'['.repeat(20000)}\n}`;
    const r = loadSearchSpace(deep);
    const nesting = r.diagnostics.filter((d) => /nest more than 64 levels/.test(d.message));
    assert.equal(nesting.length, 1);
    assert.equal(nesting[0]!.code, 'syntax-error');
    assert.deepEqual(nesting[0]!.range.start, { line: 1, character: 8 + 63 });
    assert.ok(!r.diagnostics.some((d) => d.message.startsWith('Expected')), 'no parser noise past the spot');
    assert.equal(r.space, undefined);
    // Brackets inside strings and comments do not count.
    const quoted = `search s { # ${'{'.repeat(100)}\n data { path = "${'['.repeat(100)}" } }`;
    assert.ok(!loadSearchSpace(quoted).diagnostics.some((d) => /nest more than/.test(d.message)));
    assert.ok(loadSearchSpace('search s {}').space);
  });

  it('the language server parser is guarded too (deep nesting does not throw)', async () => {
    const { EmptyFileSystem, URI } = await import('langium');
    const { createBnasServices } = await import('../../../runtime/dsl/module.js');
    const { shared } = createBnasServices(EmptyFileSystem);
    const doc = shared.workspace.LangiumDocumentFactory.fromString(`search s { ops = ${'['.repeat(50000)} }`, URI.parse('memory:///deep.bnas'));
    shared.workspace.LangiumDocuments.addDocument(doc);
    await shared.workspace.DocumentBuilder.build([doc], { validation: true });
    assert.ok((doc.diagnostics ?? []).some((d) => /nest more than 64 levels/.test(String(d.message))));
  });
});
