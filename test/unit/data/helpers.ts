/** Writers of small data files in the real formats, for the reader tests. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { DataSpec } from '../../../runtime/dsl/space.js';

/** A fresh temporary folder; `cleanup` removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `bnas-data-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes of an IDX file of unsigned bytes with the given dimensions. */
export function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** Pixel p of example i in the test sets: a pattern that identifies the example. */
export function patternPixel(i: number, p: number): number {
  return (i * 37 + p * 3) % 256;
}

/** Images [count, h, w] following {@link patternPixel}, offset so train and test differ. */
export function patternImages(count: number, h: number, w: number, offset: number, channels = 1): Uint8Array {
  const per = h * w * channels;
  const data = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) for (let p = 0; p < per; p++) data[i * per + p] = patternPixel(i + offset, p);
  return data;
}

/**
 * Writes the four standard IDX files to `dir`: `trainCount`/`testCount` images of h×w with
 * labels i mod `classes`. `gz` compresses them and adds `.gz` to the names.
 */
export function writeIdxFolder(
  dir: string,
  options: { trainCount: number; testCount: number; h?: number; w?: number; classes?: number; gz?: boolean },
): void {
  const { trainCount, testCount, h = 6, w = 6, classes = 3, gz = false } = options;
  mkdirSync(dir, { recursive: true });
  const write = (name: string, bytes: Uint8Array): void => {
    writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  };
  const labels = (n: number, offset: number) => Uint8Array.from({ length: n }, (_, i) => (i + offset) % classes);
  write('train-images-idx3-ubyte', idxBytes([trainCount, h, w], patternImages(trainCount, h, w, 0)));
  write('train-labels-idx1-ubyte', idxBytes([trainCount], labels(trainCount, 0)));
  write('t10k-images-idx3-ubyte', idxBytes([testCount, h, w], patternImages(testCount, h, w, 1000)));
  write('t10k-labels-idx1-ubyte', idxBytes([testCount], labels(testCount, 1000)));
}

/**
 * Writes CIFAR-10 binary batches (5 train files of `perFile` records, one test file) to `dir`.
 * Record r of file f: label (f·perFile + r) mod 10; the red, green and blue planes hold
 * patternPixel(example, p), +1 and +2, so the channel order can be checked.
 */
export function writeCifarFolder(dir: string, perFile: number, testCount: number): void {
  mkdirSync(dir, { recursive: true });
  const record = (example: number): Uint8Array => {
    const r = new Uint8Array(3073);
    r[0] = example % 10;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (patternPixel(example, p) + c) % 256;
    return r;
  };
  const file = (first: number, count: number): Uint8Array => {
    const out = new Uint8Array(count * 3073);
    for (let i = 0; i < count; i++) out.set(record(first + i), i * 3073);
    return out;
  };
  for (let f = 1; f <= 5; f++) writeFileSync(join(dir, `data_batch_${f}.bin`), file((f - 1) * perFile, perFile));
  writeFileSync(join(dir, 'test_batch.bin'), file(100_000, testCount));
}

/** A data block with the contract's defaults, overridden by `over`. */
export function dataSpec(over: Partial<DataSpec>): DataSpec {
  return { source: 'synthetic', train: 200, split: 0.5, test: 50, augment: [], ...over };
}
