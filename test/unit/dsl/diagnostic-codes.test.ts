/**
 * Every diagnostic code has a case here that asserts its range (the `⟦…⟧` text), its severity
 * and the parts of its message that say what is wrong and what is allowed. A final test fails
 * when a code is added to the registry without a case.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DIAGNOSTIC_CODES, analyzeParseResult, loadSearchSpace, type DiagnosticCode, type LoadOptions } from '../../../runtime/dsl/index.js';
import { marked } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'bnas-dsl-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
mkdirSync(join(tmp, 'empty-folder'));
writeFileSync(join(tmp, 'a-file.txt'), 'not a folder');

interface Case {
  readonly code: DiagnosticCode;
  readonly name: string;
  /** File text with the expected range marked `⟦…⟧`. */
  readonly text: string;
  /** Fragments the message must contain. */
  readonly says: readonly string[];
  readonly suggestion?: string;
  readonly options?: LoadOptions;
}

const CASES: Case[] = [
  { code: 'syntax-error', name: 'missing value', text: 'search s {\n  train { epochs = ⟦}⟧\n}', says: ['Expected a value', 'found `}`'] },
  { code: 'syntax-error', name: 'missing closing brace', text: 'search s {\n  train { epochs = 3 }⟦⟧', says: ['Expected `}`', 'end of the file'] },
  { code: 'syntax-error', name: 'misspelt search keyword', text: '⟦serch⟧ s {}', says: ['starts with `search NAME {`', '`serch`'], suggestion: 'search' },
  { code: 'syntax-error', name: 'second search block', text: 'search a {}\n⟦search⟧ b {}', says: ['exactly one `search NAME { ... }` block'] },
  { code: 'syntax-error', name: 'attribute without =', text: 'search s {\n  train { ⟦epochs⟧ 3 }\n}', says: ['`epochs` must be followed by `=`', '`epochs = value`', '`epochs { … }`'] },
  { code: 'syntax-error', name: 'list items without comma', text: 'search s {\n  ops = [skip_connect ⟦none⟧]\n}', says: ['Expected `,` between list items or `]`', 'found `none`'] },
  { code: 'syntax-error', name: 'missing search name', text: 'search ⟦{⟧\n}', says: ['Expected a name or a string', 'found `{`'] },
  { code: 'unexpected-character', name: 'stray @', text: 'search s {\n  train { epochs = 3 ⟦@⟧ }\n}', says: ['Unexpected character `@`', 'names start with a letter'] },
  { code: 'malformed-value', name: 'size with three parts', text: 'search s {\n  op big { kind = conv, kernel = ⟦3x3x3⟧ }\n  ops = [big]\n}', says: ['`3x3x3` is not a value', 'a size (`3x3`)'] },
  { code: 'malformed-value', name: 'unterminated string', text: 'search s {\n  data { source = idx, path = ⟦"data⟧\n  }\n}', says: ['no closing `"`'], suggestion: '"data"' },
  { code: 'unknown-block', name: 'misspelt block', text: 'search s {\n  ⟦trian⟧ { epochs = 3 }\n}', says: ['Unknown block `trian`', '`train`', 'Did you mean `train`?'], suggestion: 'train' },
  { code: 'unknown-block', name: 'nested block', text: 'search s {\n  train { ⟦data⟧ { } }\n}', says: ['cannot be nested inside `train`', 'top level'] },
  { code: 'unknown-block', name: 'attribute written as a block', text: 'search s {\n  ⟦ops⟧ { }\n}', says: ['`ops` is an attribute', '`ops = [ … ]`'] },
  { code: 'missing-block-name', name: 'optimizer without name', text: 'search s {\n  ⟦optimizer⟧ { lr = 0.1 }\n}', says: ['needs a name', '`optimizer weights { … }` or `optimizer arch { … }`'] },
  { code: 'missing-block-name', name: 'op without name', text: 'search s {\n  ⟦op⟧ { kind = conv }\n}', says: ['`op NAME { … }`'] },
  { code: 'unexpected-block-name', name: 'named data block', text: 'search s {\n  data ⟦extra⟧ { }\n}', says: ['`data` blocks take no name', '`data { … }`'], suggestion: '' },
  { code: 'unknown-block-name', name: 'optimizer model', text: 'search s {\n  optimizer ⟦archh⟧ { }\n}', says: ['`optimizer archh` is not a known block', '`optimizer weights` or `optimizer arch`', 'Did you mean `arch`?'], suggestion: 'arch' },
  { code: 'duplicate-block', name: 'two train blocks', text: 'search s {\n  train { epochs = 3 }\n  ⟦train⟧ { batch = 8 }\n}', says: ['`train` appears twice', 'first on line 2', 'merge'] },
  { code: 'duplicate-block', name: 'two ops with one name', text: 'search s {\n  ops = [a]\n  op a { kind = conv }\n  op ⟦a⟧ { kind = skip }\n}', says: ['`op a` is defined twice', 'first on line 3'] },
  { code: 'unknown-attribute', name: 'misspelt attribute', text: 'search s {\n  supernet { ⟦chanels⟧ = 8 }\n}', says: ['Unknown attribute `chanels` in `supernet`', '`channels`', 'Did you mean `channels`?'], suggestion: 'channels' },
  { code: 'unknown-attribute', name: 'attribute of another block', text: 'search s {\n  data { ⟦epochs⟧ = 3 }\n}', says: ['not an attribute in `data`', 'belongs in the `train` block'] },
  { code: 'unknown-attribute', name: 'top-level attribute inside a block', text: 'search s {\n  supernet { ⟦ops⟧ = [none] }\n}', says: ['not an attribute in `supernet`', 'top level of `search`'] },
  { code: 'duplicate-attribute', name: 'epochs twice', text: 'search s {\n  train { epochs = 3,\n    ⟦epochs⟧ = 4 }\n}', says: ['`train.epochs` is set twice', 'first on line 2'] },
  { code: 'missing-attribute', name: 'op without kind', text: 'search s {\n  ops = [mine]\n  op ⟦mine⟧ { kernel = 3 }\n}', says: ['needs a `kind`', 'sep_conv', 'zero'] },
  { code: 'missing-attribute', name: 'idx without path', text: 'search s {\n  data { source = ⟦idx⟧ }\n}', says: ['`source = idx` reads files', 'set `path = "folder"`'] },
  { code: 'wrong-type', name: 'name for an integer', text: 'search s {\n  train { epochs = ⟦many⟧ }\n}', says: ['`train.epochs` must be an integer ≥ 1', 'the name `many`'] },
  { code: 'wrong-type', name: 'fraction for an integer', text: 'search s {\n  supernet { nodes = ⟦2.5⟧ }\n}', says: ['must be an integer 1..8', 'fraction `2.5`'], suggestion: '3' },
  { code: 'wrong-type', name: 'quoted enum', text: 'search s {\n  data { source = ⟦"mnist"⟧ }\n}', says: ['takes a name without quotes', 'write `mnist`'], suggestion: 'mnist' },
  { code: 'wrong-type', name: 'scalar for a list', text: 'search s {\n  data { augment = ⟦crop⟧ }\n}', says: ['must be a list of crop, flip in brackets'], suggestion: '[crop]' },
  { code: 'wrong-type', name: 'name for a boolean', text: 'search s {\n  sampling { shuffle = ⟦yes⟧ }\n}', says: ['must be `true` or `false`'] },
  { code: 'wrong-type', name: 'betas of the wrong length', text: 'search s {\n  optimizer arch { betas = ⟦[0.5]⟧ }\n}', says: ['`optimizer arch.betas` must be a list of exactly 2 values', 'it has 1'] },
  { code: 'wrong-type', name: 'number in ops', text: 'search s {\n  ops = [skip_connect, ⟦3⟧]\n}', says: ['`ops` holds op names'] },
  { code: 'out-of-range', name: 'too many cells', text: 'search s {\n  supernet { cells = ⟦40⟧ }\n}', says: ['`supernet.cells = 40` is out of range', 'integer 1..32'] },
  { code: 'out-of-range', name: 'split not a fraction', text: 'search s {\n  data { split = ⟦1⟧ }\n}', says: ['`data.split = 1` is out of range', '0 < x < 1'] },
  { code: 'unknown-value', name: 'misspelt source', text: 'search s {\n  data { source = ⟦mnits⟧ }\n}', says: ['`mnits` is not a valid `data.source`', '`synthetic`, `mnist`, `fashion-mnist`, `idx`, `cifar10`', 'Did you mean `mnist`?'], suggestion: 'mnist' },
  { code: 'duplicate-value', name: 'augment twice', text: 'search s {\n  data { augment = [crop, ⟦crop⟧] }\n}', says: ['`crop` is listed twice in `data.augment`'] },
  { code: 'unknown-op', name: 'misspelt op', text: 'search s {\n  ops = [sep_conv_3x3, ⟦sep_conv_9x9⟧]\n}', says: ['Unknown op `sep_conv_9x9`', 'built-in op', '`op sep_conv_9x9 { kind = … }`', 'Did you mean `sep_conv_3x3`?'], suggestion: 'sep_conv_3x3' },
  { code: 'duplicate-op', name: 'op twice', text: 'search s {\n  ops = [skip_connect, sep_conv_3x3, ⟦skip_connect⟧]\n}', says: ['`skip_connect` is listed twice in `ops`', 'position 1'] },
  { code: 'op-redefines-builtin', name: 'custom op named like a built-in', text: 'search s {\n  op ⟦skip_connect⟧ { kind = skip }\n}', says: ['`skip_connect` is a built-in op', 'another name'], suggestion: 'my_skip_connect' },
  { code: 'unused-op', name: 'op block not in ops', text: 'search s {\n  ops = [skip_connect, sep_conv_3x3]\n  op ⟦wide⟧ { kind = dil_conv }\n}', says: ['Op `wide` is never used', 'add it to `ops`'] },
  { code: 'empty-ops', name: 'empty ops', text: 'search s {\n  ops = ⟦[]⟧\n}', says: ['`ops` is empty', 'other than `none`'] },
  { code: 'empty-ops', name: 'only none', text: 'search s {\n  ops = ⟦[none]⟧\n}', says: ['holds only `none`'] },
  { code: 'reduction-out-of-range', name: 'index past the last cell', text: 'search s {\n  supernet { cells = 3, reductions = [1, ⟦3⟧] }\n}', says: ['Reduction index 3 is outside the cells', 'indices run 0..2'] },
  { code: 'reduction-out-of-range', name: 'negative index', text: 'search s {\n  supernet { cells = 3, reductions = [⟦-1⟧] }\n}', says: ['Reduction index -1 is outside the cells', 'indices run 0..2'] },
  { code: 'duplicate-reduction', name: 'index twice', text: 'search s {\n  supernet { cells = 4, reductions = [1, ⟦1⟧] }\n}', says: ['Cell 1 is listed twice in `reductions`'] },
  { code: 'k-not-divisor', name: 'k does not divide channels', text: 'search s {\n  supernet { channels = 6 }\n  sampling { k = ⟦4⟧ }\n}', says: ['`sampling.k = 4` does not divide the 6 channels of cell 0', '1, 2, 3, 6'] },
  { code: 'even-kernel', name: 'even kernel', text: 'search s {\n  ops = [big]\n  op big { kind = conv, kernel = ⟦4x4⟧ }\n}', says: ['`op big.kernel = 4x4` is even', 'must be odd'], suggestion: '5x5' },
  { code: 'non-square-kernel', name: 'rectangular kernel', text: 'search s {\n  ops = [big]\n  op big { kind = conv, kernel = ⟦3x5⟧ }\n}', says: ['`op big.kernel = 3x5` is not square', '`3x3`'], suggestion: '3x3' },
  { code: 'warmup-too-long', name: 'warmup not before epochs', text: 'search s {\n  train { epochs = 3, warmup = ⟦3⟧ }\n}', says: ['`train.warmup = 3` must be less than `train.epochs = 3`', 'allowed warmup 0..2'] },
  { code: 'pruning-start-too-late', name: 'pruning starts after the end', text: 'search s {\n  train { epochs = 4, warmup = 1 }\n  pruning { start = ⟦4⟧ }\n}', says: ['`pruning.start = 4` must be less than `train.epochs = 4`', 'allowed start 0..3'] },
  {
    code: 'pruning-incomplete',
    name: 'too few rounds',
    text: 'search s {\n  ops = [sep_conv_3x3, skip_connect, max_pool_3x3, none]\n  pruning { criterion = ⟦alpha⟧, start = 2, every = 2 }\n  train { epochs = 6, warmup = 1 }\n}',
    says: ['4 ops with `drop = 1` need 3 rounds', 'allow 2'],
  },
  { code: 'path-not-found', name: 'missing folder', text: 'search s {\n  data { source = idx, path = ⟦"no-such-folder"⟧ }\n}', says: ['must be an existing folder', 'does not exist', 'An IDX folder holds train-images-idx3-ubyte', 'make-idx-tiny.mjs', '`source = synthetic`'], options: { filePath: join(tmp, 'x.bnas'), checkFiles: true } },
  { code: 'path-not-found', name: 'a file, not a folder', text: 'search s {\n  data { source = idx, path = ⟦"a-file.txt"⟧ }\n}', says: ['is not a folder'], options: { filePath: join(tmp, 'x.bnas'), checkFiles: true } },
  { code: 'data-files-missing', name: 'empty IDX folder', text: 'search s {\n  data { source = idx, path = ⟦"empty-folder"⟧ }\n}', says: ['lacks files `source = idx` needs', 'train-images-idx3-ubyte', 'node make-idx-tiny.mjs'], options: { filePath: join(tmp, 'x.bnas'), checkFiles: true } },
  { code: 'ignored-attribute', name: 'ucb_c without ucb', text: 'search s {\n  pruning { criterion = alpha, ⟦ucb_c⟧ = 2 }\n}', says: ['`pruning.ucb_c` has no effect with `criterion = alpha`'] },
  { code: 'ignored-attribute', name: 'momentum with adam', text: 'search s {\n  optimizer arch { kind = adam, ⟦momentum⟧ = 0.8 }\n}', says: ['`momentum` has no effect with `kind = adam`'] },
  { code: 'ignored-attribute', name: 'path with synthetic data', text: 'search s {\n  data { source = synthetic, ⟦path⟧ = "x" }\n}', says: ['`data.path` has no effect with `source = synthetic`'] },
  { code: 'guide-too-short', name: 'parent epochs within the warm-up', text: 'search s {\n  train { epochs = 4, warmup = 2 }\n  guide { parent = real, epochs = ⟦2⟧ }\n}', says: ['`guide.epochs = 2` must be more than `train.warmup = 2`', 'epochs ≥ 3'] },
  { code: 'ignored-attribute', name: 'guide weight without a parent', text: 'search s {\n  guide { ⟦weight⟧ = 2 }\n}', says: ['`guide.weight` has no effect without `parent = real`'] },
  { code: 'ignored-attribute', name: 'shortcut_gain without shortcut', text: 'search s {\n  binarize { ⟦shortcut_gain⟧ = 0 }\n}', says: ['`binarize.shortcut_gain` has no effect without `shortcut = true`'] },
  { code: 'ignored-attribute', name: 'progressive in a full-precision search', text: 'search s {\n  binarize { weights = none, activations = real, ⟦progressive⟧ = 2 }\n}', says: ['`binarize.progressive` has no effect with `weights = none` and `activations = real`'] },
  { code: 'out-of-range', name: 'negative progressive epochs', text: 'search s {\n  binarize { progressive = ⟦-1⟧ }\n}', says: ['`binarize.progressive = -1` is out of range', 'integer ≥ 0'] },
  { code: 'binarization-incomplete', name: 'progressive past the last epoch', text: 'search s {\n  train { epochs = 4 }\n  binarize { progressive = ⟦6⟧ }\n}', says: ['`binarize.progressive = 6` is longer than `train.epochs = 4`', 'λ = 0.67', 'at most 4'] },
  { code: 'not-binary', name: 'full precision search', text: 'search s {\n  binarize { weights = ⟦none⟧, activations = real }\n}', says: ['the search is full precision, not binary', '`weights = xnor`'] },
  { code: 'image-too-small', name: 'too many reductions', text: 'search s {\n  data { image = ⟦4⟧ }\n  supernet { cells = 4, reductions = [0, 1, 2], channels = 8 }\n  train { batch = 8 }\n}', says: ['4×4 are too small for 3 reduction cells', '`image` ≥ 8'] },
  { code: 'too-many-images', name: 'more CIFAR-10 test images than exist', text: 'search s {\n  data { source = cifar10, path = "x", test = ⟦20000⟧ }\n}', says: ['`data.test = 20000` asks for more images than `cifar10` has', 'at most 10000'] },
  { code: 'batch-too-large', name: 'batch above the split', text: 'search s {\n  data { train = 100, split = 0.5 }\n  train { batch = ⟦64⟧ }\n}', says: ['`train.batch = 64` is larger than the weight split (50 of 100 images', 'batch ≤ 50'] },
  { code: 'pruning-costs-more', name: 'UCB on 256 images', text: 'search s {\n  data { train = 256 }\n  pruning { criterion = ⟦ucb⟧ }\n}', says: ['Pruning will not make this search cheaper', 'candidate sub-networks', 'with 4 steps an epoch', 'more arithmetic than without pruning', 'raise `data.train`'] },
  { code: 'pruning-costs-more', name: 'default criterion on 128 images', text: 'search ⟦s⟧ {\n  data { train = 128 }\n}', says: ['the first round runs 226 supernet forward passes', 'on each of 2 batches', 'with 2 steps an epoch'] },
  { code: 'memory-over-budget', name: 'estimate above budget', text: 'search s {\n  data { source = cifar10, path = "x" }\n  supernet { channels = 16, cells = 8 }\n  train { batch = 96 }\n  budget { memory_mb = ⟦100⟧ }\n}', says: ['The supernet needs about', 'over `budget.memory_mb = 100`', 'raise `sampling.k`'] },
];

