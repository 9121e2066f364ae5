/**
 * Op cross-references: names in `ops` resolve to built-ins or `op` blocks; definitions, usages
 * and the name under the cursor are found with exact ranges (go to definition, references, rename).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeText, availableOpNames, indexOps, opAt, opReferences, resolveOp } from '../../../runtime/dsl/index.js';

const TEXT = `search s {
  ops = [sep_conv_3x3, wide, skip_connect]
  op wide { kind = dil_conv, dilation = 3 }
  op spare { kind = conv }
}`;

function index(text = TEXT) {
  const { ast } = analyzeText(text);
  assert.ok(ast);
  return indexOps(ast);
}

describe('op references', () => {
  it('resolves built-in and custom names, and nothing else', () => {
    const ix = index();
    assert.deepEqual(resolveOp(ix, 'sep_conv_3x3'), { kind: 'builtin', name: 'sep_conv_3x3' });
    const wide = resolveOp(ix, 'wide');
    assert.equal(wide?.kind, 'custom');
    assert.deepEqual(wide.kind === 'custom' && wide.definition.nameRange, { start: { line: 2, character: 5 }, end: { line: 2, character: 9 } });
    assert.equal(resolveOp(ix, 'nope'), undefined);
  });

  it('lists the definition and every usage of an op', () => {
    const refs = opReferences(index(TEXT.replace('skip_connect]', 'skip_connect, wide]')), 'wide');
    assert.deepEqual(refs.definition, { start: { line: 2, character: 5 }, end: { line: 2, character: 9 } });
    assert.deepEqual(refs.usages, [
      { start: { line: 1, character: 23 }, end: { line: 1, character: 27 } },
      { start: { line: 1, character: 43 }, end: { line: 1, character: 47 } },
    ]);
    assert.deepEqual(opReferences(index(), 'skip_connect'), { usages: [{ start: { line: 1, character: 29 }, end: { line: 1, character: 41 } }] });
  });

  it('finds the op name under a position, in ops and at the definition', () => {
    const ix = index();
    assert.deepEqual(opAt(ix, { line: 1, character: 25 }), { name: 'wide', range: { start: { line: 1, character: 23 }, end: { line: 1, character: 27 } }, isDefinition: false });
    assert.equal(opAt(ix, { line: 2, character: 7 })?.isDefinition, true);
    assert.equal(opAt(ix, { line: 2, character: 20 }), undefined);
  });

  it('offers built-ins and custom ops for completion', () => {
    const names = availableOpNames(index());
    assert.ok(names.includes('conv_3x3') && names.includes('wide') && names.includes('spare'));
    assert.equal(new Set(names).size, names.length);
  });

  it('indexes files with syntax errors', () => {
    const ix = index('search s {\n  ops = [wide, ]\n  op wide { kind = \n}');
    assert.equal(ix.usages.length, 1);
    assert.ok(ix.definitions.has('wide'));
  });
});
