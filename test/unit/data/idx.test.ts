import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError, loadDataset, openIdxFolder, parseIdxImages, parseIdxLabels } from '../../../runtime/data/index.js';
import { dataSpec, idxBytes, patternImages, patternPixel, tempDir, writeIdxFolder } from './helpers.js';

const tmp = tempDir('idx');
after(tmp.cleanup);

/** Inverts the normalisation of one channel to get back the stored uint8 value. */
function toByte(v: number, mean: number, std: number): number {
  return Math.round((v * std + mean) * 255) + 0; // + 0 turns -0 into 0
}

describe('IDX parsing', () => {
  it('parses an image file and a label file', () => {
    const bytes = idxBytes([3, 2, 4], patternImages(3, 2, 4, 0));
    const images = parseIdxImages(bytes, 'x');
    assert.deepEqual([images.count, images.height, images.width, images.channels], [3, 2, 4, 1]);
    assert.equal(images.pixels[8 + 5], patternPixel(1, 5));
    const labels = parseIdxLabels(idxBytes([3], Uint8Array.of(2, 0, 1)), 'y');
    assert.deepEqual([...labels], [2, 0, 1]);
  });

  it('reads 4-d image files as channels last', () => {
    const images = parseIdxImages(idxBytes([2, 2, 3, 3], patternImages(2, 2, 3, 0, 3)), 'x');
    assert.deepEqual([images.count, images.height, images.width, images.channels], [2, 2, 3, 3]);
    assert.equal(images.pixels.length, 2 * 2 * 3 * 3);
    assert.equal(images.pixels[18 + 4], patternPixel(1, 4));
  });

  it('rejects a labels file given as images and the reverse, naming the file', () => {
    const labels = idxBytes([3], Uint8Array.of(2, 0, 1));
    assert.throws(() => parseIdxImages(labels, '/d/train-images-idx3-ubyte'), (e: Error) =>
      e instanceof DataError && /train-images-idx3-ubyte/.test(e.message) && /3 dimensions/.test(e.message));
    const images = idxBytes([1, 2, 2], new Uint8Array(4));
    assert.throws(() => parseIdxLabels(images, '/d/lab'), /\/d\/lab: an IDX label file has 1 dimension/);
  });

  it('rejects a bad magic number and says which was expected', () => {
    const bytes = idxBytes([3], Uint8Array.of(1, 2, 3));
    bytes[2] = 0x0d; // float data instead of unsigned bytes
    assert.throws(() => parseIdxLabels(bytes, '/d/f'), (e: Error) =>
      /\/d\/f: not an IDX labels file/.test(e.message) && /0x00000d01/.test(e.message) && /expected 0x00000801/.test(e.message));
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0);
    assert.throws(() => parseIdxImages(png, '/d/img'), /not an IDX image file.*expected 0x00000803/);
  });

  it('rejects truncated and over-long files with the sizes', () => {
    const bytes = idxBytes([10, 4, 4], patternImages(10, 4, 4, 0));
    assert.throws(() => parseIdxImages(bytes.subarray(0, bytes.length - 1), '/d/t'), (e: Error) =>
      /\/d\/t: truncated: the header says 10 images of 4×4 \(176 bytes/.test(e.message) && /has 175 bytes/.test(e.message));
    assert.throws(() => parseIdxImages(bytes.subarray(0, 10), '/d/h'), /truncated IDX header/);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    assert.throws(() => parseIdxImages(longer, '/d/l'), /3 bytes after the data/);
  });
});

