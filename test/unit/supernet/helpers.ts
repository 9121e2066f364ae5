/** A small SearchSpace for tests, with every default filled in (overrides per test). */
import type { SearchSpace } from '../../../runtime/dsl/space.js';

/** Every op kind of the fused cell once: none, skip, both pools, separable, dilated and dense 3×3 convs. */
export const ALL_KIND_OPS: SearchSpace['ops'] = [
  { name: 'none', kind: 'zero', kernel: 1, dilation: 1, repeat: 1, builtin: true },
  { name: 'skip_connect', kind: 'skip', kernel: 1, dilation: 1, repeat: 1, builtin: true },
  { name: 'max_pool_3x3', kind: 'max_pool', kernel: 3, dilation: 1, repeat: 1, builtin: true },
  { name: 'avg_pool_3x3', kind: 'avg_pool', kernel: 3, dilation: 1, repeat: 1, builtin: true },
  { name: 'sep_conv_3x3', kind: 'sep_conv', kernel: 3, dilation: 1, repeat: 1, builtin: true },
  { name: 'dil_conv_3x3', kind: 'dil_conv', kernel: 3, dilation: 2, repeat: 1, builtin: true },
  { name: 'conv_3x3', kind: 'conv', kernel: 3, dilation: 1, repeat: 1, builtin: true },
];

export function tinySpace(over: Partial<{ [K in keyof SearchSpace]: Partial<SearchSpace[K]> }> = {}): SearchSpace {
  const base: SearchSpace = {
    name: 'tiny',
    data: { source: 'synthetic', train: 64, split: 0.5, test: 32, image: 8, augment: [] },
    supernet: { cells: 2, reductions: [1], channels: 4, nodes: 2, stemMultiplier: 2 },
    ops: [
      { name: 'none', kind: 'zero', kernel: 1, dilation: 1, repeat: 1, builtin: true },
      { name: 'skip_connect', kind: 'skip', kernel: 1, dilation: 1, repeat: 1, builtin: true },
      { name: 'max_pool_3x3', kind: 'max_pool', kernel: 3, dilation: 1, repeat: 1, builtin: true },
      { name: 'sep_conv_3x3', kind: 'sep_conv', kernel: 3, dilation: 1, repeat: 1, builtin: true },
    ],
    binarize: { weights: 'xnor', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'] },
    sampling: { k: 2, shuffle: true, edgeNormalization: true },
    pruning: { criterion: 'alpha', start: 1, every: 1, drop: 1, samples: 1, ucbC: 1.41, confidence: 0 },
    train: { epochs: 2, batch: 8, warmup: 0, seed: 3 },
    optimizers: {
      weights: { kind: 'sgd', lr: 0.025, momentum: 0.9, weightDecay: 3e-4, betas: [0.5, 0.999], gradClip: 5, schedule: 'cosine' },
      arch: { kind: 'adam', lr: 6e-4, momentum: 0.9, weightDecay: 1e-3, betas: [0.5, 0.999], schedule: 'constant' },
    },
    regularize: { diversity: 0, tau: 7.7 },
    budget: { memoryMb: 3000 },
  };
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = (base as unknown as Record<string, unknown>)[k];
    out[k] = Array.isArray(v) || typeof b !== 'object' ? v : { ...(b as object), ...(v as object) };
  }
  return out as unknown as SearchSpace;
}
