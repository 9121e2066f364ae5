// The tiny space the sweep tests search (local and Slurm executors): seconds per search.
export const sweepSpace = (name: string, epochs: number): string => `search "${name}" {
  data { source = synthetic, train = 96, split = 0.5, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]
  sampling { k = 2 }
  pruning { criterion = alpha, start = 1, every = 1 }
  train { epochs = ${epochs}, batch = 16, warmup = 1, seed = 5 }
}
`;
