/**
 * CIFAR-10 binary version: `data_batch_1.bin` … `data_batch_5.bin` (train) and `test_batch.bin`
 * (test), each a sequence of 3073-byte records: 1 label byte (0–9), then 1024 red, 1024 green and
 * 1024 blue bytes of a 32×32 image in row-major order. Records are converted to NHWC on read.
 * Files are read one at a time and only the chosen records are kept, so peak memory stays near
 * one batch file (30 MB) however many images are asked for.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, findDataFile, readDataFile, requireFolder } from './files.js';
import type { LabelledImages, SourceReader } from './types.js';

export const CIFAR10_SIZE = 32;
export const CIFAR10_RECORD_BYTES = 1 + 3 * CIFAR10_SIZE * CIFAR10_SIZE;
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
] as const;

const PLANE = CIFAR10_SIZE * CIFAR10_SIZE;

/** Records in a batch file, from its size (plain) or its content (gzip). */
async function countRecords(file: string, signal?: AbortSignal): Promise<number> {
  const bytes = file.endsWith('.gz') ? (await readDataFile(file, signal)).length : statSync(file).size;
  if (bytes === 0 || bytes % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes / CIFAR10_RECORD_BYTES);
    throw new DataError(
      `${file}: ${bytes} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records (${whole} records and ${bytes - whole * CIFAR10_RECORD_BYTES} bytes left over); the file is truncated or not a CIFAR-10 binary batch`,
      file,
    );
  }
  return bytes / CIFAR10_RECORD_BYTES;
}

function classNamesIn(dir: string): readonly string[] {
  const meta = join(dir, 'batches.meta.txt');
  if (existsSync(meta)) {
    const names = readFileSync(meta, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
    if (names.length === CIFAR10_CLASSES.length) return names;
  }
  return CIFAR10_CLASSES;
}

/** The official archive unpacks into `cifar-10-batches-bin/`: accept its parent folder too. */
function batchesFolder(dir: string): string {
  const nested = join(dir, 'cifar-10-batches-bin');
  if (findDataFile(dir, CIFAR10_TEST_FILE) === undefined && existsSync(nested)) return nested;
  return dir;
}

/**
 * Converts chosen records of one batch file to NHWC and writes them into `out`.
 * @param bytes the whole file: records of [label, R plane, G plane, B plane]
 */
function copyRecords(
  bytes: Uint8Array,
  file: string,
  picks: readonly { record: number; slot: number }[],
  images: Uint8Array,
  labels: Int32Array,
): void {
  for (let r = 0; r * CIFAR10_RECORD_BYTES < bytes.length; r++) {
    const label = bytes[r * CIFAR10_RECORD_BYTES];
    if (label > 9) {
      throw new DataError(
        `${file}: record ${r} has label ${label}, expected 0–9; not a CIFAR-10 binary batch (CIFAR-100 has 2 label bytes per record)`,
        file,
      );
    }
  }
  for (const { record, slot } of picks) {
    const base = record * CIFAR10_RECORD_BYTES;
    labels[slot] = bytes[base];
    const dst = slot * PLANE * 3;
    for (let p = 0; p < PLANE; p++) {
      images[dst + 3 * p] = bytes[base + 1 + p];
      images[dst + 3 * p + 1] = bytes[base + 1 + PLANE + p];
      images[dst + 3 * p + 2] = bytes[base + 1 + 2 * PLANE + p];
    }
  }
}

/** Opens a CIFAR-10 binary folder: checks the six files exist and have whole records. */
export async function openCifar10(folder: string | undefined, signal?: AbortSignal): Promise<SourceReader> {
  const dir = batchesFolder(requireFolder(folder, 'cifar10'));
  const locate = (name: string): string => {
    const found = findDataFile(dir, name);
    if (found !== undefined) return found;
    throw new DataError(
      `cifar10: missing ${name} in ${dir}; the folder must hold the CIFAR-10 binary version: ${CIFAR10_TRAIN_FILES.join(', ')}, ${CIFAR10_TEST_FILE}`,
      join(dir, name),
    );
  };
  const trainFiles = CIFAR10_TRAIN_FILES.map(locate);
  const testFiles = [locate(CIFAR10_TEST_FILE)];
  const trainCounts: number[] = [];
  for (const f of trainFiles) trainCounts.push(await countRecords(f, signal));
  const testCounts = [await countRecords(testFiles[0]!, signal)];
  const classNames = classNamesIn(dir);

  const read = async (files: string[], counts: number[], indices: Int32Array): Promise<LabelledImages> => {
    const images = new Uint8Array(indices.length * PLANE * 3);
    const labels = new Int32Array(indices.length);
    const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
    for (let f = 0; f < files.length; f++) {
      const picks: { record: number; slot: number }[] = [];
      indices.forEach((k, slot) => {
        if (k >= starts[f]! && k < starts[f]! + counts[f]!) picks.push({ record: k - starts[f]!, slot });
      });
      if (picks.length === 0) continue; // this batch file holds none of the chosen examples
      const bytes = await readDataFile(files[f]!, signal);
      if (bytes.length !== counts[f]! * CIFAR10_RECORD_BYTES) {
        throw new DataError(`${files[f]}: changed size while reading (now ${bytes.length} bytes)`, files[f]);
      }
      copyRecords(bytes, files[f]!, picks, images, labels);
    }
    return { images, labels, count: indices.length, height: CIFAR10_SIZE, width: CIFAR10_SIZE, channels: 3 };
  };

  return {
    description: `CIFAR-10 (${dir})`,
    height: CIFAR10_SIZE,
    width: CIFAR10_SIZE,
    channels: 3,
    trainCount: trainCounts.reduce((a, b) => a + b, 0),
    testCount: testCounts[0]!,
    numClasses: CIFAR10_CLASSES.length,
    classNames,
    read: (part, indices) => (part === 'train' ? read(trainFiles, trainCounts, indices) : read(testFiles, testCounts, indices)),
  };
}
