/**
 * The typed, defaults-filled description of a search space: what validation of a `.bnas`
 * file produces (`loadSearchSpace(text) → {space, diagnostics}`) and what the runtime consumes.
 * Plain immutable data, JSON-serialisable (it travels in events and checkpoints).
 * Contract: section 2 of the search-space language document.
 */

/** The built-in candidate op names, in the order docs/language.md lists them ("Built-in ops"). */
export const BUILTIN_OPS = [
  'none',
  'skip_connect',
  'max_pool_3x3',
  'avg_pool_3x3',
  'sep_conv_3x3',
  'sep_conv_5x5',
  'dil_conv_3x3',
  'dil_conv_5x5',
  'conv_1x1',
  'conv_3x3',
] as const;
export type BuiltinOpName = (typeof BUILTIN_OPS)[number];

/** The 8 DARTS ops: the default of `ops`. */
export const DARTS_OPS: readonly BuiltinOpName[] = [
  'none',
  'max_pool_3x3',
  'avg_pool_3x3',
  'skip_connect',
  'sep_conv_3x3',
  'sep_conv_5x5',
  'dil_conv_3x3',
  'dil_conv_5x5',
];

export const OP_KINDS = ['conv', 'sep_conv', 'dil_conv', 'max_pool', 'avg_pool', 'skip', 'zero'] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** Op kinds without learnable weights (a skip only at stride 1). */
const PARAM_FREE_KINDS: ReadonlySet<OpKind> = new Set(['max_pool', 'avg_pool', 'skip', 'zero']);

/**
 * Whether an op of `kind` at `stride` is parameter-free (pooling, identity skip-connect, none); a
 * stride-2 skip is a factorized reduce with 1×1 convs.
 */
export function isParamFree(kind: OpKind, stride = 1): boolean {
  return PARAM_FREE_KINDS.has(kind) && !(kind === 'skip' && stride === 2);
}

/**
 * Counts the parameter-free edges of a derived cell (`[op name, input]` pairs) among `ops`: in a
 * reduction cell the edges from its two inputs have stride 2, and an op name `ops` lacks counts as
 * having weights. The op table is read once, so the counter is cheap to call in a loop.
 */
export function paramFreeCounter(ops: readonly { readonly name: string; readonly kind: OpKind }[]): (edges: readonly (readonly [string, number])[], reduction: boolean) => number {
  const kindOf = new Map(ops.map((o) => [o.name, o.kind]));
  return (edges, reduction) =>
    edges.filter(([op, input]) => {
      const k = kindOf.get(op);
      return k !== undefined && isParamFree(k, reduction && input < 2 ? 2 : 1);
    }).length;
}

/** Conv kinds that take the identity shortcut of `binarize.shortcut` at stride 1. */
const SHORTCUT_KINDS: ReadonlySet<OpKind> = new Set(['conv', 'sep_conv', 'dil_conv']);

/** Whether an op of `kind` at `stride` gets the identity shortcut when the space asks for it. */
export function takesShortcut(kind: OpKind, stride: number): boolean {
  return stride === 1 && SHORTCUT_KINDS.has(kind);
}

/**
 * One candidate op, built-in or user-defined, resolved to primitive form.
 * Built-ins map to: none → zero; skip_connect → skip; max_pool_3x3 → max_pool k3;
 * avg_pool_3x3 → avg_pool k3; sep_conv_k → sep_conv k; dil_conv_k → dil_conv k, dilation 2;
 * conv_k → conv k.
 */
export interface OpSpec {
  /** Name used in `ops`, genotypes and events. */
  readonly name: string;
  readonly kind: OpKind;
  /** Odd kernel size (square). */
  readonly kernel: number;
  readonly dilation: number;
  /** How many times the primitive is stacked. */
  readonly repeat: number;
  readonly builtin: boolean;
}

export type DataSource = 'synthetic' | 'mnist' | 'fashion-mnist' | 'idx' | 'cifar10';

export interface DataSpec {
  readonly source: DataSource;
  /** Absolute path (resolved against the `.bnas` file's folder when known), or undefined. */
  readonly path?: string;
  readonly train: number;
  readonly split: number;
  readonly test: number;
  /** Resize to image×image; undefined = the source's own size. */
  readonly image?: number;
  readonly augment: readonly ('crop' | 'flip')[];
}

export interface SupernetSpec {
  readonly cells: number;
  /** Indices of reduction cells, sorted ascending, distinct. */
  readonly reductions: readonly number[];
  readonly channels: number;
  readonly nodes: number;
  readonly stemMultiplier: number;
}

export interface BinarizeSpec {
  readonly weights: 'xnor' | 'sign' | 'none';
  readonly scale: 'layer' | 'channel';
  readonly activations: 'sign' | 'real';
  readonly keepReal: readonly ('stem' | 'preprocess' | 'classifier')[];
  /** A real identity shortcut around every stride-1 conv op (absent in spaces built by hand: off). */
  readonly shortcut?: boolean;
  /**
   * In the search, the conv branch inside the shortcut is scaled by a learned gain per op and edge
   * that starts at this value: x + g·op(x) (absent: no gain, x + op(x)).
   */
  readonly shortcutGain?: number;
  /**
   * Epochs over which the search's quantizers blend from real to binary (λ from 0 to 1, per step);
   * absent or 0: fully binary from the start (docs/method.md, "Progressive binarization").
   */
  readonly progressive?: number;
}

