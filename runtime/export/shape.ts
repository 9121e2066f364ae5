/**
 * The input a space's network was built for, without loading the data: the source's channels and
 * classes (opening the source reads only its headers), the image size after the space's `image`.
 */
import { openSource } from '../data/sources.js';
import { classesOf, imageSizeOf, inputChannelsOf } from '../dsl/memory.js';
import type { SearchSpace } from '../dsl/space.js';
import type { ExportShape } from './pytorch.js';

/**
 * INPUT_SHAPE and NUM_CLASSES of an exported network. When the source cannot be opened here (its
 * files are elsewhere), the language's defaults for the source stand in.
 */
export async function exportShapeOf(space: SearchSpace): Promise<ExportShape> {
  try {
    const r = await openSource(space.data, { seed: space.train.seed });
    const size = space.data.image;
    return { input: [r.channels, size ?? r.height, size ?? r.width], numClasses: r.numClasses };
  } catch {
    const size = imageSizeOf(space);
    return { input: [inputChannelsOf(space), size, size], numClasses: classesOf(space) };
  }
}
