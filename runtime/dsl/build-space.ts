/**
 * Builds the typed, defaults-filled `SearchSpace` from a checked file. Every default comes from
 * the schema (settingOf gives an attribute's value as written, else its schema default; an invalid
 * value counts as unwritten), so invalid values fall back to their defaults and cross-checks can
 * still run on the rest of the file; `loadSearchSpace` only hands out the model when no error was
 * found. An attribute without a schema default is read as optional, by its type.
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

/** Where a read found no value: the schema lacks a default for an attribute this file reads as required. */
function noDefault(what: string, kind: string): Error {
  return new Error(`the schema gives ${what} no default ${kind}; read it as optional`);
}

function num(v: SchemaValue | undefined, what: string): number {
  if (typeof v === 'number') return v;
  throw noDefault(what, 'number');
}

/** A number the schema documents by a named constant (`defaultText`) rather than a default. */
function numOr(v: SchemaValue | undefined, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

function str<T extends string>(v: SchemaValue | undefined, what: string): T {
  if (typeof v === 'string') return v as T;
  throw noDefault(what, 'string');
}

function bool(v: SchemaValue | undefined, what: string): boolean {
  if (typeof v === 'boolean') return v;
  throw noDefault(what, 'boolean');
}

function strings<T extends string>(v: SchemaValue | undefined, what: string): T[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...(v as T[])];
  throw noDefault(what, 'list of names');
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
  if (!checked.opBlocks.has(name)) return undefined;
  const get = (attr: string) => settingOf(checked, `op ${name}`, attr);
  const kind = get('kind');
  if (typeof kind !== 'string') return undefined;
  return {
    name,
    kind: kind as OpKind,
    kernel: num(get('kernel'), 'op.kernel'),
    dilation: num(get('dilation'), 'op.dilation'),
    repeat: num(get('repeat'), 'op.repeat'),
    builtin: false,
  };
}

