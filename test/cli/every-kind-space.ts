// The tiny space the backend tests search end to end (native TensorFlow, WebGPU): every op kind of
// the fused cell (separable and dilated depthwise convs, both pools, skip, none), two epochs.
export const everyKindSpace = (name: string, o: { train: number; test: number; batch: number }): string => `search "${name}" {
  data { source = synthetic, train = ${o.train}, split = 0.5, test = ${o.test}, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, dil_conv_3x3, max_pool_3x3, avg_pool_3x3, skip_connect, none]
  sampling { k = 2 }
  pruning { criterion = performance, start = 1, every = 1, samples = 1 }
  train { epochs = 2, batch = ${o.batch}, warmup = 1, seed = 5 }
}
`;
