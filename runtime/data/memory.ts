/**
 * Memory estimate of a dataset before loading it, for the `budget.memory_mb` warning and for
 * showing users what a `data` block costs. Stored form is Uint8 images plus int32 labels and
 * split indices; float32 exists only for one batch at a time.
 */
import type { DataSpec } from '../dsl/space.js';
import { CIFAR10_RECORD_BYTES, CIFAR10_SIZE } from './cifar10.js';
import { SYNTHETIC_DEFAULT_SIZE } from './synthetic.js';

/** Bytes a dataset needs (estimates; the loaded `Dataset.memoryBytes` is the exact stored size). */
export interface DatasetMemoryEstimate {
  /** Held while the dataset lives: Uint8 images, labels, split indices, normalisation table. */
  readonly storedBytes: number;
  /** Highest use while loading: the source files read at once plus the chosen images before resizing. */
  readonly peakLoadBytes: number;
  /** One float32 batch of `batch` images (x and y). */
  readonly batchBytes: number;
}

const MNIST_FILE_BYTES = { train: 16 + 60000 * 784 + 8 + 60000, test: 16 + 10000 * 784 + 8 + 10000 };
const FASHION_GZ_BYTES = 26_421_856 + 29_491 + 4_422_079 + 5_125;

/**
 * Estimates the memory of loading `spec`.
 * @param options.channels channels of the synthetic set (default 3)
 * @param options.sourceSize image side of an `idx` source (default 28, as MNIST)
 * @param options.batch batch size for {@link DatasetMemoryEstimate.batchBytes} (default 32)
 */
export function estimateDatasetMemory(
  spec: DataSpec,
  options: { channels?: 1 | 3; sourceSize?: number; batch?: number } = {},
): DatasetMemoryEstimate {
  const n = spec.train + spec.test;
  let side: number;
  let channels: number;
  let filesAtOnce: number;
  switch (spec.source) {
    case 'synthetic':
      side = spec.image ?? SYNTHETIC_DEFAULT_SIZE;
      channels = options.channels ?? 3;
      filesAtOnce = 0;
      break;
    case 'cifar10':
      side = CIFAR10_SIZE;
      channels = 3;
      filesAtOnce = CIFAR10_RECORD_BYTES * 10000; // one batch file at a time
      break;
    default: {
      side = spec.source === 'idx' ? (options.sourceSize ?? 28) : 28;
      channels = 1;
      const scale = (side * side) / 784;
      // The reader holds the train and test files decompressed; gunzip briefly holds the
      // largest file twice (its output chunks and the joined buffer), plus the .gz bytes.
      const gz = spec.source === 'fashion-mnist' ? FASHION_GZ_BYTES + 60000 * 784 : 0;
      filesAtOnce = (MNIST_FILE_BYTES.train + MNIST_FILE_BYTES.test) * scale + gz;
    }
  }
  const outSide = spec.image ?? side;
  const storedImages = n * outSide * outSide * channels;
  const storedBytes = storedImages + n * 8 + spec.train * 12 + spec.test * 4 + 256 * channels * 4;
  const beforeResize = outSide === side ? 0 : n * side * side * channels;
  const batch = options.batch ?? 32;
  return {
    storedBytes,
    peakLoadBytes: Math.round(filesAtOnce + beforeResize + storedBytes),
    batchBytes: batch * (outSide * outSide * channels * 4 + 4),
  };
}
