import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hover, MarkupContent } from 'vscode-languageserver';
import { bnas, docParams, parseAt, rng } from './helpers.js';

async function hover(textWithBar: string): Promise<Hover | undefined> {
  const { doc, position } = await parseAt(textWithBar);
  return bnas().lsp.HoverProvider!.getHoverContent(doc, { ...docParams(doc), position });
}
const md = (h: Hover | undefined): string => (h?.contents as MarkupContent).value;

describe('hover', () => {
  it('documents a block with its attributes, types and defaults', async () => {
    const h = await hover('search "x" {\n  sam|pling { k = 2 }\n}');
    assert.deepEqual(h?.range, rng(1, 2, 1, 10));
    const text = md(h);
    assert.match(text, /^\*\*sampling \{ … \}\*\*/);
    assert.match(text, /Partial channel connections/);
    assert.match(text, /- `k` = integer ≥ 1 \(default 4\)/);
    assert.match(text, /- `shuffle` = `true` or `false` \(default true\)/);
  });

  it('documents an attribute with type, range and default', async () => {
    const h = await hover('search "x" {\n  supernet { cel|ls = 5 }\n}');
    assert.deepEqual(h?.range, rng(1, 13, 1, 18));
    assert.equal(md(h), '**supernet.cells**: integer 1..32\n\nNumber of cells stacked in the network.\n\nDefault: 5');
  });

  it('states the default of the named block for optimizer attributes', async () => {
    const text = md(await hover('search "x" {\n  optimizer weights { sched|ule = constant }\n}'));
    assert.match(text, /^\*\*optimizer\.schedule\*\*: one of constant, cosine/);
    assert.match(text, /Default in `optimizer weights`: `cosine`$/);
  });

  it('explains an enum value and marks the default', async () => {
    const h = await hover('search "x" {\n  binarize { weights = xn|or }\n}');
    assert.deepEqual(h?.range, rng(1, 23, 1, 27));
    assert.match(md(h), /^\*\*xnor\*\* \(value of `binarize.weights`, default\)\n\n/);
    assert.doesNotMatch(md(await hover('search "x" {\n  binarize { weights = si|gn }\n}')), /default/);
  });

  it('reminds the accepted range on a literal value', async () => {
    assert.match(md(await hover('search "x" {\n  data { split = 0.|7 }\n}')), /^\*\*data\.split\*\*: number with 0 < x < 1/);
  });

  it('says what a built-in op computes', async () => {
    const h = await hover('search "x" {\n  ops = [dil_conv_5|x5, none]\n}');
    assert.deepEqual(h?.range, rng(1, 9, 1, 21));
    assert.equal(md(h), '**dil_conv_5x5** (built-in op): Dilated (2) separable 5×5 convolution.\n\nPrimitive `dil_conv`, kernel 5, dilation 2.');
  });

  it('shows a custom op definition from its use and its block', async () => {
    const src = (bar: string) => `search "x" {\n  ops = [sep_conv_3x3${bar === 'use' ? ', wi|de' : ', wide'}]\n  op ${bar === 'def' ? 'wi|de' : 'wide'} { kind = dil_conv, dilation = 3 }\n}`;
    const fromUse = md(await hover(src('use')));
    assert.equal(fromUse, '**wide** (custom op, line 3)\n\n`op wide { kind = dil_conv, dilation = 3 }`\n\nListed in `ops`: a candidate on every edge.');
    assert.equal(md(await hover(src('def'))), fromUse);
    const unused = md(await hover('search "x" {\n  op lo|ne { kind = conv }\n}'));
    assert.match(unused, /Not listed in `ops`: the search does not use it\./);
  });

  it('has nothing to say about unknown names, punctuation or comments', async () => {
    assert.equal(await hover('search "x" {\n  data { sorce| = mnist }\n}'), undefined);
    assert.equal(await hover('search "x" {\n  data |{ }\n}'), undefined);
    assert.equal(await hover('search "x" {\n  # da|ta\n}'), undefined);
  });
});
