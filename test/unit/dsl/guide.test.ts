/**
 * The `guide` block: off by default (no `guide` in the model), every default filled in when
 * `parent = real`, ranges of its numbers, and notices where an attribute means nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';

const load = (guide: string, extra = '') => loadSearchSpace(`search s {\n  train { epochs = 6, warmup = 1 }\n  pruning { criterion = none }\n  ${extra}\n  guide { ${guide} }\n}`);
const codes = (r: ReturnType<typeof load>) => r.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`);

describe('guide block', () => {
  it('is off without the block and with parent = none', () => {
    assert.equal(loadSearchSpace('search s { }').space?.guide, undefined);
    const r = load('parent = none');
    assert.deepEqual(codes(r), []);
    assert.equal(r.space?.guide, undefined);
  });

  it('fills its defaults with parent = real', () => {
    const r = load('parent = real');
    assert.deepEqual(codes(r), []);
    assert.deepEqual(r.space?.guide, { parent: 'real', epochs: 4, weight: 1, decay: 'linear' });
    assert.deepEqual(load('parent = real, epochs = 3, weight = 0.5, decay = none').space?.guide, { parent: 'real', epochs: 3, weight: 0.5, decay: 'none' });
  });

  for (const [text, says] of [
    ['parent = real, epochs = 0', '`guide.epochs = 0` is out of range'],
    ['parent = real, epochs = 2.5', '`guide.epochs` must be an integer ≥ 1'],
    ['parent = real, weight = -1', '`guide.weight = -1` is out of range'],
    ['parent = binary', '`binary` is not a valid `guide.parent`'],
    ['parent = real, decay = cosine', '`cosine` is not a valid `guide.decay`'],
  ] as const) {
    it(`rejects ${text}`, () => {
      const r = load(text);
      assert.ok(r.diagnostics.some((d) => d.severity === 'error' && d.message.includes(says)), codes(r).join('\n'));
    });
  }

  it('errs when the parent would train no α (epochs within the warm-up)', () => {
    const r = load('parent = real, epochs = 1');
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['guide-too-short']);
    assert.deepEqual(load('parent = real, epochs = 2').diagnostics, []);
  });

  it('says where the guide means nothing', () => {
    const none = load('parent = none, epochs = 3, weight = 2, decay = none');
    assert.deepEqual(none.diagnostics.map((d) => `${d.severity} ${d.code}`), ['info ignored-attribute', 'info ignored-attribute', 'info ignored-attribute']);
    assert.match(none.diagnostics[0].message, /`guide.epochs` has no effect without `parent = real`/);
    const zero = load('parent = real, weight = 0');
    assert.deepEqual(zero.diagnostics.map((d) => `${d.severity} ${d.code}`), ['info ignored-attribute']);
    assert.match(zero.diagnostics[0].message, /`guide.parent` has no effect with `weight = 0`/);
    const real = load('parent = real', 'binarize { weights = none, activations = real }');
    assert.ok(real.diagnostics.some((d) => d.code === 'ignored-attribute' && /`guide.parent` has no effect in a full-precision search/.test(d.message)), codes(real).join('\n'));
  });
});