describe('diagnostic codes', () => {
  for (const c of CASES) {
    it(`${c.code}: ${c.name}`, () => {
      const { text, range } = marked(c.text);
      const { diagnostics, space } = loadSearchSpace(text, c.options);
      const hits = diagnostics.filter((d) => d.code === c.code);
      assert.ok(hits.length > 0, `no ${c.code} in ${JSON.stringify(diagnostics, null, 1)}`);
      const hit = hits.find((d) => JSON.stringify(d.range) === JSON.stringify(range));
      assert.ok(hit, `${c.code} range: expected ${JSON.stringify(range)}, got ${hits.map((d) => JSON.stringify(d.range)).join(' ')}`);
      assert.equal(hit.severity, DIAGNOSTIC_CODES[c.code].severity);
      for (const s of c.says) assert.ok(hit.message.includes(s), `message "${hit.message}" lacks "${s}"`);
      if (c.suggestion !== undefined) assert.equal(hit.data?.suggestion, c.suggestion);
      if (hit.severity === 'error') assert.equal(space, undefined, 'no model when there is an error');
    });
  }

  it('internal-error: a failing check becomes a diagnostic, not an exception', () => {
    const broken = {
      $type: 'SearchFile',
      name: 's',
      get members(): never {
        throw new Error('boom');
      },
    };
    const result = analyzeParseResult({ value: broken, lexerErrors: [], parserErrors: [] }, 'search s {}');
    assert.equal(result.diagnostics.length, 1);
    assert.equal(result.diagnostics[0]!.code, 'internal-error');
    assert.match(result.diagnostics[0]!.message, /boom/);
    assert.equal(result.space, undefined);
  });

  it('every code in the registry has a case', () => {
    const tested = new Set<string>([...CASES.map((c) => c.code), 'internal-error']);
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((code) => !tested.has(code));
    assert.deepEqual(missing, []);
  });
});
