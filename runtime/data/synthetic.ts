/**
 * A seeded synthetic image set whose classes need spatial features of two different sizes, so
 * the candidate ops of a search matter:
 *
 * - a fine **texture** (1-pixel horizontal stripes, vertical stripes or a checkerboard, random
 *   phase and contrast) that a 3×3 receptive field recognises but that averages out over any
 *   larger window; and
 * - a large-scale **arrangement**: the two textured patches sit side by side or one above the
 *   other, at a random place, with a random gap, which only a receptive field spanning most of
 *   the image (dilated/large kernels, pooling, reductions) can tell apart.
 *
 * The class is the pair (texture, arrangement): 3 × 2 = 6 classes. Nuisances that keep it from
 * being trivial: random background level, a random linear illumination gradient, per-image
 * colour tint (3 channels) and Gaussian pixel noise. Pixel templates (nearest class centroid)
 * get part of the arrangement and none of the texture, so they land well above chance but far
 * from perfect (about 0.3 for 6 classes), while each factor is recoverable from the statistic of
 * its own scale (see test/unit/data/synthetic.test.ts).
 *
 * Every image is generated from its own counter-based stream (seed, part, index), so the first
 * N images are the same whatever N. Generation is O(pixels), cheap next to a search.
 */
import { Rng } from '../random/rng.js';
import type { LabelledImages } from './types.js';

export const SYNTHETIC_TEXTURES = ['h-stripes', 'v-stripes', 'checker'] as const;
export const SYNTHETIC_ARRANGEMENTS = ['side-by-side', 'stacked'] as const;
/** Class c = texture (c mod 3) × arrangement (⌊c / 3⌋). */
export const SYNTHETIC_CLASSES: readonly string[] = SYNTHETIC_ARRANGEMENTS.flatMap((a) =>
  SYNTHETIC_TEXTURES.map((t) => `${t} ${a}`),
);
/** Size when `image` is not given. */
export const SYNTHETIC_DEFAULT_SIZE = 16;
/** Available synthetic examples per part (the cap only exists so `train` has a bound). */
export const SYNTHETIC_TRAIN_COUNT = 1_000_000;
export const SYNTHETIC_TEST_COUNT = 100_000;

/** Texture value in [-1, 1] at (y, x) for a texture kind and phase. */
function texture(kind: number, y: number, x: number, phase: number): number {
  const v = kind === 0 ? y + phase : kind === 1 ? x + phase : x + y + phase;
  return v % 2 === 0 ? 1 : -1;
}

/**
 * Draws one image of class `label` into `out`.
 * @param out uint8 HWC destination, shape [size, size, channels]
 */
function drawImage(out: Uint8Array, size: number, channels: number, label: number, rng: Rng): void {
  const kind = label % SYNTHETIC_TEXTURES.length;
  const stacked = label >= SYNTHETIC_TEXTURES.length;
  const base = rng.uniform(50, 110);
  const gy = rng.uniform(-25, 25) / size;
  const gx = rng.uniform(-25, 25) / size;
  const noise = rng.uniform(6, 16);
  const amp = rng.uniform(35, 60);
  const lift = rng.uniform(20, 60);
  const phase = rng.int(2);
  // Patch side ~ a third of the image; along the arrangement axis the pair must fit with a gap.
  const p = Math.max(2, Math.round(size * rng.uniform(0.26, 0.34)));
  const gap = Math.max(1, Math.round(size * rng.uniform(0.05, 0.2)));
  const along = 2 * p + gap;
  // Placement is random but centred (±12 % along the pair, ±20 % across), so the pair's layout
  // leaves a weak trace in the mean image: templates do a little better than chance, no more.
  const clamp = (v: number, hi: number): number => Math.min(Math.max(Math.round(v), 0), Math.max(0, hi));
  const a0 = clamp((size - along) / 2 + rng.uniform(-0.12, 0.12) * size, size - along);
  const b0 = clamp((size - p) / 2 + rng.uniform(-0.2, 0.2) * size, size - p);
  // Small independent jitter across the arrangement axis keeps the pair from being a rigid template.
  const jitter = Math.round(rng.uniform(-0.08, 0.08) * size);
  const patches: [number, number][] = [
    [a0, b0],
    [a0 + p + gap, Math.min(Math.max(b0 + jitter, 0), size - p)],
  ];
  const tint = channels === 3 ? [rng.uniform(0.6, 1.1), rng.uniform(0.6, 1.1), rng.uniform(0.6, 1.1)] : [1];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = base + gy * (y - size / 2) + gx * (x - size / 2);
      for (const [a, b] of patches) {
        const py = stacked ? a : b;
        const px = stacked ? b : a;
        if (y >= py && y < py + p && x >= px && x < px + p) v += lift + amp * texture(kind, y, x, phase);
      }
      for (let c = 0; c < channels; c++) {
        const value = v * tint[c]! + noise * rng.normal();
        out[(y * size + x) * channels + c] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}

/**
 * Generates synthetic examples of one part.
 * @param part 'train' or 'test': independent streams of the same distribution
 * @param indices which examples (their number in the part's endless stream)
 * @returns uint8 NHWC images [indices.length, size, size, channels] and their labels
 */
export function generateSynthetic(
  seed: number,
  part: 'train' | 'test',
  indices: Int32Array,
  size: number = SYNTHETIC_DEFAULT_SIZE,
  channels: 1 | 3 = 3,
): LabelledImages {
  const per = size * size * channels;
  const images = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  const stream = `synthetic/${part}`;
  for (let i = 0; i < indices.length; i++) {
    const rng = Rng.stream(seed, stream, indices[i]);
    // Classes cycle with a random offset per block of 6, so any prefix is nearly balanced.
    const block = Math.floor(indices[i] / SYNTHETIC_CLASSES.length);
    const offset = Rng.stream(seed, stream, -1 - block).int(SYNTHETIC_CLASSES.length);
    const label = (indices[i] + offset) % SYNTHETIC_CLASSES.length;
    labels[i] = label;
    drawImage(images.subarray(i * per, (i + 1) * per), size, channels, label, rng);
  }
  return { images, labels, count: indices.length, height: size, width: size, channels };
}
