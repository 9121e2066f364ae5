/** The search-space view's controls as text edits: minimal, layout-keeping, and valid afterwards. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyChanges, spaceEditChanges } from '../../extension/panels/space-edits.js';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SpaceEdit } from '../../runtime/protocol/webview.js';
import { ROOT } from './browser.js';

const QUICK = readFileSync(join(ROOT, 'examples', 'quick.bnas'), 'utf8');

function edited(text: string, edit: SpaceEdit): string {
  const r = spaceEditChanges(text, edit);
  assert.ok('changes' in r, 'error' in r ? r.error : '');
  return applyChanges(text, r.changes);
}

describe('search-space edits', () => {
  it('changes k in place, keeping the rest of the text', () => {
    const out = edited(QUICK, { kind: 'setNumber', block: 'sampling', attribute: 'k', value: 2 });
    assert.equal(loadSearchSpace(out).space?.sampling.k, 2);
    assert.equal(out.replace(/sampling \{ k = 2 \}/, 'sampling { k = 4 }'), QUICK);
  });

  it('adds a missing attribute to an existing one-line block and a missing block to the file', () => {
    const withNodes = edited(QUICK, { kind: 'setNumber', block: 'train', attribute: 'epochs', value: 9 });
    assert.equal(loadSearchSpace(withNodes).space?.train.epochs, 9);
    const text = 'search "s" {\n  ops = [sep_conv_3x3, skip_connect]\n}\n';
    const out = edited(text, { kind: 'setCriterion', value: 'ucb' });
    assert.equal(out, 'search "s" {\n  ops = [sep_conv_3x3, skip_connect]\n  pruning { criterion = ucb }\n}\n');
    const more = edited(out, { kind: 'setNumber', block: 'pruning', attribute: 'start', value: 1 } as unknown as SpaceEdit);
    assert.match(more, /pruning \{ criterion = ucb, start = 1 \}/);
  });

  it('adds to a multi-line block on its own line with the same indentation', () => {
    const text = 'search "s" {\n  supernet {\n    cells = 3\n    channels = 8\n  }\n}\n';
    const out = edited(text, { kind: 'setNumber', block: 'supernet', attribute: 'nodes', value: 3 });
    assert.equal(out, 'search "s" {\n  supernet {\n    cells = 3\n    channels = 8\n    nodes = 3\n  }\n}\n');
  });

  it('toggles ops in the list, removing the separator with the op', () => {
    const off = edited(QUICK, { kind: 'toggleOp', op: 'max_pool_3x3', enabled: false });
    assert.deepEqual(loadSearchSpace(off).space?.ops.map((o) => o.name), ['sep_conv_3x3', 'dil_conv_3x3', 'avg_pool_3x3', 'skip_connect', 'none']);
    const first = edited(QUICK, { kind: 'toggleOp', op: 'sep_conv_3x3', enabled: false });
    assert.match(first, /ops = \[dil_conv_3x3, max_pool_3x3/);
    const on = edited(off, { kind: 'toggleOp', op: 'conv_1x1', enabled: true });
    assert.deepEqual(loadSearchSpace(on).space?.ops.map((o) => o.name).at(-1), 'conv_1x1');
    assert.equal(edited(QUICK, { kind: 'toggleOp', op: 'none', enabled: true }), QUICK, 'already there: no change');
  });

  it('writes the default op list when ops is absent', () => {
    const text = 'search "s" {\n  train { epochs = 4 }\n}\n';
    const out = edited(text, { kind: 'toggleOp', op: 'skip_connect', enabled: false });
    assert.equal(loadSearchSpace(out).space?.ops.length, 7);
    assert.ok(!loadSearchSpace(out).space?.ops.some((o) => o.name === 'skip_connect'));
  });

  it('refuses what it cannot do with a message', () => {
    const r = spaceEditChanges('search "s" { ops = [sep_conv_3x3] }', { kind: 'toggleOp', op: 'sep_conv_3x3', enabled: false });
    assert.ok('error' in r && /only op/.test(r.error));
    const bad = spaceEditChanges('this is not bnas', { kind: 'setCriterion', value: 'alpha' });
    assert.ok('error' in bad);
  });
});
