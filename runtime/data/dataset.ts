/**
 * `loadDataset`: from a `data` block to three splits of normalised images.
 *
 * 1. Open the source and check the counts asked for exist.
 * 2. Choose `train` examples of the source's train set and `test` examples of its test set:
 *    a seeded random subset (generated sources use their first N).
 * 3. Resize the chosen images to `image`×`image` (see resize.ts), kept as Uint8.
 * 4. Split the train images into the weight split (`round(train × split)`) and the architecture
 *    split, stratified by class so both see the same class mix.
 * 5. Per-channel mean/std over all train images (never the test images) for normalisation.
 */
import { createHash } from 'node:crypto';
import { weightSplitSize } from '../dsl/search-compute.js';
import type { DataSpec } from '../dsl/space.js';
import { type Augmentation, type Storage, makeBatch, normalisationTable } from './batch.js';
import { DataError } from './files.js';
import { SeededSplitIterator } from './iterator.js';
import { Rng, permutation } from '../random/rng.js';
import { resizeImages } from './resize.js';
import { openSource } from './sources.js';
import type { Batch, DataSplit, Dataset, LabelledImages, LoadOptions, SplitName } from './types.js';

/** Checks the numbers of a data block; the DSL validates them too, this guards direct API use. */
export function checkDataSpec(spec: DataSpec): void {
  const bad = (field: string, allowed: string, value: unknown): never => {
    throw new DataError(`data.${field} = ${String(value)} is not allowed: ${allowed}`);
  };
  if (!Number.isInteger(spec.train) || spec.train < 2) bad('train', 'a whole number ≥ 2', spec.train);
  if (!(spec.split > 0 && spec.split < 1)) bad('split', 'a number strictly between 0 and 1', spec.split);
  if (!Number.isInteger(spec.test) || spec.test < 0) bad('test', 'a whole number ≥ 0', spec.test);
  if (spec.image !== undefined && (!Number.isInteger(spec.image) || spec.image < 4)) bad('image', 'a whole number ≥ 4', spec.image);
  for (const a of spec.augment) if (a !== 'crop' && a !== 'flip') bad('augment', 'a list of crop, flip', a);
}

/** Examples for the weight split (defined with the search's compute estimate, which counts the same steps). */
export { weightSplitSize };

/**
 * Stratified split of positions 0..n-1 (already in random order) into weights and arch.
 * Each class gives ⌊n_c × split⌋ examples to weights; the remaining places up to
 * {@link weightSplitSize} go to the classes with the largest remainders (ties: lower class).
 */
export function stratifiedSplit(labels: Int32Array, numClasses: number, split: number): { weights: Int32Array; arch: Int32Array } {
  const n = labels.length;
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  const quota = counts.map((c) => Math.floor(c * split));
  let missing = weightSplitSize(n, split) - quota.reduce((a, b) => a + b, 0);
  const byRemainder = counts
    .map((c, k) => ({ k, r: c * split - quota[k] }))
    .filter(({ k }) => counts[k] > quota[k])
    .sort((a, b) => b.r - a.r || a.k - b.k);
  for (const { k } of byRemainder) {
    if (missing <= 0) break;
    quota[k]++;
    missing--;
  }
  const taken = new Array<number>(numClasses).fill(0);
  const weights: number[] = [];
  const arch: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (taken[l] < quota[l]) {
      taken[l]++;
      weights.push(i);
    } else arch.push(i);
  }
  return { weights: Int32Array.from(weights), arch: Int32Array.from(arch) };
}

/**
 * Per-channel mean and standard deviation on the [0, 1] scale.
 * @param images uint8 NHWC pixels
 */
export function channelStats(images: Uint8Array, channels: number): { mean: number[]; std: number[] } {
  // Histogram per channel: exact sums in integers, O(pixels) with no float accumulation error.
  const hist = new Float64Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    const base = c * 256;
    for (let p = c; p < images.length; p += channels) hist[base + images[p]]++;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      const h = hist[c * 256 + v];
      n += h;
      s += h * v;
      s2 += h * v * v;
    }
    const m = n > 0 ? s / n : 0;
    const variance = n > 0 ? Math.max(0, s2 / n - m * m) : 0;
    mean.push(m / 255);
    // A constant channel would divide by zero: leave it unscaled instead.
    std.push(variance > 1e-6 ? Math.sqrt(variance) / 255 : 1);
  }
  return { mean, std };
}

function checkCounts(spec: DataSpec, description: string, trainCount: number, testCount: number): void {
  if (spec.train > trainCount) {
    throw new DataError(`data.train = ${spec.train} but ${description} has ${trainCount} training images; use at most ${trainCount}`);
  }
  if (spec.test > testCount) {
    throw new DataError(`data.test = ${spec.test} but ${description} has ${testCount} test images; use at most ${testCount}`);
  }
}

function chooseIndices(count: number, wanted: number, generated: boolean | undefined, rng: Rng): Int32Array {
  if (generated) return Int32Array.from({ length: wanted }, (_, i) => i);
  return permutation(count, rng).slice(0, wanted);
}

class Split implements DataSplit {
  readonly size: number;
  readonly labels: Int32Array;

