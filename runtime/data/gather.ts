/** Copies chosen examples out of a source's storage into a compact set. */
import type { LabelledImages } from './types.js';

/**
 * Copies the examples at `indices` into new arrays.
 * @param pixels uint8 NHWC pixels of the whole source part, shape [N, height, width, channels]
 * @param labels class index per source example, shape [N]
 * @param shape the per-image size
 * @param indices which examples, in the order wanted
 */
export function gatherImages(
  pixels: Uint8Array,
  labels: ArrayLike<number>,
  shape: { readonly height: number; readonly width: number; readonly channels: number },
  indices: Int32Array,
): LabelledImages {
  const per = shape.height * shape.width * shape.channels;
  const images = new Uint8Array(indices.length * per);
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(pixels.subarray(k * per, (k + 1) * per), i * per);
    out[i] = labels[k];
  }
  return { images, labels: out, count: indices.length, ...pick(shape) };
}

function pick(shape: { readonly height: number; readonly width: number; readonly channels: number }) {
  return { height: shape.height, width: shape.width, channels: shape.channels };
}
