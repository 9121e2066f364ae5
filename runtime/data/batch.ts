/**
 * Turns stored Uint8 examples into a float32 batch: normalisation by a per-channel lookup table
 * (256 values per channel, so conversion is one table read per pixel) and, for training splits,
 * the crop/flip augmentation.
 */
import type { Rng } from '../random/rng.js';
import type { Batch, CropPadding } from './types.js';

/** Pixels each side the `crop` augmentation pads before cropping back. */
export const CROP_PAD = 2;

/** Stored examples shared by the splits that index into them. */
export interface Storage {
  /** uint8 NHWC pixels, shape [count, height, width, channels]. */
  readonly images: Uint8Array;
  /** Class index per stored example, shape [count]. */
  readonly labels: Int32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Which augmentations to apply and how to pad. */
export interface Augmentation {
  readonly crop: boolean;
  readonly flip: boolean;
  readonly padding: CropPadding;
}

/** One example's drawn augmentation: shift in [-2, 2] on each axis and a mirror flag. */
export interface AugmentDraw {
  readonly dy: number;
  readonly dx: number;
  readonly flip: boolean;
}

/** Draws the augmentation of one example from its own stream. */
export function drawAugmentation(aug: Augmentation, rng: Rng): AugmentDraw {
  const span = 2 * CROP_PAD + 1;
  const dy = aug.crop ? rng.int(span) - CROP_PAD : 0;
  const dx = aug.crop ? rng.int(span) - CROP_PAD : 0;
  const flip = aug.flip ? rng.next() < 0.5 : false;
  return { dy, dx, flip };
}

/**
 * Builds the normalisation table: lut[c·256 + v] = (v/255 − mean[c]) / std[c].
 * @returns float32, shape [channels, 256]
 */
export function normalisationTable(mean: readonly number[], std: readonly number[]): Float32Array {
  const lut = new Float32Array(256 * mean.length);
  for (let c = 0; c < mean.length; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean[c]) / std[c];
  }
  return lut;
}

/** Maps a shifted coordinate back into [0, size): reflect (…2 1 | 0 1 2 … ) or -1 for zero padding. */
function sourceCoord(i: number, size: number, padding: CropPadding): number {
  if (i >= 0 && i < size) return i;
  if (padding === 'zero') return -1;
  return i < 0 ? -i : 2 * (size - 1) - i;
}

/**
 * Materialises a batch.
 * @param storage the stored examples
 * @param lut normalisation table, float32 [channels, 256]
 * @param ids stored-example indices of the batch, in order
 * @param draws per-example augmentation (same length as ids), or undefined for none
 */
export function makeBatch(
  storage: Storage,
  lut: Float32Array,
  ids: Int32Array,
  draws: readonly AugmentDraw[] | undefined,
  padding: CropPadding,
): Batch {
  const { height: h, width: w, channels: c } = storage;
  const per = h * w * c;
  const n = ids.length;
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const id = ids[b];
    y[b] = storage.labels[id];
    const src = id * per;
    const dst = b * per;
    const d = draws?.[b];
    if (!d || (d.dx === 0 && d.dy === 0 && !d.flip)) {
      for (let p = 0; p < per; p += c) {
        for (let k = 0; k < c; k++) x[dst + p + k] = lut[k * 256 + storage.images[src + p + k]];
      }
      continue;
    }
    for (let i = 0; i < h; i++) {
      const si = sourceCoord(i + d.dy, h, padding);
      for (let j = 0; j < w; j++) {
        const sj = sourceCoord((d.flip ? w - 1 - j : j) + d.dx, w, padding);
        const o = dst + (i * w + j) * c;
        for (let k = 0; k < c; k++) {
          // Zero padding is black in pixel space (value 0 before normalisation), as in the usual recipe.
          const v = si < 0 || sj < 0 ? 0 : storage.images[src + (si * w + sj) * c + k];
          x[o + k] = lut[k * 256 + v];
        }
      }
    }
  }
  return { x, y, n, shape: [n, h, w, c] };
}