  constructor(
    readonly name: SplitName,
    private readonly storage: Storage,
    private readonly ids: Int32Array,
    private readonly lut: Float32Array,
    private readonly seed: number,
    private readonly numClasses: number,
    private readonly augmentation: Augmentation | undefined,
  ) {
    this.size = ids.length;
    this.labels = Int32Array.from(ids, (id) => storage.labels[id]);
  }

  classCounts(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    for (const l of this.labels) counts[l]++;
    return counts;
  }

  iterator(options: { augment?: boolean; stream?: string } = {}): SeededSplitIterator {
    const augment = options.augment ?? this.augmentation !== undefined;
    const augmentation = augment ? (this.augmentation ?? { crop: true, flip: true, padding: 'zero' }) : undefined;
    return new SeededSplitIterator({
      split: this.name, seed: this.seed, storage: this.storage, ids: this.ids, lut: this.lut, augmentation, stream: options.stream,
    });
  }

  slice(start: number, end: number): Batch {
    const s = Math.max(0, Math.min(start, this.size));
    const e = Math.max(s, Math.min(end, this.size));
    return makeBatch(this.storage, this.lut, this.ids.subarray(s, e), undefined, 'zero');
  }

  *batches(batchSize: number): Iterable<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a whole number ≥ 1, got ${batchSize}`);
    for (let s = 0; s < this.size; s += batchSize) yield this.slice(s, s + batchSize);
  }
}

function storageOf(set: LabelledImages): Storage {
  return { images: set.images, labels: set.labels, height: set.height, width: set.width, channels: set.channels };
}

/**
 * Loads a dataset as a `data` block describes it. Deterministic for a seed: the same spec and
 * seed give the same images, splits, order and augmentations.
 * @throws DataError with a message naming the file or setting at fault
 */
export async function loadDataset(spec: DataSpec, options: LoadOptions): Promise<Dataset> {
  checkDataSpec(spec);
  const { seed, signal } = options;
  signal?.throwIfAborted();
  const reader = await openSource(spec, options);
  checkCounts(spec, reader.description, reader.trainCount, reader.testCount);
  signal?.throwIfAborted();

  const trainIds = chooseIndices(reader.trainCount, spec.train, reader.generated, Rng.stream(seed, 'subset/train'));
  const testIds = chooseIndices(reader.testCount, spec.test, reader.generated, Rng.stream(seed, 'subset/test'));
  const size = spec.image;
  let train = await reader.read('train', trainIds, signal);
  signal?.throwIfAborted();
  let test = await reader.read('test', testIds, signal);
  signal?.throwIfAborted();
  if (size !== undefined) {
    train = resizeImages(train, size, options.resize);
    test = resizeImages(test, size, options.resize);
  }
  for (const set of [train, test]) {
    for (const l of set.labels) {
      if (l < 0 || l >= reader.numClasses) throw new DataError(`${reader.description}: label ${l} outside 0..${reader.numClasses - 1}`);
    }
  }

  const { mean, std } = channelStats(train.images, train.channels);
  const lut = normalisationTable(mean, std);
  const trainStore = storageOf(train);
  const testStore = storageOf(test);
  const { weights, arch } = stratifiedSplit(train.labels, reader.numClasses, spec.split);
  const augmentation: Augmentation | undefined =
    spec.augment.length > 0
      ? { crop: spec.augment.includes('crop'), flip: spec.augment.includes('flip'), padding: options.cropPadding ?? 'zero' }
      : undefined;
  const make = (name: SplitName, store: Storage, ids: Int32Array, aug: Augmentation | undefined): Split =>
    new Split(name, store, ids, lut, seed, reader.numClasses, aug);
  const splits = {
    weights: make('weights', trainStore, weights, augmentation),
    arch: make('arch', trainStore, arch, undefined),
    train: make('train', trainStore, Int32Array.from([...weights, ...arch]), augmentation),
    test: make('test', testStore, Int32Array.from({ length: test.count }, (_, i) => i), undefined),
  };
  const memoryBytes =
    train.images.byteLength + test.images.byteLength + 2 * (train.labels.byteLength + test.labels.byteLength) +
    3 * train.count * 4 + test.count * 4 + lut.byteLength;
  const digest = createHash('sha256');
  for (const part of [train.images, train.labels, weights, test.images, test.labels]) {
    digest.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
  }
  digest.update(JSON.stringify([train.height, train.width, train.channels, test.count]));
  const resized = size !== undefined && (size !== reader.height || size !== reader.width) ? ` → ${size}×${size}` : '';
  return {
    source: spec.source,
    description: `${reader.description}, ${reader.height}×${reader.width}${resized}, ${train.channels} channel${train.channels > 1 ? 's' : ''}`,
    height: train.height,
    width: train.width,
    channels: train.channels,
    sourceSize: { height: reader.height, width: reader.width },
    numClasses: reader.numClasses,
    classNames: reader.classNames,
    mean,
    std,
    seed,
    ...splits,
    fingerprint: digest.digest('hex').slice(0, 16),
    memoryBytes,
    split: (name: SplitName) => splits[name],
  };
}
