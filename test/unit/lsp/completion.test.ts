import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CompletionItemKind, CompletionTriggerKind, InsertTextFormat, type CompletionItem, type TextEdit } from 'vscode-languageserver';
import { bnas, docParams, parseAt } from './helpers.js';
import { ROOT } from './lsp-process.js';

async function complete(textWithBar: string, triggerCharacter?: string): Promise<CompletionItem[]> {
  const { doc, position } = await parseAt(textWithBar);
  const context = triggerCharacter
    ? { triggerKind: CompletionTriggerKind.TriggerCharacter, triggerCharacter }
    : { triggerKind: CompletionTriggerKind.Invoked };
  const list = await bnas().lsp.CompletionProvider!.getCompletion(doc, { ...docParams(doc), position, context });
  return list?.items ?? [];
}

const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);
const edit = (item: CompletionItem | undefined): TextEdit => item!.textEdit as TextEdit;

describe('completion', () => {
  it('offers the attributes of the enclosing block that are not yet set, with docs and defaults', async () => {
    const items = await complete('search "s" {\n  data { source = mnist, tr| }\n}');
    assert.deepEqual(labels(items), ['path', 'train', 'split', 'test', 'image', 'augment']);
    const train = items.find((i) => i.label === 'train')!;
    assert.equal(train.kind, CompletionItemKind.Property);
    assert.equal(train.detail, 'integer ≥ 2 · default 2000');
    assert.match((train.documentation as { value: string }).value, /Images used during the search/);
    assert.equal(train.insertTextFormat, InsertTextFormat.Snippet);
    // The typed word `tr` (line 1, characters 25..27) is replaced by `train = <default>`.
    assert.deepEqual(edit(train), { range: { start: { line: 1, character: 25 }, end: { line: 1, character: 27 } }, newText: 'train = ${1:2000}' });
  });

  it('skips attributes written after the cursor too', async () => {
    const items = await complete('search "s" {\n  train { | \n    epochs = 4\n    seed = 3\n  }\n}');
    assert.deepEqual(labels(items), ['batch', 'warmup', 'micro_batch']);
  });

  it('inserts an enum attribute as a choice with the default first', async () => {
    const items = await complete('search "s" {\n  binarize { | }\n}');
    assert.equal(edit(items.find((i) => i.label === 'weights')).newText, 'weights = ${1|xnor,sign,none|}');
    assert.equal(edit(items.find((i) => i.label === 'keep_real')).newText, 'keep_real = [${1:stem, classifier}]');
  });

  it('inserts only the name when `=` already follows', async () => {
    const items = await complete('search "s" {\n  sampling { sh| = false }\n}');
    const shuffle = items.find((i) => i.label === 'shuffle')!;
    assert.equal(edit(shuffle).newText, 'shuffle');
    assert.equal(shuffle.insertTextFormat, InsertTextFormat.PlainText);
  });

  it('inside a block offers only that block\'s attributes, never blocks, and no label twice', async () => {
    for (const text of ['search "s" {\n  sampling { | }\n}', 'search "s" {\n  sampling {\n    |\n  }\n  train { }\n}', 'search "s" {\n  sampling {\n    k = 2\n    |']) {
      const got = labels(await complete(text));
      assert.deepEqual(got.filter((l) => !['k', 'shuffle', 'edge_normalization'].includes(l)), [], JSON.stringify(text));
      assert.ok(got.includes('shuffle'), JSON.stringify(text));
    }
    const top = labels(await complete('search "s" {\n  |\n}'));
    assert.equal(new Set(top).size, top.length, `a label twice: ${top.join(', ')}`);
    // VS Code offers a static snippet everywhere in the file, whatever block the cursor is in:
    // the blocks come from the language server, which knows where they are valid; the snippet
    // file keeps only the whole-file template.
    const snippets = JSON.parse(readFileSync(join(ROOT, 'snippets', 'bnas.json'), 'utf8')) as Record<string, { isFileTemplate?: boolean }>;
    assert.deepEqual(Object.values(snippets).filter((s) => !s.isFileTemplate), []);
  });

  it('uses the defaults of a named block (optimizer arch)', async () => {
    const items = await complete('search "s" {\n  optimizer arch { | }\n}');
    const lr = items.find((i) => i.label === 'lr')!;
    assert.equal(lr.detail, 'number > 0 · default 0.0006');
    assert.equal(edit(items.find((i) => i.label === 'kind')).newText, 'kind = ${1|adam,sgd|}');
  });

  it('offers top-level attributes and the blocks not yet written', async () => {
    const items = await complete('search "s" {\n  data { }\n  optimizer weights { }\n  |\n}');
    assert.deepEqual(labels(items), [
      'ops', 'supernet', 'op', 'binarize', 'sampling', 'pruning', 'train', 'optimizer arch', 'regularize', 'guide', 'derive', 'budget',
    ]);
    const op = items.find((i) => i.label === 'op')!;
    assert.equal(op.kind, CompletionItemKind.Module);
    assert.equal(edit(op).newText, 'op ${1:name} {\n\tkind = ${2|conv,sep_conv,dil_conv,max_pool,avg_pool,skip,zero|}\n}');
    assert.equal(edit(items.find((i) => i.label === 'optimizer arch')).newText, 'optimizer arch {\n\t$0\n}');
  });

  it('offers enum values after `=`, the default preselected', async () => {
    const items = await complete('search "s" {\n  pruning { criterion = | }\n}', ' ');
    assert.deepEqual(labels(items), ['performance', 'ucb', 'alpha', 'none']);
    const perf = items[0]!;
    assert.equal(perf.preselect, true);
    assert.equal(perf.detail, 'default');
    assert.match((items[1]!.documentation as { value: string }).value, /UCB|upper confidence/i);
  });

  it('offers booleans and numeric defaults after `=`', async () => {
    assert.deepEqual(labels(await complete('search "s" {\n  sampling { shuffle = | }\n}')), ['true', 'false']);
    const k = await complete('search "s" {\n  sampling { k = | }\n}');
    assert.deepEqual(k.map((i) => [i.label, i.detail]), [['4', 'default']]);
  });

  it('offers op names in `ops`: custom ops first, then built-ins not yet listed', async () => {
    const items = await complete('search "s" {\n  ops = [sep_conv_3x3, none, |]\n  op wide { kind = dil_conv, dilation = 3 }\n}', ',');
    assert.deepEqual(labels(items), [
      'wide', 'skip_connect', 'max_pool_3x3', 'avg_pool_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5', 'conv_1x1', 'conv_3x3',
    ]);
    assert.equal(items[0]!.detail, 'custom op');
    assert.match((items[0]!.documentation as { value: string }).value, /op wide \{ kind = dil_conv, dilation = 3 \}/);
    assert.equal(items[1]!.documentation && (items[1]!.documentation as { value: string }).value, 'Identity (factorized reduce on stride-2 edges).');
  });

  it('offers the values of an enum list that are not yet listed', async () => {
    assert.deepEqual(labels(await complete('search "s" {\n  binarize { keep_real = [stem, |] }\n}')), ['preprocess', 'classifier']);
  });

  it('offers the free names of a named block', async () => {
    assert.deepEqual(labels(await complete('search "s" {\n  optimizer arch { }\n  optimizer |\n}', ' ')), ['weights']);
  });

  it('offers a whole search space in an empty file', async () => {
    const items = await complete('|');
    assert.deepEqual(labels(items), ['search']);
    assert.match(edit(items[0]).newText, /^search "\$\{1:my-search\}" \{\n\tdata \{ source = \$\{2\|synthetic,/);
  });

  it('stays quiet in comments, strings, and after a plain space at a member position', async () => {
    assert.deepEqual(await complete('search "s" {\n  # data { | }\n}'), []);
    assert.deepEqual(await complete('search "s" {\n  data { path = "da|" }\n}'), []);
    assert.deepEqual(await complete('search "s" {\n  data { | }\n}', ' '), []);
  });

  it('offers nothing inside unknown or nested blocks', async () => {
    assert.deepEqual(await complete('search "s" {\n  dta { | }\n}'), []);
    assert.deepEqual(await complete('search "s" {\n  data { inner { | } }\n}'), []);
  });
});

describe('folder completion in data.path', () => {
  /** Services with the real file system, and a document placed in examples/. */
  async function completeOnDisk(textWithBar: string, triggerCharacter?: string): Promise<CompletionItem[]> {
    const { createBnasServices } = await import('../../../runtime/dsl/module.js');
    const { BnasLspModule } = await import('../../../runtime/dsl/lsp/module.js');
    const { NodeFileSystem } = await import('langium/node');
    const { parseHelper } = await import('langium/test');
    const { cursor } = await import('./helpers.js');
    const { Bnas } = createBnasServices(NodeFileSystem, BnasLspModule);
    const { text, offset } = cursor(textWithBar);
    const uri = pathToFileURL(join(ROOT, 'examples', `completion-${Math.random().toString(36).slice(2)}.bnas`)).href;
    const doc = await parseHelper(Bnas)(text, { documentUri: uri });
    const context = triggerCharacter ? { triggerKind: CompletionTriggerKind.TriggerCharacter, triggerCharacter } : undefined;
    const list = await Bnas.lsp.CompletionProvider!.getCompletion(doc, { ...docParams(doc), position: doc.textDocument.positionAt(offset), ...(context ? { context } : {}) });
    return list?.items ?? [];
  }

  it('lists the folders next to the file, then inside the folder typed so far', async () => {
    const top = await completeOnDisk('search "s" {\n  data { source = idx, path = "|" }\n}', '"');
    assert.ok(top.some((i) => i.label === 'data/' && i.kind === CompletionItemKind.Folder), JSON.stringify(labels(top)));
    const inner = await completeOnDisk('search "s" {\n  data { source = idx, path = "data/i|" }\n}');
    assert.deepEqual(labels(inner), ['idx-tiny/']);
    // Only the part after the last `/` is replaced.
    assert.deepEqual(edit(inner[0]), { range: { start: { line: 1, character: 36 }, end: { line: 1, character: 37 } }, newText: 'idx-tiny' });
  });

  it('offers nothing for other strings or missing folders', async () => {
    assert.deepEqual(await completeOnDisk('search "|s" {\n}'), []);
    assert.deepEqual(await completeOnDisk('search "s" {\n  data { path = "no-such-folder/|" }\n}'), []);
  });
});
