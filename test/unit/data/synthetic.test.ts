import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYNTHETIC_CLASSES, generateSynthetic, loadDataset } from '../../../runtime/data/index.js';
import type { LabelledImages } from '../../../runtime/data/index.js';
import { dataSpec } from './helpers.js';

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const S = 16;
const train = generateSynthetic(11, 'train', range(1200), S, 3);
const test = generateSynthetic(11, 'test', range(600), S, 3);

/** Grey image (channel mean) of example i. */
function grey(set: LabelledImages, i: number): Float64Array {
  const c = set.channels;
  const per = set.height * set.width;
  const g = new Float64Array(per);
  for (let p = 0; p < per; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += set.images[(i * per + p) * c + k];
    g[p] = s / c;
  }
  return g;
}

/** Local statistic: mean |horizontal difference| / mean |vertical difference| of neighbours. */
function gradientRatio(g: Float64Array, n: number): number {
  let h = 0;
  let v = 0;
  for (let y = 0; y < n - 1; y++) {
    for (let x = 0; x < n - 1; x++) {
      h += Math.abs(g[y * n + x + 1] - g[y * n + x]);
      v += Math.abs(g[(y + 1) * n + x] - g[y * n + x]);
    }
  }
  return h / v;
}

/** Large-scale statistic: spread along x minus spread along y of the brightest quarter after a 2×2 blur. */
function spreadXminusY(g: Float64Array, n: number): number {
  const m = n - 1;
  const b = Array.from({ length: m * m }, (_, i) => {
    const y = Math.floor(i / m);
    const x = i % m;
    return (g[y * n + x] + g[y * n + x + 1] + g[(y + 1) * n + x] + g[(y + 1) * n + x + 1]) / 4;
  });
  const threshold = [...b].sort((p, q) => p - q)[Math.floor(b.length * 0.75)];
  let k = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
  b.forEach((v, i) => {
    if (v <= threshold) return;
    const y = Math.floor(i / m);
    const x = i % m;
    k++; sx += x; sy += y; sxx += x * x; syy += y * y;
  });
  return sxx / k - (sx / k) ** 2 - (syy / k - (sy / k) ** 2);
}

describe('synthetic set', () => {
  it('has 6 balanced classes named texture × arrangement', () => {
    assert.equal(SYNTHETIC_CLASSES.length, 6);
    assert.deepEqual(SYNTHETIC_CLASSES.slice(0, 3), ['h-stripes side-by-side', 'v-stripes side-by-side', 'checker side-by-side']);
    const counts = new Array(6).fill(0);
    for (const l of train.labels) counts[l]++;
    assert.deepEqual(counts, new Array(6).fill(200));
  });

  it('is deterministic, prefix-stable and seed-dependent', () => {
    const a = generateSynthetic(11, 'train', range(10), S, 3);
    assert.deepEqual(a.images, train.images.subarray(0, 10 * S * S * 3));
    assert.deepEqual(a.labels, train.labels.subarray(0, 10));
    assert.notDeepEqual(generateSynthetic(12, 'train', range(10), S, 3).images, a.images);
    assert.notDeepEqual(generateSynthetic(11, 'test', range(10), S, 3).images, a.images);
  });

  it('texture classes differ in a 2-pixel statistic (the direction of local contrast)', () => {
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      const r = gradientRatio(grey(test, i), S);
      const guess = r < 0.75 ? 0 : r > 1.33 ? 1 : 2; // h-stripes: vertical contrast; v-stripes: horizontal
      if (guess === test.labels[i] % 3) correct++;
    }
    assert.ok(correct / test.count > 0.9, `texture from local contrast: ${correct / test.count}`);
  });

  it('arrangement classes differ in a whole-image statistic (the spread of the bright area)', () => {
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      const stacked = spreadXminusY(grey(test, i), S) < 0;
      if (stacked === test.labels[i] >= 3) correct++;
    }
    assert.ok(correct / test.count > 0.85, `arrangement from spread: ${correct / test.count}`);
  });

  it('a nearest-centroid pixel template is above chance but far from perfect and blind to texture', () => {
    const per = S * S * 3;
    const centroids = Array.from({ length: 6 }, () => new Float64Array(per));
    const counts = new Array(6).fill(0);
    for (let i = 0; i < train.count; i++) {
      const l = train.labels[i];
      counts[l]++;
      for (let p = 0; p < per; p++) centroids[l][p] += train.images[i * per + p];
    }
    centroids.forEach((c, l) => c.forEach((v, p) => (c[p] = v / counts[l])));
    let correct = 0;
    let textureCorrect = 0;
    for (let i = 0; i < test.count; i++) {
      let best = 0;
      let bestDistance = Infinity;
      centroids.forEach((c, l) => {
        let d = 0;
        for (let p = 0; p < per; p++) d += (test.images[i * per + p] - c[p]) ** 2;
        if (d < bestDistance) [best, bestDistance] = [l, d];
      });
      if (best === test.labels[i]) correct++;
      if (best % 3 === test.labels[i] % 3) textureCorrect++;
    }
    const accuracy = correct / test.count;
    assert.ok(accuracy > 0.22 && accuracy < 0.5, `nearest centroid ${accuracy} (chance 0.167)`);
    assert.ok(textureCorrect / test.count < 0.45, `texture from templates ${textureCorrect / test.count} (chance 0.333)`);
  });

  it('loads through loadDataset at other sizes and with 1 channel', async () => {
    const data = await loadDataset(dataSpec({ train: 60, test: 12, image: 32 }), { seed: 1, syntheticChannels: 1 });
    assert.deepEqual([data.height, data.width, data.channels, data.numClasses], [32, 32, 1, 6]);
    assert.deepEqual(data.sourceSize, { height: 32, width: 32 }, 'generated at the asked size, not resized');
    assert.deepEqual(data.train.classCounts(), new Array(6).fill(10));
    for (const image of [4, 5, 8]) {
      const small = await loadDataset(dataSpec({ train: 12, test: 6, image }), { seed: 1 });
      assert.deepEqual(small.weights.iterator().next(4).shape, [4, image, image, 3]);
    }
  });
});
