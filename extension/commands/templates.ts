/**
 * Starting points for "BNAS: New Search Space". Each template is a complete, valid `.bnas` text
 * with comments that say what to change; `{{name}}` becomes the space name.
 */
export interface SearchSpaceTemplate {
  readonly id: string;
  readonly label: string;
  readonly detail: string;
  readonly text: string;
}

export const TEMPLATES: readonly SearchSpaceTemplate[] = [
  {
    id: 'quick',
    label: 'Quick binary search on synthetic data',
    detail: 'Needs no data set; finishes in a few minutes on a laptop CPU.',
    text: `# A quick binary search on synthetic data: needs nothing, runs in minutes.
search "{{name}}" {
  data { source = synthetic, train = 1000, test = 500, image = 16 }
  supernet { cells = 3, reductions = [1], channels = 8, nodes = 4 }
  ops = [sep_conv_3x3, dil_conv_3x3, max_pool_3x3, avg_pool_3x3, skip_connect, none]
  binarize { weights = xnor, activations = sign }
  sampling { k = 4 }
  pruning { criterion = performance, start = 1, every = 1, samples = 1 }
  train { epochs = 6, batch = 32, warmup = 1, seed = 7 }
}
`,
  },
  {
    id: 'mnist',
    label: 'MNIST with a custom op and UCB pruning',
    detail: 'The bundled MNIST digits, five cells, nine candidate ops.',
    text: `# Binary architecture search on MNIST (bundled with the extension).
search "{{name}}" {
  data {
    source = mnist
    train = 4000
    split = 0.5        # half for the weights, half for the architecture
    test = 2000
    image = 16
    augment = [crop]
  }
  supernet {
    cells = 5
    reductions = [1, 3]
    channels = 8
    nodes = 4
    stem_multiplier = 3
  }
  ops = [sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5,
         max_pool_3x3, avg_pool_3x3, skip_connect, none, wide_dil]

  op wide_dil { kind = dil_conv, kernel = 3x3, dilation = 3 }

  binarize { weights = xnor, scale = layer, activations = sign, keep_real = [stem, classifier] }
  sampling { k = 4, shuffle = true, edge_normalization = true }
  pruning  { criterion = ucb, start = 2, every = 1, drop = 1, samples = 2, ucb_c = 1.41 }
  train    { epochs = 12, batch = 32, warmup = 2, seed = 42 }
  optimizer weights { kind = sgd, lr = 0.025, momentum = 0.9, weight_decay = 3e-4, schedule = cosine, grad_clip = 5 }
  optimizer arch    { kind = adam, lr = 6e-4, betas = [0.5, 0.999], weight_decay = 1e-3 }
  regularize { diversity = 1.0, tau = 7.7 }
}
`,
  },
  {
    id: 'idx',
    label: 'Your own images (IDX files)',
    detail: 'Point data.path at a folder with the four MNIST-format IDX files.',
    text: `# A search on your own data in IDX format: put train-images-idx3-ubyte, train-labels-idx1-ubyte,
# t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (optionally .gz) in the folder below.
search "{{name}}" {
  data { source = idx, path = "data", train = 2000, test = 1000 }
  supernet { cells = 5, channels = 8, nodes = 4 }
  binarize { weights = xnor, activations = sign }
  sampling { k = 4 }
  pruning { criterion = performance, start = 1, every = 1, samples = 2 }
  train { epochs = 8, batch = 32, warmup = 2, seed = 1 }
}
`,
  },
];

/** The template text with its name filled in (quotes and backslashes in the name are escaped). */
export function renderTemplate(t: SearchSpaceTemplate, name: string): string {
  return t.text.replaceAll('{{name}}', name.replace(/[\\"]/g, (c) => `\\${c}`));
}

/** A file name for a space name: letters, digits, `-` and `_` only. */
export function fileNameFor(name: string): string {
  return `${name.trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'search-space'}.bnas`;
}
