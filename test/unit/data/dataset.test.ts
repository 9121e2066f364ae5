import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataError, checkDataSpec, estimateDatasetMemory, loadDataset, weightSplitSize } from '../../../runtime/data/index.js';
import { dataSpec } from './helpers.js';

/** Every stored image of a split, as one string per example, to compare splits by content. */
function fingerprints(batch: { x: Float32Array; n: number }): string[] {
  const per = batch.x.length / batch.n;
  return Array.from({ length: batch.n }, (_, i) => Array.from(batch.x.subarray(i * per, (i + 1) * per), (v) => v.toFixed(4)).join(','));
}

describe('loadDataset: splits', () => {
  it('splits train into weight and architecture parts of the right sizes, disjoint, stratified', async () => {
    const data = await loadDataset(dataSpec({ train: 301, split: 0.3, test: 40, image: 8 }), { seed: 5 });
    assert.equal(data.weights.size, weightSplitSize(301, 0.3));
    assert.equal(data.weights.size, 90);
    assert.equal(data.arch.size, 211);
    assert.equal(data.train.size, 301);
    assert.equal(data.test.size, 40);
    const w = fingerprints(data.weights.slice(0, data.weights.size));
    const a = fingerprints(data.arch.slice(0, data.arch.size));
    const t = fingerprints(data.test.slice(0, data.test.size));
    const all = new Set([...w, ...a]);
    assert.equal(all.size, 301, 'weight and architecture splits share no image and hold no duplicate');
    for (const f of t) assert.ok(!all.has(f), 'test images are not train images');
    // Stratified: each class's share in the weight split is within one example of 30 %.
    const wc = data.weights.classCounts();
    const tc = data.train.classCounts();
    wc.forEach((c, k) => assert.ok(Math.abs(c - tc[k] * 0.3) <= 1, `class ${k}: ${c} of ${tc[k]} in weights`));
    assert.deepEqual(data.split('arch').labels, data.arch.labels);
  });

  it('keeps one example on each side for extreme splits', () => {
    assert.equal(weightSplitSize(2, 0.01), 1);
    assert.equal(weightSplitSize(2, 0.99), 1);
    assert.equal(weightSplitSize(1000, 0.5), 500);
  });

  it('normalises with the train images’ per-channel mean and std', async () => {
    const data = await loadDataset(dataSpec({ train: 400, test: 100 }), { seed: 2 });
    const batch = data.train.slice(0, data.train.size);
    const c = data.channels;
    for (let k = 0; k < c; k++) {
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (let i = k; i < batch.x.length; i += c) {
        s += batch.x[i];
        s2 += batch.x[i] * batch.x[i];
        n++;
      }
      const mean = s / n;
      assert.ok(Math.abs(mean) < 1e-4, `channel ${k} mean ${mean}`);
      assert.ok(Math.abs(Math.sqrt(s2 / n - mean * mean) - 1) < 1e-4, `channel ${k} std`);
      assert.ok(data.std[k] > 0.01 && data.mean[k] > 0 && data.mean[k] < 1);
    }
    // The test split uses the train statistics, so its mean is near, not exactly, zero.
    const test = data.test.slice(0, data.test.size);
    const testMean = test.x.reduce((a, b) => a + b, 0) / test.x.length;
    assert.ok(Math.abs(testMean) > 1e-6 && Math.abs(testMean) < 0.2);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const spec = dataSpec({ train: 120, test: 30, augment: ['crop', 'flip'] });
    const [a, b, c] = await Promise.all([loadDataset(spec, { seed: 9 }), loadDataset(spec, { seed: 9 }), loadDataset(spec, { seed: 10 })]);
    assert.deepEqual(a.weights.slice(0, 60).x, b.weights.slice(0, 60).x);
    assert.deepEqual(a.test.slice(0, 30).x, b.test.slice(0, 30).x);
    assert.deepEqual(a.weights.iterator().next(50).x, b.weights.iterator().next(50).x);
    assert.notDeepEqual(a.weights.slice(0, 60).x, c.weights.slice(0, 60).x);
    assert.match(a.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(a.fingerprint, b.fingerprint);
    assert.notEqual(a.fingerprint, c.fingerprint);
    const resplit = await loadDataset({ ...spec, split: 0.4 }, { seed: 9 });
    assert.notEqual(resplit.fingerprint, a.fingerprint, 'the split membership is part of the fingerprint');
  });

  it('gives batches of the documented shapes and types', async () => {
    const data = await loadDataset(dataSpec({ train: 50, test: 10, image: 12 }), { seed: 1 });
    const batch = data.test.slice(0, 7);
    assert.deepEqual(batch.shape, [7, 12, 12, 3]);
    assert.ok(batch.x instanceof Float32Array && batch.y instanceof Int32Array);
    assert.equal(batch.x.length, 7 * 12 * 12 * 3);
    assert.deepEqual([...data.test.batches(4)].map((b) => b.n), [4, 4, 2]);
    assert.equal(data.test.slice(8, 100).n, 2);
    assert.equal(data.classNames?.length, data.numClasses);
  });

  it('rejects invalid numbers with what is allowed', () => {
    assert.throws(() => checkDataSpec(dataSpec({ train: 1 })), /data.train = 1 is not allowed: a whole number ≥ 2/);
    assert.throws(() => checkDataSpec(dataSpec({ split: 1 })), /data.split = 1 .* strictly between 0 and 1/);
    assert.throws(() => checkDataSpec(dataSpec({ test: -1 })), /data.test = -1/);
    assert.throws(() => checkDataSpec(dataSpec({ image: 3 })), /data.image = 3 .* ≥ 4/);
    assert.throws(() => checkDataSpec(dataSpec({ augment: ['rotate' as 'crop'] })), (e: Error) => e instanceof DataError && /crop, flip/.test(e.message));
  });

  it('allows an empty test split', async () => {
    const data = await loadDataset(dataSpec({ train: 10, test: 0 }), { seed: 1 });
    assert.equal(data.test.size, 0);
    assert.deepEqual([...data.test.batches(8)], []);
    assert.throws(() => data.test.iterator(), /test split is empty/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped by the user'));
    await assert.rejects(loadDataset(dataSpec({}), { seed: 1, signal: controller.signal }), /stopped by the user/);
  });
});

describe('memory', () => {
  it('stores Uint8 images: a loaded dataset is about one byte per pixel', async () => {
    const spec = dataSpec({ train: 500, test: 100, image: 16 });
    const data = await loadDataset(spec, { seed: 1 });
    const pixels = 600 * 16 * 16 * 3;
    assert.ok(data.memoryBytes >= pixels && data.memoryBytes < pixels * 1.1, `${data.memoryBytes} bytes for ${pixels} pixels`);
    const estimate = estimateDatasetMemory(spec);
    assert.ok(Math.abs(estimate.storedBytes - data.memoryBytes) / data.memoryBytes < 0.05);
    assert.equal(estimate.batchBytes, 32 * (16 * 16 * 3 * 4 + 4));
  });

  it('estimates the files read while loading MNIST and CIFAR-10', () => {
    const mnist = estimateDatasetMemory(dataSpec({ source: 'mnist', train: 4000, test: 2000, image: 16 }));
    assert.equal(mnist.storedBytes, 6000 * 256 + 6000 * 8 + 4000 * 12 + 2000 * 4 + 1024);
    assert.ok(mnist.peakLoadBytes > 54e6 && mnist.peakLoadBytes < 70e6);
    const cifar = estimateDatasetMemory(dataSpec({ source: 'cifar10', train: 1000, test: 0 }));
    assert.ok(cifar.peakLoadBytes > 30.7e6 && cifar.peakLoadBytes < 35e6);
  });
});
