/**
 * IDX reader (the MNIST file format, also used by Fashion-MNIST): a big-endian header — two zero
 * bytes, a type byte (0x08 = unsigned byte), the number of dimensions — then one uint32 per
 * dimension, then the data. Images are 3-d [N, rows, cols] (or 4-d with channels last),
 * labels 1-d [N]. Every header field and length is checked so a wrong or cut file is reported
 * with its name and what was expected instead of producing garbage images.
 */
import { DataError, findDataFile, readDataFile, requireFolder } from './files.js';
import type { LabelledImages, SourceReader } from './types.js';
import { gatherImages } from './gather.js';

/** The four standard file names, without `.gz`. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Parsed IDX image file: a view on the pixel bytes (no copy). */
export interface IdxImages {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** uint8 NHWC pixels, length count × height × width × channels. */
  readonly pixels: Uint8Array;
}

function readHeader(bytes: Uint8Array, file: string, kind: string): { dims: number[]; offset: number } {
  if (bytes.length < 4) {
    throw new DataError(`${file}: too short for an IDX ${kind} file (${bytes.length} bytes, the header alone is at least 8)`, file);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = bytes[2];
  const ndims = bytes[3];
  const expected = kind === 'labels' ? '0x00000801 (unsigned bytes, 1 dimension)' : '0x00000803 (unsigned bytes, 3 dimensions)';
  if (bytes[0] !== 0 || bytes[1] !== 0 || type !== 0x08) {
    throw new DataError(
      `${file}: not an IDX ${kind} file of unsigned bytes: magic number 0x${magic.toString(16).padStart(8, '0')}, expected ${expected}`,
      file,
    );
  }
  const offset = 4 + 4 * ndims;
  if (bytes.length < offset) {
    throw new DataError(`${file}: truncated IDX header: ${ndims} dimensions need ${offset} header bytes, the file has ${bytes.length}`, file);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d));
  return { dims, offset };
}

function checkLength(bytes: Uint8Array, offset: number, expectedData: number, file: string, what: string): void {
  const expected = offset + expectedData;
  if (bytes.length < expected) {
    throw new DataError(
      `${file}: truncated: the header says ${what} (${expected} bytes with the header) but the file has ${bytes.length} bytes`,
      file,
    );
  }
  if (bytes.length > expected) {
    throw new DataError(
      `${file}: ${bytes.length - expected} bytes after the data: the header says ${what} (${expected} bytes); is it the right file?`,
      file,
    );
  }
}

/**
 * Parses an IDX image file (magic 0x00000803, or 0x00000804 with channels last).
 * @param bytes the whole (decompressed) file
 * @param file its path, for error messages
 */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const { dims, offset } = readHeader(bytes, file, 'image');
  if (dims.length !== 3 && dims.length !== 4) {
    throw new DataError(
      `${file}: an IDX image file has 3 dimensions [count, rows, columns] (or 4 with channels), this one has ${dims.length}; is it a labels file?`,
      file,
    );
  }
  const [count, height, width] = dims as [number, number, number];
  const channels = dims.length === 4 ? dims[3]! : 1;
  if (height === 0 || width === 0 || channels === 0) {
    throw new DataError(`${file}: images of size ${height}×${width}×${channels}; every dimension must be at least 1`, file);
  }
  const per = height * width * channels;
  checkLength(bytes, offset, count * per, file, `${count} images of ${height}×${width}${channels > 1 ? `×${channels}` : ''}`);
  return { count, height, width, channels, pixels: bytes.subarray(offset, offset + count * per) };
}

/**
 * Parses an IDX label file (magic 0x00000801).
 * @param bytes the whole (decompressed) file
 * @param file its path, for error messages
 */
export function parseIdxLabels(bytes: Uint8Array, file: string): Uint8Array {
  const { dims, offset } = readHeader(bytes, file, 'labels');
  if (dims.length !== 1) {
    throw new DataError(
      `${file}: an IDX label file has 1 dimension [count], this one has ${dims.length}; is it an image file?`,
      file,
    );
  }
  const count = dims[0]!;
  checkLength(bytes, offset, count, file, `${count} labels`);
  return bytes.subarray(offset, offset + count);
}

/** Options of {@link openIdxFolder}. */
export interface IdxFolderOptions {
  /** Shown in descriptions and errors, e.g. "MNIST" or "idx data". */
  readonly what: string;
  readonly classNames?: readonly string[];
  readonly signal?: AbortSignal;
  /** Appended to the "file missing" error: how to get the files. */
  readonly hint?: string;
}

interface IdxPart {
  readonly images: IdxImages;
  readonly labels: Uint8Array;
}

async function readPart(folder: string, imagesName: string, labelsName: string, options: IdxFolderOptions): Promise<IdxPart> {
  const locate = (name: string): string => {
    const found = findDataFile(folder, name);
    if (found !== undefined) return found;
    const all = Object.values(IDX_FILES).join(', ');
    throw new DataError(
      `${options.what}: missing ${name} (or ${name}.gz) in ${folder}; the folder must hold the four IDX files ${all}, each optionally .gz${options.hint ? `. ${options.hint}` : ''}`,
      `${folder}/${name}`,
    );
  };
  const imagesFile = locate(imagesName);
  const labelsFile = locate(labelsName);
  const images = parseIdxImages(await readDataFile(imagesFile, options.signal), imagesFile);
  const labels = parseIdxLabels(await readDataFile(labelsFile, options.signal), labelsFile);
  if (labels.length !== images.count) {
    throw new DataError(
      `${labelsFile}: has ${labels.length} labels but ${imagesFile} has ${images.count} images; they must match (files from different sets?)`,
      labelsFile,
    );
  }
  return { images, labels };
}

function maxLabel(labels: Uint8Array): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > m) m = labels[i]!;
  return m;
}

/**
 * Opens a folder with the four standard IDX files (each optionally `.gz`) and validates them.
 * The files are held in memory until the returned reader is dropped; read() copies only the
 * requested examples.
 */
export async function openIdxFolder(folder: string | undefined, options: IdxFolderOptions): Promise<SourceReader> {
  const dir = requireFolder(folder, options.what);
  const train = await readPart(dir, IDX_FILES.trainImages, IDX_FILES.trainLabels, options);
  const test = await readPart(dir, IDX_FILES.testImages, IDX_FILES.testLabels, options);
  const t = train.images;
  const s = test.images;
  if (t.height !== s.height || t.width !== s.width || t.channels !== s.channels) {
    throw new DataError(
      `${options.what}: train images are ${t.height}×${t.width}×${t.channels} but test images are ${s.height}×${s.width}×${s.channels} in ${dir}; both must have the same size`,
      dir,
    );
  }
  const numClasses = Math.max(maxLabel(train.labels), maxLabel(test.labels)) + 1;
  const classNames = options.classNames && options.classNames.length >= numClasses ? options.classNames : undefined;
  return {
    description: `${options.what} (${dir})`,
    height: t.height,
    width: t.width,
    channels: t.channels,
    trainCount: t.count,
    testCount: s.count,
    numClasses: classNames ? classNames.length : numClasses,
    classNames,
    async read(part, indices): Promise<LabelledImages> {
      const p = part === 'train' ? train : test;
      return gatherImages(p.images.pixels, p.labels, p.images, indices);
    },
  };
}
