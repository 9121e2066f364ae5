import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseResizeMethod, resizeImage, resizeImages } from '../../../runtime/data/index.js';

/** A 1-channel image h×w from a function of (y, x). */
function image(h: number, w: number, f: (y: number, x: number) => number): Uint8Array {
  return Uint8Array.from({ length: h * w }, (_, i) => f(Math.floor(i / w), i % w));
}

describe('resize', () => {
  it('area: 4×4 → 2×2 gives the mean of each 2×2 block', () => {
    const src = Uint8Array.of(10, 20, 100, 100, 30, 40, 100, 100, 0, 0, 7, 9, 0, 4, 11, 13);
    assert.deepEqual([...resizeImage(src, 4, 4, 1, 2, 2, 'area')], [25, 100, 1, 10]);
  });

  it('area: 3 → 2 weights partly covered pixels by their overlap', () => {
    // Columns 0, 30, 60: output 0 covers [0, 1.5) → (0·1 + 30·0.5)/1.5 = 10; output 1 → (30·0.5 + 60)/1.5 = 50.
    const src = image(3, 3, (_, x) => 30 * x);
    assert.deepEqual([...resizeImage(src, 3, 3, 1, 2, 2, 'area')], [10, 50, 10, 50]);
    const rows = image(3, 3, (y) => 30 * y);
    assert.deepEqual([...resizeImage(rows, 3, 3, 1, 2, 2, 'area')], [10, 10, 50, 50]);
  });

  it('bilinear: 2 → 4 with half-pixel centres and clamped borders', () => {
    // Source coordinates of outputs 0..3: −0.25 → 0, 0.25, 0.75, 1.25 → 1.
    const src = Uint8Array.of(0, 100, 0, 100);
    assert.deepEqual([...resizeImage(src, 2, 2, 1, 2, 4, 'bilinear')], [0, 25, 75, 100, 0, 25, 75, 100]);
  });

  it('bilinear keeps a linear ramp linear inside the image', () => {
    const src = image(5, 5, (y, x) => 20 * x + 10 * y);
    const out = resizeImage(src, 5, 5, 1, 10, 10, 'bilinear');
    for (let y = 1; y < 9; y++) {
      for (let x = 1; x < 9; x++) {
        const sx = (x + 0.5) / 2 - 0.5;
        const sy = (y + 0.5) / 2 - 0.5;
        assert.ok(Math.abs(out[y * 10 + x] - (20 * sx + 10 * sy)) <= 0.5, `(${y}, ${x})`);
      }
    }
  });

  it('keeps channels apart and constant images constant', () => {
    const src = Uint8Array.from({ length: 7 * 5 * 3 }, (_, i) => [12, 130, 250][i % 3]);
    for (const method of ['area', 'bilinear'] as const) {
      const out = resizeImage(src, 7, 5, 3, 4, 9, method);
      assert.equal(out.length, 4 * 9 * 3);
      out.forEach((v, i) => assert.equal(v, [12, 130, 250][i % 3]));
    }
  });

  it('area keeps the total intensity of a thin stroke (28 → 16)', () => {
    const src = image(28, 28, (y, x) => (x === 13 && y > 3 && y < 24 ? 255 : 0));
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    const area = resizeImage(src, 28, 28, 1, 16, 16, 'area');
    const expected = sum(src) * (16 / 28) ** 2;
    assert.ok(Math.abs(sum(area) - expected) / expected < 0.05, `area ${sum(area)} vs ${expected}`);
  });

  it('auto picks area to shrink and bilinear to enlarge; equal size is untouched', () => {
    assert.equal(chooseResizeMethod(28, 16), 'area');
    assert.equal(chooseResizeMethod(16, 32), 'bilinear');
    assert.equal(chooseResizeMethod(28, 16, 'bilinear'), 'bilinear');
    const set = { images: new Uint8Array(2 * 4 * 4), labels: Int32Array.of(0, 1), count: 2, height: 4, width: 4, channels: 1 };
    assert.equal(resizeImages(set, 4), set);
    const out = resizeImages({ ...set, images: image(8, 4, (y, x) => (y < 4 ? 40 : 80) + x) }, 2);
    assert.deepEqual([out.count, out.height, out.width, out.channels], [2, 2, 2, 1]);
    assert.deepEqual([...out.images], [41, 43, 41, 43, 81, 83, 81, 83]);
  });
});