describe('IDX folder reader', () => {
  for (const gz of [false, true]) {
    it(`reads the four standard files${gz ? ' (.gz)' : ''} and keeps each image with its label`, async () => {
      const dir = join(tmp.dir, gz ? 'gz' : 'plain');
      writeIdxFolder(dir, { trainCount: 40, testCount: 12, h: 5, w: 7, classes: 4, gz });
      const reader = await openIdxFolder(dir, { what: 'idx data' });
      assert.deepEqual([reader.trainCount, reader.testCount, reader.height, reader.width, reader.channels, reader.numClasses], [40, 12, 5, 7, 1, 4]);
      const set = await reader.read('test', Int32Array.of(11, 0, 5));
      assert.deepEqual([...set.labels], [(1011) % 4, 1000 % 4, 1005 % 4]);
      for (const [slot, i] of [11, 0, 5].entries()) {
        for (let p = 0; p < 35; p++) assert.equal(set.images[slot * 35 + p], patternPixel(1000 + i, p));
      }
    });
  }

  it('loadDataset over an idx folder returns the source images, normalised', async () => {
    const dir = join(tmp.dir, 'load');
    writeIdxFolder(dir, { trainCount: 60, testCount: 20, h: 4, w: 4, classes: 3, gz: true });
    const data = await loadDataset(dataSpec({ source: 'idx', path: dir, train: 60, test: 20 }), { seed: 3 });
    assert.equal(data.numClasses, 3);
    assert.equal(data.classNames, undefined);
    const batch = data.train.slice(0, 60);
    const seen = new Set<number>();
    for (let b = 0; b < 60; b++) {
      // patternPixel(i, 0) = 37·i mod 256 identifies example i (37 is invertible mod 256).
      const first = toByte(batch.x[b * 16], data.mean[0], data.std[0]);
      const i = [...Array(60).keys()].find((k) => patternPixel(k, 0) === first);
      assert.ok(i !== undefined, `image ${b} is not one of the source images`);
      seen.add(i);
      assert.equal(batch.y[b], i % 3);
      for (let p = 0; p < 16; p++) assert.equal(toByte(batch.x[b * 16 + p], data.mean[0], data.std[0]), patternPixel(i, p));
    }
    assert.equal(seen.size, 60);
  });

  it('names the missing file and lists the expected ones', async () => {
    const dir = join(tmp.dir, 'missing');
    writeIdxFolder(dir, { trainCount: 5, testCount: 5 });
    unlinkSync(join(dir, 't10k-labels-idx1-ubyte'));
    await assert.rejects(openIdxFolder(dir, { what: 'idx data' }), (e: Error) =>
      e instanceof DataError && e.message.includes(`missing t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz) in ${dir}`) &&
      e.message.includes('train-images-idx3-ubyte'));
  });

  it('names a truncated .gz file', async () => {
    const dir = join(tmp.dir, 'cut-gz');
    writeIdxFolder(dir, { trainCount: 50, testCount: 5, gz: true });
    const file = join(dir, 'train-images-idx3-ubyte.gz');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    await assert.rejects(openIdxFolder(dir, { what: 'idx data' }), (e: Error) =>
      e instanceof DataError && e.file === file && e.message.startsWith(`${file}: gzip data is damaged or truncated`));
  });

  it('names a file truncated inside valid gzip', async () => {
    const dir = join(tmp.dir, 'cut-inside');
    writeIdxFolder(dir, { trainCount: 50, testCount: 5, h: 3, w: 3 });
    const file = join(dir, 'train-images-idx3-ubyte');
    writeFileSync(`${file}.gz`, gzipSync(readFileSync(file).subarray(0, 100)));
    unlinkSync(file);
    await assert.rejects(openIdxFolder(dir, { what: 'idx data' }), new RegExp(`${file}\\.gz: truncated: the header says 50 images of 3×3`));
  });

  it('names a file that cannot be read', async () => {
    const dir = join(tmp.dir, 'unreadable');
    writeIdxFolder(dir, { trainCount: 5, testCount: 5 });
    const file = join(dir, 't10k-images-idx3-ubyte');
    unlinkSync(file);
    mkdirSync(file);
    await assert.rejects(openIdxFolder(dir, { what: 'idx data' }), (e: Error) =>
      e instanceof DataError && e.file === file && e.message === `${file}: is a folder, expected a data file`);
  });

  it('reports label and image counts that do not match', async () => {
    const dir = join(tmp.dir, 'mismatch');
    writeIdxFolder(dir, { trainCount: 8, testCount: 5 });
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([7], new Uint8Array(7)));
    await assert.rejects(openIdxFolder(dir, { what: 'idx data' }), /train-labels-idx1-ubyte: has 7 labels but .*train-images-idx3-ubyte has 8 images/);
  });

  it('reports a missing or unset folder', async () => {
    await assert.rejects(loadDataset(dataSpec({ source: 'idx' }), { seed: 1 }), /idx data: data.path is not set/);
    const nowhere = join(tmp.dir, 'nowhere');
    await assert.rejects(loadDataset(dataSpec({ source: 'idx', path: nowhere }), { seed: 1 }), (e: Error) =>
      e instanceof DataError && e.file === nowhere && /does not exist/.test(e.message));
  });

  it('says how many images exist when more are asked for', async () => {
    const dir = join(tmp.dir, 'few');
    writeIdxFolder(dir, { trainCount: 10, testCount: 4 });
    await assert.rejects(loadDataset(dataSpec({ source: 'idx', path: dir, train: 11, test: 2 }), { seed: 1 }), /data.train = 11 .* has 10 training images; use at most 10/);
    await assert.rejects(loadDataset(dataSpec({ source: 'idx', path: dir, train: 10, test: 5 }), { seed: 1 }), /data.test = 5 .* has 4 test images/);
  });
});
