/**
 * What the supernet benches share: a space file loaded (diagnostics as an error), and random
 * batches of its batch size and image size (a step's cost does not depend on the values).
 */
import { readFileSync } from 'node:fs';
import type { Batch } from '../../runtime/data/index.js';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { Rng } from '../../runtime/search/rng.js';

/** The space of `file`, its image size, 10 classes, and a seeded random-batch maker. */
export function benchSpace(file: string): { space: SearchSpace; size: number; classes: number; batch: () => Batch } {
  const { space, diagnostics } = loadSearchSpace(readFileSync(file, 'utf8'), { filePath: file, checkFiles: false });
  if (!space) throw new Error(`${file}: ${diagnostics.map((d) => d.message).join('; ')}`);
  const size = space.data.image ?? 16;
  const classes = 10;
  const rng = new Rng(1);
  const batch = (): Batch => {
    const n = space.train.batch;
    return {
      x: new Float32Array(n * size * size * 3).map(() => rng.normal()),
      y: Int32Array.from({ length: n }, () => rng.int(classes)),
      n,
      shape: [n, size, size, 3],
    };
  };
  return { space, size, classes, batch };
}
