import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CROP_PAD, type Dataset, type IteratorState, loadDataset } from '../../../runtime/data/index.js';
import { dataSpec, tempDir, writeIdxFolder } from './helpers.js';

/** Identifies an example by its label and first values (the examples are distinct images). */
function keys(batch: { x: Float32Array; y: Int32Array; n: number }): string[] {
  const per = batch.x.length / batch.n;
  return Array.from({ length: batch.n }, (_, i) => `${batch.y[i]}:${Array.from(batch.x.subarray(i * per, i * per + per), (v) => v.toFixed(3)).join(',')}`);
}

describe('split iterator', () => {
  let data: Dataset;
  before(async () => {
    data = await loadDataset(dataSpec({ train: 100, split: 0.5, test: 20, image: 8, augment: ['crop', 'flip'] }), { seed: 4 });
  });

  it('covers every example exactly once per epoch, in a new order each epoch', () => {
    const it = data.arch.iterator();
    const all = new Set(keys(data.arch.slice(0, data.arch.size)));
    assert.equal(all.size, 50);
    const epochs: string[][] = [];
    for (let e = 0; e < 3; e++) {
      const seen: string[] = [];
      while (true) {
        const batch = it.nextInEpoch(16);
        seen.push(...keys(batch));
        if (it.position === 0) break;
      }
      assert.equal(it.epoch, e + 1);
      assert.equal(seen.length, 50);
      assert.deepEqual(new Set(seen), all, `epoch ${e} is a permutation of the split`);
      epochs.push(seen);
    }
    assert.notDeepEqual(epochs[0], epochs[1]);
    assert.equal(it.stepsPerEpoch(16), 4);
  });

  it('next() keeps a fixed batch size and continues into the next epoch', () => {
    const it = data.arch.iterator();
    const stream = [it.next(16), it.next(16), it.next(16), it.next(16)].flatMap(keys);
    assert.equal(stream.length, 64);
    assert.equal(it.epoch, 1);
    assert.equal(it.position, 14);
    assert.equal(new Set(stream.slice(0, 50)).size, 50, 'the first 50 draws are one epoch');
    assert.equal(it.next(500).n, 50, 'a batch never exceeds the split');
    assert.throws(() => it.next(0), /batch size must be a whole number ≥ 1/);
  });

  it('state() / restore() continue the exact same order and augmentation', () => {
    const a = data.weights.iterator();
    for (let i = 0; i < 7; i++) a.next(12); // crosses an epoch boundary (50 examples)
    const saved: IteratorState = JSON.parse(JSON.stringify(a.state()));
    assert.deepEqual(saved, { version: 1, split: 'weights', size: 50, seed: 4, epoch: 1, position: 34 });
    const expected = [a.next(12), a.next(12), a.nextInEpoch(12)];
    const b = data.weights.iterator();
    b.restore(saved);
    const resumed = [b.next(12), b.next(12), b.nextInEpoch(12)];
    resumed.forEach((batch, i) => {
      assert.deepEqual(batch.x, expected[i].x);
      assert.deepEqual(batch.y, expected[i].y);
    });
    // A fresh iterator is the same stream as the first one from the start.
    const c = data.weights.iterator();
    const d = data.weights.iterator();
    assert.deepEqual(c.next(30).x, d.next(30).x);
  });

  it('named streams are independent of the main stream and restore only into the same stream', () => {
    const main = data.arch.iterator();
    const prune = data.arch.iterator({ stream: 'prune' });
    const first = keys(prune.next(50));
    assert.notDeepEqual(first, keys(main.next(50)), 'another stream draws another order');
    assert.deepEqual(new Set(first), new Set(keys(data.arch.slice(0, 50))), 'still each example once per epoch');
    assert.deepEqual(keys(data.arch.iterator({ stream: 'prune' }).next(50)), first, 'the same name gives the same stream');
    prune.next(7);
    const saved = prune.state();
    assert.equal(saved.stream, 'prune');
    const again = data.arch.iterator({ stream: 'prune' });
    again.restore(saved);
    assert.deepEqual(again.next(9).x, prune.next(9).x);
    assert.throws(() => main.restore(saved), /checkpoint is for the arch split \(stream 'prune'\)/);
  });

  it('refuses a state from another split or seed, saying what changed', async () => {
    const it = data.weights.iterator();
    assert.throws(() => it.restore({ ...it.state(), split: 'arch' }), /checkpoint is for the arch split with 50 examples and seed 4, but this is the weights split/);
    const other = await loadDataset(dataSpec({ train: 100, split: 0.5, test: 20, image: 8 }), { seed: 5 });
    assert.throws(() => other.weights.iterator().restore(it.state()), /seed 4.*seed 5.*data block or seed changed/);
    assert.throws(() => it.restore({ ...it.state(), position: 50 }), /position must be in 0..49/);
    assert.throws(() => it.restore({ version: 2 } as unknown as IteratorState), /not a version-1 iterator state/);
  });

  it('augments only the splits that train weights, with deterministic draws', () => {
    assert.equal(data.weights.iterator().augmenting, true);
    assert.equal(data.train.iterator().augmenting, true);
    assert.equal(data.arch.iterator().augmenting, false);
    assert.equal(data.test.iterator().augmenting, false);
    assert.equal(data.weights.iterator({ augment: false }).augmenting, false);
    // Same examples with and without augmentation: same labels, same shape, different pixels.
    const plain = data.weights.iterator({ augment: false }).next(50);
    const aug = data.weights.iterator().next(50);
    assert.deepEqual(aug.y, plain.y);
    assert.deepEqual(aug.shape, plain.shape);
    assert.notDeepEqual(aug.x, plain.x);
    assert.deepEqual(data.weights.iterator().next(50).x, aug.x, 'the same seed draws the same augmentation');
    // The arch split is unaugmented: its iterator yields exactly the stored images.
    const arch = new Set(keys(data.arch.slice(0, 50)));
    for (const k of keys(data.arch.iterator().next(50))) assert.ok(arch.has(k));
  });
});