/** The candidate ops of the space, resolved; unknown names are skipped (they were reported). */
export function resolveOps(checked: CheckedFile): OpSpec[] {
  const names = strings(settingOf(checked, undefined, 'ops'), 'ops');
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
  if (!Array.isArray(betas) || betas.length !== 2) throw noDefault(`${key}.betas`, 'pair');
  const spec: OptimizerSpec = {
    kind: str(get('kind'), `${key}.kind`),
    lr: num(get('lr'), `${key}.lr`),
    momentum: num(get('momentum'), `${key}.momentum`),
    weightDecay: num(get('weight_decay'), `${key}.weight_decay`),
    betas: [num(betas[0], `${key}.betas`), num(betas[1], `${key}.betas`)],
    schedule: str(get('schedule'), `${key}.schedule`),
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
  const cells = num(get('supernet', 'cells'), 'supernet.cells');
  const reductionsSet = get('supernet', 'reductions');
  const reductions = Array.isArray(reductionsSet)
    ? [...new Set(reductionsSet.filter((x): x is number => typeof x === 'number'))].sort((a, b) => a - b)
    : defaultReductions(cells);
  const path = get('data', 'path');
  const image = get('data', 'image');
  const minutes = get('budget', 'minutes');
  const nodes = num(get('supernet', 'nodes'), 'supernet.nodes');
  // A cap at or above what a derived cell can hold (two edges a node; innerEdgeBound inner edges) can never bind, so it is no cap.
  const maxParamFree = numOr(get('derive', 'max_param_free'), DEFAULT_MAX_PARAM_FREE);
  const capped = maxParamFree < 2 * nodes;
  const maxInner = numOr(get('derive', 'max_inner_edges'), DEFAULT_MAX_INNER_EDGES);
  const edges = get('derive', 'edges');
  const shortcutGain = get('binarize', 'shortcut_gain');
  const shortcut = bool(get('binarize', 'shortcut'), 'binarize.shortcut');
  const microBatch = get('train', 'micro_batch');
  const progressive = num(get('binarize', 'progressive'), 'binarize.progressive');
  const binarize: BinarizeSpec = {
    weights: str(get('binarize', 'weights'), 'binarize.weights'),
    scale: str(get('binarize', 'scale'), 'binarize.scale'),
    activations: str(get('binarize', 'activations'), 'binarize.activations'),
    keepReal: strings(get('binarize', 'keep_real'), 'binarize.keep_real'),
    shortcut,
    // The gain starts closed unless the file says otherwise (docs/method.md, "Collapse").
    ...(shortcut ? { shortcutGain: typeof shortcutGain === 'number' ? shortcutGain : 0 } : {}),
    ...(progressive > 0 ? { progressive } : {}),
  };
  const name = checked.file.name ?? '';
  return {
    name,
    data: {
      source: str<DataSource>(get('data', 'source'), 'data.source'),
      ...(typeof path === 'string' ? { path: resolveDataPath(path, filePath) } : {}),
      train: num(get('data', 'train'), 'data.train'),
      split: num(get('data', 'split'), 'data.split'),
      test: num(get('data', 'test'), 'data.test'),
      ...(typeof image === 'number' ? { image } : {}),
      augment: strings(get('data', 'augment'), 'data.augment'),
    },
    supernet: {
      cells,
      reductions,
      channels: num(get('supernet', 'channels'), 'supernet.channels'),
      nodes,
      stemMultiplier: num(get('supernet', 'stem_multiplier'), 'supernet.stem_multiplier'),
    },
    ops: resolveOps(checked),
    binarize,
    sampling: {
      k: num(get('sampling', 'k'), 'sampling.k'),
      shuffle: bool(get('sampling', 'shuffle'), 'sampling.shuffle'),
      edgeNormalization: bool(get('sampling', 'edge_normalization'), 'sampling.edge_normalization'),
    },
    pruning: {
      criterion: str<PruningCriterion>(get('pruning', 'criterion'), 'pruning.criterion'),
      start: num(get('pruning', 'start'), 'pruning.start'),
      every: num(get('pruning', 'every'), 'pruning.every'),
      drop: num(get('pruning', 'drop'), 'pruning.drop'),
      samples: num(get('pruning', 'samples'), 'pruning.samples'),
      ucbC: num(get('pruning', 'ucb_c'), 'pruning.ucb_c'),
      confidence: num(get('pruning', 'confidence'), 'pruning.confidence'),
    },
    train: {
      epochs: num(get('train', 'epochs'), 'train.epochs'),
      batch: num(get('train', 'batch'), 'train.batch'),
      warmup: num(get('train', 'warmup'), 'train.warmup'),
      seed: num(get('train', 'seed'), 'train.seed'),
      ...(typeof microBatch === 'number' ? { microBatch } : {}),
    },
    optimizers: { weights: optimizer(checked, 'weights'), arch: optimizer(checked, 'arch') },
    regularize: {
      diversity: num(get('regularize', 'diversity'), 'regularize.diversity'),
      tau: num(get('regularize', 'tau'), 'regularize.tau'),
      dropout: num(get('regularize', 'dropout'), 'regularize.dropout'),
      dropoutOps: str<DropoutOps>(get('regularize', 'dropout_ops'), 'regularize.dropout_ops'),
      dropoutDecay: num(get('regularize', 'dropout_decay'), 'regularize.dropout_decay'),
    },
    derive: {
      ...(capped ? { maxParamFree } : {}),
      ...(edges === 'beta' ? { edges } : {}),
      ...(edges === 'removal' ? { edges, probeBatches: numOr(get('derive', 'probe_batches'), DEFAULT_PROBE_BATCHES) } : {}),
      ...(maxInner < innerEdgeBound(nodes) ? { maxInnerEdges: maxInner } : {}),
    },
    ...(get('guide', 'parent') === 'real'
      ? { guide: { parent: 'real' as const, epochs: num(get('guide', 'epochs'), 'guide.epochs'), weight: num(get('guide', 'weight'), 'guide.weight'), decay: str<'linear' | 'none'>(get('guide', 'decay'), 'guide.decay') } }
      : {}),
    budget: { memoryMb: num(get('budget', 'memory_mb'), 'budget.memory_mb'), ...(typeof minutes === 'number' ? { minutes } : {}) },
  };
}
