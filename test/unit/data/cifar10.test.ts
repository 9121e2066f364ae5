import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CIFAR10_CLASSES, DataError, loadDataset, openCifar10 } from '../../../runtime/data/index.js';
import { dataSpec, patternPixel, tempDir, writeCifarFolder } from './helpers.js';

const tmp = tempDir('cifar');
after(tmp.cleanup);

describe('CIFAR-10 binary reader', () => {
  it('reads records across the five train files and converts planes to NHWC', async () => {
    const dir = join(tmp.dir, 'ok');
    writeCifarFolder(dir, 4, 6);
    const reader = await openCifar10(dir);
    assert.deepEqual([reader.trainCount, reader.testCount, reader.height, reader.width, reader.channels, reader.numClasses], [20, 6, 32, 32, 3, 10]);
    assert.deepEqual(reader.classNames, CIFAR10_CLASSES);
    // Examples 17 (file 5), 2 (file 1) and 9 (file 3), in that order.
    const set = await reader.read('train', Int32Array.of(17, 2, 9));
    assert.deepEqual([...set.labels], [7, 2, 9]);
    for (const [slot, example] of [17, 2, 9].entries()) {
      for (const p of [0, 1, 500, 1023]) {
        for (let c = 0; c < 3; c++) {
          assert.equal(set.images[slot * 3072 + p * 3 + c], (patternPixel(example, p) + c) % 256, `example ${example} pixel ${p} channel ${c}`);
        }
      }
    }
    const test = await reader.read('test', Int32Array.of(5));
    assert.equal(test.labels[0], 100_005 % 10);
    assert.equal(test.images[3 * 10 + 1], (patternPixel(100_005, 10) + 1) % 256);
  });

  it('accepts the folder above cifar-10-batches-bin and reads class names from batches.meta.txt', async () => {
    const dir = join(tmp.dir, 'parent');
    writeCifarFolder(join(dir, 'cifar-10-batches-bin'), 2, 2);
    const names = CIFAR10_CLASSES.map((n) => n.toUpperCase());
    writeFileSync(join(dir, 'cifar-10-batches-bin', 'batches.meta.txt'), `${names.join('\n')}\n\n`);
    const data = await loadDataset(dataSpec({ source: 'cifar10', path: dir, train: 10, test: 2, image: 16 }), { seed: 1 });
    assert.deepEqual(data.classNames, names);
    assert.deepEqual([data.height, data.width, data.channels], [16, 16, 3]);
    assert.deepEqual(data.sourceSize, { height: 32, width: 32 });
    assert.equal(data.weights.size + data.arch.size, 10);
  });

  it('names a truncated batch file and gives the record arithmetic', async () => {
    const dir = join(tmp.dir, 'cut');
    writeCifarFolder(dir, 3, 2);
    const file = join(dir, 'data_batch_3.bin');
    truncateSync(file, 3 * 3073 - 100);
    await assert.rejects(openCifar10(dir), (e: Error) =>
      e instanceof DataError && e.file === file && e.message.startsWith(`${file}: 9119 bytes is not a whole number of 3073-byte CIFAR-10 records (2 records and 2973 bytes left over)`));
  });

  it('names a file with a label outside 0–9 (e.g. CIFAR-100)', async () => {
    const dir = join(tmp.dir, 'label');
    writeCifarFolder(dir, 2, 2);
    const file = join(dir, 'test_batch.bin');
    const bytes = readFileSync(file);
    bytes[3073] = 42;
    writeFileSync(file, bytes);
    const reader = await openCifar10(dir);
    await assert.rejects(reader.read('test', Int32Array.of(0)), new RegExp(`${file}: record 1 has label 42, expected 0–9`));
  });

  it('names the missing batch file', async () => {
    const dir = join(tmp.dir, 'missing');
    writeCifarFolder(dir, 2, 2);
    unlinkSync(join(dir, 'data_batch_4.bin'));
    await assert.rejects(openCifar10(dir), (e: Error) =>
      e instanceof DataError && e.file === join(dir, 'data_batch_4.bin') && /missing data_batch_4\.bin .*data_batch_1\.bin, .*test_batch\.bin/.test(e.message));
  });

  it('rejects an empty file and extra bytes', async () => {
    const dir = join(tmp.dir, 'extra');
    writeCifarFolder(dir, 2, 2);
    appendFileSync(join(dir, 'data_batch_1.bin'), Buffer.from([1, 2, 3]));
    await assert.rejects(openCifar10(dir), /data_batch_1\.bin: 6149 bytes is not a whole number/);
    writeFileSync(join(dir, 'data_batch_1.bin'), new Uint8Array(0));
    await assert.rejects(openCifar10(dir), /data_batch_1\.bin: 0 bytes is not a whole number/);
  });

  it('requires data.path', async () => {
    await assert.rejects(loadDataset(dataSpec({ source: 'cifar10' }), { seed: 1 }), /cifar10: data.path is not set/);
  });
});