describe('augmentation on a constructed image', () => {
  const tmp = tempDir('aug');
  after(tmp.cleanup);

  /** Two 6×6 IDX images with distinct pixel values (3·p + 37·i), so every shift is identifiable. */
  async function load(augment: ('crop' | 'flip')[], cropPadding: 'zero' | 'reflect'): Promise<Dataset> {
    const dir = join(tmp.dir, `${augment.join('-')}-${cropPadding}`);
    mkdirSync(dir, { recursive: true });
    writeIdxFolder(dir, { trainCount: 2, testCount: 1, h: 6, w: 6, classes: 2 });
    return loadDataset(dataSpec({ source: 'idx', path: dir, train: 2, test: 1, split: 0.5, augment }), { seed: 1, cropPadding });
  }

  /** Back to pixel values from a normalised 1-channel batch. */
  const bytes = (x: Float32Array, d: Dataset) => Array.from(x, (v) => Math.round((v * d.std[0] + d.mean[0]) * 255) + 0);

  it('crop shifts by at most 2 pixels and pads with zeros or a reflection', async () => {
    for (const padding of ['zero', 'reflect'] as const) {
      const d = await load(['crop'], padding);
      const orig = bytes(d.weights.slice(0, 1).x, d);
      const it = d.weights.iterator();
      const shifts = new Set<string>();
      for (let k = 0; k < 60; k++) {
        const img = bytes(it.next(1).x, d);
        // Find the shift (dy, dx) that explains every interior pixel.
        let found: [number, number] | undefined;
        for (let dy = -CROP_PAD; dy <= CROP_PAD && !found; dy++) {
          for (let dx = -CROP_PAD; dx <= CROP_PAD && !found; dx++) {
            let ok = true;
            for (let y = 0; y < 6 && ok; y++) {
              for (let x = 0; x < 6 && ok; x++) {
                const sy = y + dy;
                const sx = x + dx;
                const inside = sy >= 0 && sy < 6 && sx >= 0 && sx < 6;
                const ry = sy < 0 ? -sy : sy > 5 ? 10 - sy : sy;
                const rx = sx < 0 ? -sx : sx > 5 ? 10 - sx : sx;
                const want = inside ? orig[sy * 6 + sx] : padding === 'zero' ? 0 : orig[ry * 6 + rx];
                ok = img[y * 6 + x] === want;
              }
            }
            if (ok) found = [dy, dx];
          }
        }
        assert.ok(found, `draw ${k} (${padding}) is not a shifted copy of the image`);
        shifts.add(found.join(','));
      }
      assert.ok(shifts.size >= 15, `only ${shifts.size} of the 25 shifts seen in 60 draws`);
    }
  });

  it('flip mirrors horizontally about half of the time', async () => {
    const d = await load(['flip'], 'zero');
    const orig = bytes(d.weights.slice(0, 1).x, d);
    const mirrored = orig.map((_, i) => orig[Math.floor(i / 6) * 6 + (5 - (i % 6))]);
    const it = d.weights.iterator();
    let flips = 0;
    for (let k = 0; k < 200; k++) {
      const img = bytes(it.next(1).x, d);
      if (JSON.stringify(img) === JSON.stringify(mirrored)) flips++;
      else assert.deepEqual(img, orig);
    }
    assert.ok(flips > 70 && flips < 130, `${flips} flips in 200`);
  });
});
