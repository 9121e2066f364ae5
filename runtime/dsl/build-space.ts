/**
 * Builds the typed, defaults-filled `SearchSpace` from a checked file. Invalid values fall back to
 * their defaults here so cross-checks can still run on the rest of the file; `loadSearchSpace`
 * only hands out the model when no error was found.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { builtinOpSpec, isBuiltinOp, type SchemaValue } from './schema.js';
import {
  DEFAULT_MAX_INNER_EDGES,
  DEFAULT_PROBE_BATCHES,
  DEFAULT_MAX_PARAM_FREE,
  innerEdgeBound,
  type BinarizeSpec,
  type DataSource,
  type DropoutOps,
  type OpKind,
  type OpSpec,
  type OptimizerSpec,
  type PruningCriterion,
  type SearchSpace,
} from './space.js';
import { settingOf, type CheckedFile } from './structure.js';

function num(v: SchemaValue | undefined, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

function str<T extends string>(v: SchemaValue | undefined, fallback: T): T {
  return typeof v === 'string' ? (v as T) : fallback;
}

function bool(v: SchemaValue | undefined, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function strings<T extends string>(v: SchemaValue | undefined, fallback: readonly T[]): T[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as T[]) : [...fallback];
}

/** The default `reductions`: ⌊L/3⌋ and ⌊2L/3⌋, distinct (the DARTS layout: a third and two thirds in). */
export function defaultReductions(cells: number): number[] {
  return [...new Set([Math.floor(cells / 3), Math.floor((2 * cells) / 3)])].filter((i) => i < cells);
}

/** Resolves `data.path` against the `.bnas` file's folder (or the working directory). */
export function resolveDataPath(path: string, filePath: string | undefined): string {
  if (isAbsolute(path)) return path;
  return resolve(filePath ? dirname(filePath) : process.cwd(), path);
}

/** The op spec of a custom op block (defaults for kernel, dilation, repeat). */
function customOpSpec(checked: CheckedFile, name: string): OpSpec | undefined {
  const block = checked.opBlocks.get(name);
  if (!block) return undefined;
  const get = (attr: string) => block.attributes.get(attr)?.value;
  const kind = get('kind');
  if (typeof kind !== 'string') return undefined;
  return {
    name,
    kind: kind as OpKind,
    kernel: num(get('kernel'), 3),
    dilation: num(get('dilation'), 1),
    repeat: num(get('repeat'), 1),
    builtin: false,
  };
}

/** The candidate ops of the space, resolved; unknown names are skipped (they were reported). */
export function resolveOps(checked: CheckedFile): OpSpec[] {
  const names = strings(settingOf(checked, undefined, 'ops'), []);
  const out: OpSpec[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const spec = isBuiltinOp(name) ? builtinOpSpec(name) : customOpSpec(checked, name);
    if (spec) out.push(spec);
  }
  return out;
}

function optimizer(checked: CheckedFile, which: 'weights' | 'arch'): OptimizerSpec {
  const key = `optimizer ${which}`;
  const get = (attr: string) => settingOf(checked, key, attr);
  const betas = get('betas');
  const clip = get('grad_clip');
  const spec: OptimizerSpec = {
    kind: str(get('kind'), which === 'weights' ? 'sgd' : 'adam'),
    lr: num(get('lr'), which === 'weights' ? 0.025 : 6e-4),
    momentum: num(get('momentum'), 0.9),
    weightDecay: num(get('weight_decay'), which === 'weights' ? 3e-4 : 1e-3),
    betas: Array.isArray(betas) && betas.length === 2 ? [num(betas[0], 0.5), num(betas[1], 0.999)] : [0.5, 0.999],
    schedule: str(get('schedule'), which === 'weights' ? 'cosine' : 'constant'),
  };
  return typeof clip === 'number' ? { ...spec, gradClip: clip } : spec;
}

/**
 * Builds the search space from a checked file.
 *
 * @param filePath the `.bnas` file's path, used to resolve `data.path`.
 */