export interface SamplingSpec {
  readonly k: number;
  readonly shuffle: boolean;
  readonly edgeNormalization: boolean;
}

/** The pruning criteria of `pruning.criterion`. */
export const PRUNING_CRITERIA = ['performance', 'ucb', 'alpha', 'none'] as const;
export type PruningCriterion = (typeof PRUNING_CRITERIA)[number];

export interface PruningSpec {
  readonly criterion: PruningCriterion;
  readonly start: number;
  readonly every: number;
  readonly drop: number;
  readonly samples: number;
  readonly ucbC: number;
  /** `performance`: z of the paired comparison that lets evidence decide (`pruning.confidence`, 2 by default); 0: the BNAS rule. */
  readonly confidence: number;
}

export interface TrainSpec {
  readonly epochs: number;
  readonly batch: number;
  readonly warmup: number;
  readonly seed: number;
  /** Images per micro-batch (`train.micro_batch`); absent: chosen by {@link microBatchPlan} of runtime/dsl/memory.ts. */
  readonly microBatch?: number;
}

export interface OptimizerSpec {
  readonly kind: 'sgd' | 'adam';
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  /** Global-norm clip; 0 or undefined = no clipping. */
  readonly gradClip?: number;
  readonly schedule: 'constant' | 'cosine';
}

/** Which ops search-time dropout covers (docs/method.md, "Collapse"). */
export type DropoutOps = 'skip' | 'param_free';

export interface RegularizeSpec {
  readonly diversity: number;
  readonly tau: number;
  /** Dropout rate on parameter-free ops during the search's training steps; absent or 0 = off. */
  readonly dropout?: number;
  /** Which ops it covers (default `skip`). */
  readonly dropoutOps?: DropoutOps;
  /** Exponential decay of the rate per epoch after the warm-up (default 0.2). */
  readonly dropoutDecay?: number;
}

/**
 * The default cap on parameter-free ops per derived cell (`derive.max_param_free`), chosen by
 * measurement (docs/method.md, "Collapse").
 */
export const DEFAULT_MAX_PARAM_FREE = 2;

/**
 * The default cap on edges from intermediate nodes per derived cell (`derive.max_inner_edges`),
 * chosen by measurement (docs/method.md, "Derivation").
 */
export const DEFAULT_MAX_INNER_EDGES = 1;

/** Architecture-split batches each edge-removal probe of derivation measures (`derive.probe_batches`). */
export const DEFAULT_PROBE_BATCHES = 8;

/** The most edges from intermediate nodes a derived cell can have: node j reads at most min(2, j) of them. */
export const innerEdgeBound = (nodes: number): number => Array.from({ length: nodes }, (_, j) => Math.min(2, j)).reduce((a, b) => a + b, 0);

/**
 * A full-precision parent search that runs first and whose op distribution guides the binary
 * search's α (docs/method.md, "Parent guide").
 */
export interface GuideSpec {
  /** Only `real` exists: a spec is present only when the guide is on. */
  readonly parent: 'real';
  /** Epochs of the parent search (its warm-up is `train.warmup`). */
  readonly epochs: number;
  /** Weight of the KL term in the architecture loss. */
  readonly weight: number;
  /** `linear`: the weight falls linearly over the architecture epochs; `none`: constant. */
  readonly decay: 'linear' | 'none';
}

export interface DeriveSpec {
  /** At most this many parameter-free ops per derived cell; undefined = no limit. */
  readonly maxParamFree?: number;
  /** How a node's input edges are ranked (`derive.edges`); undefined = `weight`. */
  readonly edges?: 'weight' | 'beta' | 'removal';
  /** With `edges = removal`: architecture-split batches each removal probe measures (`derive.probe_batches`). */
  readonly probeBatches?: number;
  /** At most this many edges per derived cell from intermediate nodes (`derive.max_inner_edges`); undefined = no limit. */
  readonly maxInnerEdges?: number;
}

export interface BudgetSpec {
  readonly memoryMb: number;
  readonly minutes?: number;
}

/** A validated search space with every default filled in. */
export interface SearchSpace {
  /** The name after `search`. */
  readonly name: string;
  readonly data: DataSpec;
  readonly supernet: SupernetSpec;
  /** Candidate ops in declaration order (names unique), resolved to primitives. */
  readonly ops: readonly OpSpec[];
  readonly binarize: BinarizeSpec;
  readonly sampling: SamplingSpec;
  readonly pruning: PruningSpec;
  readonly train: TrainSpec;
  readonly optimizers: { readonly weights: OptimizerSpec; readonly arch: OptimizerSpec };
  readonly regularize: RegularizeSpec;
  /** Absent in spaces built by hand (tests): no derivation limits. */
  readonly derive?: DeriveSpec;
  /** Absent unless `guide.parent = real`: no parent search. */
  readonly guide?: GuideSpec;
  readonly budget: BudgetSpec;
}
