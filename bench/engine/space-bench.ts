/**
 * What the supernet benches share: their command line (`--space`, `--set key=value`, `--steps`,
 * `--out`, `--backend` and their own options), a space loaded with its settings (bench/space-args.ts), and random
 * batches of its batch size and image size (a step's cost does not depend on the values).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Batch } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { Rng } from '../../runtime/random/rng.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

/** The space of `file` with `sets` applied, its image size, 10 classes, and a seeded random-batch maker. */
export function benchSpace(file: string, sets: readonly string[] = []): { space: SearchSpace; label: string; size: number; classes: number; batch: () => Batch } {
  const { space, label } = loadBenchSpace(file, sets);
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
  return { space, label, size, classes, batch };
}

/** The common options of a space bench, with `extra` options of its own. */
export function benchArgs(defaults: { space: string; steps: number }, extra: NonNullable<ParseArgsConfig['options']> = {}) {
  const values: Record<string, string | boolean | (string | boolean)[] | undefined> = parseArgs({
    options: {
      ...spaceOptions(defaults.space),
      steps: { type: 'string', default: String(defaults.steps) },
      out: { type: 'string', default: 'bench/engine/results' },
      backend: { type: 'string', default: 'wasm' },
      ...extra,
    },
  }).values;
  return { values, file: values.space as string, sets: (values.set ?? []) as string[], steps: Number(values.steps), out: values.out as string, backend: values.backend as 'wasm' | 'cpu' | 'node' | 'auto' };
}