export function buildSpace(checked: CheckedFile, filePath?: string): SearchSpace {
  const get = (block: string | undefined, attr: string) => settingOf(checked, block, attr);
  const cells = num(get('supernet', 'cells'), 5);
  const reductionsSet = get('supernet', 'reductions');
  const reductions = Array.isArray(reductionsSet)
    ? [...new Set(reductionsSet.filter((x): x is number => typeof x === 'number'))].sort((a, b) => a - b)
    : defaultReductions(cells);
  const path = get('data', 'path');
  const image = get('data', 'image');
  const minutes = get('budget', 'minutes');
  const nodes = num(get('supernet', 'nodes'), 4);
  // A cap at or above what a derived cell can hold (two edges a node; innerEdgeBound inner edges) can never bind, so it is no cap.
  const maxParamFree = num(get('derive', 'max_param_free'), DEFAULT_MAX_PARAM_FREE);
  const capped = maxParamFree < 2 * nodes;
  const maxInner = num(get('derive', 'max_inner_edges'), DEFAULT_MAX_INNER_EDGES);
  const edges = get('derive', 'edges');
  const shortcutGain = get('binarize', 'shortcut_gain');
  const shortcut = bool(get('binarize', 'shortcut'), false);
  const microBatch = get('train', 'micro_batch');
  const progressive = num(get('binarize', 'progressive'), 0);
  const binarize: BinarizeSpec = {
    weights: str(get('binarize', 'weights'), 'xnor'),
    scale: str(get('binarize', 'scale'), 'layer'),
    activations: str(get('binarize', 'activations'), 'sign'),
    keepReal: strings(get('binarize', 'keep_real'), ['stem', 'classifier']),
    shortcut,
    // The gain starts closed unless the file says otherwise (docs/method.md, "Collapse").
    ...(shortcut ? { shortcutGain: typeof shortcutGain === 'number' ? shortcutGain : 0 } : {}),
    ...(progressive > 0 ? { progressive } : {}),
  };
  const name = checked.file.name ?? '';
  return {
    name,
    data: {
      source: str<DataSource>(get('data', 'source'), 'synthetic'),
      ...(typeof path === 'string' ? { path: resolveDataPath(path, filePath) } : {}),
      train: num(get('data', 'train'), 2000),
      split: num(get('data', 'split'), 0.5),
      test: num(get('data', 'test'), 1000),
      ...(typeof image === 'number' ? { image } : {}),
      augment: strings(get('data', 'augment'), []),
    },
    supernet: {
      cells,
      reductions,
      channels: num(get('supernet', 'channels'), 8),
      nodes,
      stemMultiplier: num(get('supernet', 'stem_multiplier'), 3),
    },
    ops: resolveOps(checked),
    binarize,
    sampling: {
      k: num(get('sampling', 'k'), 4),
      shuffle: bool(get('sampling', 'shuffle'), true),
      edgeNormalization: bool(get('sampling', 'edge_normalization'), true),
    },
    pruning: {
      criterion: str<PruningCriterion>(get('pruning', 'criterion'), 'performance'),
      start: num(get('pruning', 'start'), 1),
      every: num(get('pruning', 'every'), 1),
      drop: num(get('pruning', 'drop'), 1),
      samples: num(get('pruning', 'samples'), 2),
      ucbC: num(get('pruning', 'ucb_c'), 1.41),
      confidence: num(get('pruning', 'confidence'), 2),
    },
    train: {
      epochs: num(get('train', 'epochs'), 8),
      batch: num(get('train', 'batch'), 32),
      warmup: num(get('train', 'warmup'), 2),
      seed: num(get('train', 'seed'), 1),
      ...(typeof microBatch === 'number' ? { microBatch } : {}),
    },
    optimizers: { weights: optimizer(checked, 'weights'), arch: optimizer(checked, 'arch') },
    regularize: {
      diversity: num(get('regularize', 'diversity'), 0),
      tau: num(get('regularize', 'tau'), 7.7),
      dropout: num(get('regularize', 'dropout'), 0),
      dropoutOps: str<DropoutOps>(get('regularize', 'dropout_ops'), 'skip'),
      dropoutDecay: num(get('regularize', 'dropout_decay'), 0.2),
    },
    derive: {
      ...(capped ? { maxParamFree } : {}),
      ...(edges === 'beta' ? { edges } : {}),
      ...(edges === 'removal' ? { edges, probeBatches: num(get('derive', 'probe_batches'), DEFAULT_PROBE_BATCHES) } : {}),
      ...(maxInner < innerEdgeBound(nodes) ? { maxInnerEdges: maxInner } : {}),
    },
    ...(get('guide', 'parent') === 'real'
      ? { guide: { parent: 'real' as const, epochs: num(get('guide', 'epochs'), 4), weight: num(get('guide', 'weight'), 1), decay: str<'linear' | 'none'>(get('guide', 'decay'), 'linear') } }
      : {}),
    budget: { memoryMb: num(get('budget', 'memory_mb'), 3000), ...(typeof minutes === 'number' ? { minutes } : {}) },
  };
}
