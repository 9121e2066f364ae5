/**
 * Diagnostics of `.bnas` documents: the shape every check returns (LSP-compatible positions) and
 * the registry of diagnostic codes. A code is a stable kebab-case string: editors, quick fixes,
 * tests and the generated reference page (`docs/language.md`) all key on it, so codes are only
 * ever added, never renamed.
 */

/** A zero-based position (line, UTF-16 character), as in the Language Server Protocol. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

/** A zero-based, end-exclusive range, as in the Language Server Protocol. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

/**
 * Machine-readable extras a quick fix can apply. `suggestion` is the replacement text for
 * `range` of the diagnostic (a "did you mean" name, a value without quotes, ...).
 */
export interface DiagnosticData {
  /** Replacement text for the diagnostic's range. */
  readonly suggestion?: string;
  /** For misplaced attributes: the block the attribute belongs in. */
  readonly block?: string;
  /** For `memory-over-budget`: the estimate in MB. */
  readonly estimateMb?: number;
}

/** One problem found in a `.bnas` document. */
export interface BnasDiagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  /** Says what is wrong and what is allowed. */
  readonly message: string;
  readonly range: Range;
  readonly data?: DiagnosticData;
}

/** Documentation of one diagnostic code (for the reference page and hovers). */
export interface DiagnosticCodeInfo {
  readonly severity: Severity;
  /** What the check catches, one or two sentences. */
  readonly doc: string;
  /** Language version that introduced the code. */
  readonly since: string;
}

/** Every diagnostic code, with its default severity and documentation. */
export const DIAGNOSTIC_CODES = {
  'syntax-error': {
    severity: 'error',
    doc: 'The text does not follow the syntax `search NAME { ... }` with blocks `name { ... }` and attributes `name = value`. Parsing recovers, so later problems are still reported.',
    since: '1',
  },
  'unexpected-character': {
    severity: 'error',
    doc: 'A character that cannot start any token (for example `@` or `$`). It is skipped.',
    since: '1',
  },
  'malformed-value': {
    severity: 'error',
    doc: 'Text that looks like a number or size but is neither (`3x3x3`, `5abc`, `1.2.3`), or a string without its closing quote.',
    since: '1',
  },
  'unknown-block': {
    severity: 'error',
    doc: 'A block name the schema does not know, or a block nested inside another block. Suggests the closest known block name.',
    since: '1',
  },
  'missing-block-name': {
    severity: 'error',
    doc: 'A block that needs a name has none: `op NAME { ... }`, `optimizer weights { ... }` or `optimizer arch { ... }`.',
    since: '1',
  },
  'unexpected-block-name': {
    severity: 'error',
    doc: 'A name after a block that takes none (for example `data foo { ... }`).',
    since: '1',
  },
  'unknown-block-name': {
    severity: 'error',
    doc: 'A block name outside the allowed set (for example `optimizer model`: only `weights` and `arch` exist).',
    since: '1',
  },
  'duplicate-block': {
    severity: 'error',
    doc: 'A block written twice (two `data` blocks, two `optimizer weights`, two `op` blocks with one name). The second one is reported.',
    since: '1',
  },
  'unknown-attribute': {
    severity: 'error',
    doc: 'An attribute the block does not have. Suggests the closest attribute of the block, or the block where the attribute belongs.',
    since: '1',
  },
  'duplicate-attribute': {
    severity: 'error',
    doc: 'An attribute set twice in one block. The second one is reported.',
    since: '1',
  },
  'missing-attribute': {
    severity: 'error',
    doc: 'A required attribute is absent: `kind` in an `op` block, `path` for `idx` and `cifar10` data.',
    since: '1',
  },
  'wrong-type': {
    severity: 'error',
    doc: 'A value of the wrong type (a name where a number is needed, a list where one value is needed, a fraction where an integer is needed, ...).',
    since: '1',
  },
  'out-of-range': {
    severity: 'error',
    doc: 'A number outside the range the attribute allows (for example `cells = 40`; cells are 1..32).',
    since: '1',
  },
  'unknown-value': {
    severity: 'error',
    doc: 'A name that is not one of the attribute\'s allowed values. Suggests the closest allowed value.',
    since: '1',
  },
  'duplicate-value': {
    severity: 'error',
    doc: 'The same value listed twice in a list that is a set (`augment`, `keep_real`).',
    since: '1',
  },
  'unknown-op': {
    severity: 'error',
    doc: 'A name in `ops` that is neither a built-in op nor an `op` block. Suggests the closest op name.',
    since: '1',
  },
  'duplicate-op': {
    severity: 'error',
    doc: 'The same op listed twice in `ops`.',
    since: '1',
  },
  'op-redefines-builtin': {
    severity: 'error',
    doc: 'An `op` block named like a built-in op; custom ops need their own names.',
    since: '1',
  },
  'unused-op': {
    severity: 'warning',
    doc: 'An `op` block that is not listed in `ops`, so the search never uses it.',
    since: '1',
  },
  'empty-ops': {
    severity: 'error',
    doc: '`ops` is empty or holds only `none`: there is nothing to search.',
    since: '1',
  },
  'reduction-out-of-range': {
    severity: 'error',
    doc: 'A reduction cell index outside 0..cells-1.',
    since: '1',
  },
  'duplicate-reduction': {
    severity: 'error',
    doc: 'The same cell index listed twice in `reductions`.',
    since: '1',
  },
  'k-not-divisor': {
    severity: 'error',
    doc: '`sampling.k` does not divide the channel count of some cell (channels double at each reduction cell), so the channels cannot be split into k parts.',
    since: '1',
  },
  'even-kernel': {
    severity: 'error',
    doc: 'An even kernel size: kernels must be odd so that "same" padding keeps the image size.',
    since: '1',
  },
  'non-square-kernel': {
    severity: 'error',
    doc: 'A kernel size like `3x5`: kernels are square.',
    since: '1',
  },
  'warmup-too-long': {
    severity: 'error',
    doc: '`train.warmup` is at least `train.epochs`, so the architecture parameters would never move.',
    since: '1',
  },
  'pruning-start-too-late': {
    severity: 'error',
    doc: '`pruning.start` is at least `train.epochs`, so no op would ever be dropped.',
    since: '1',
  },
  'pruning-incomplete': {
    severity: 'warning',
    doc: 'Pruning cannot reach one op per edge within the epochs; the message says how many rounds are needed and how many there are.',
    since: '1',
  },
  'path-not-found': {
    severity: 'error',
    doc: '`data.path` does not exist or is not a folder (checked only where a file system is available).',
    since: '1',
  },
  'data-files-missing': {
    severity: 'warning',
    doc: '`data.path` exists but lacks files the source needs (the four IDX files, or the CIFAR-10 binary batches).',
    since: '1',
  },
  'ignored-attribute': {
    severity: 'info',
    doc: 'An attribute that has no effect with the other settings (`ucb_c` without `criterion = ucb`, `path` for `mnist`, `momentum` with Adam, ...).',
    since: '1',
  },
  'binarization-incomplete': {
    severity: 'warning',
    doc: '`binarize.progressive` is longer than `train.epochs`: the search ends before its quantizers are fully binary.',
    since: '1',
  },
  'guide-too-short': {
    severity: 'error',
    doc: '`guide.epochs` is not more than `train.warmup`: the parent search would never move its architecture parameters, so it could guide nothing.',
    since: '1',
  },
  'not-binary': {
    severity: 'warning',
    doc: '`binarize` with `weights = none` and `activations = real`: the search is not binary.',
    since: '1',
  },
  'image-too-small': {
    severity: 'error',
    doc: 'The image is too small for the number of reduction cells: each reduction halves it and at least 1×1 must remain.',
    since: '1',
  },
  'too-many-images': {
    severity: 'error',
    doc: '`data.train` or `data.test` asks for more images than the source has (MNIST and Fashion-MNIST 60000/10000, CIFAR-10 50000/10000).',
    since: '1',
  },
  'batch-too-large': {
    severity: 'warning',
    doc: '`train.batch` is larger than the weight or architecture split of `data.train`, so every step sees the whole split.',
    since: '1',
  },
  'memory-over-budget': {
    severity: 'warning',
    doc: 'The estimated supernet memory (activations kept for the backward pass with partial channels, plus weights) exceeds `budget.memory_mb`.',
    since: '1',
  },
  'pruning-costs-more': {
    severity: 'info',
    doc: 'What a pruning round measures (`performance`: a supernet forward pass per probed op and edge plus the baseline, on each of `samples` batches; `ucb`: samples × K candidate sub-networks, each trained and measured) costs more arithmetic than the ops it abandons save, even if the costliest ops went first: with few steps an epoch, pruning steers the search but does not make it cheaper.',
    since: '1',
  },
  'internal-error': {
    severity: 'error',
    doc: 'A check failed unexpectedly. Please report it with the file; the rest of the editor keeps working.',
    since: '1',
  },
} as const satisfies Record<string, DiagnosticCodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Builds a diagnostic with the code's default severity. */
export function diagnostic(code: DiagnosticCode, message: string, range: Range, data?: DiagnosticData): BnasDiagnostic {
  return data === undefined
    ? { severity: DIAGNOSTIC_CODES[code].severity, code, message, range }
    : { severity: DIAGNOSTIC_CODES[code].severity, code, message, range, data };
}

/** Orders diagnostics by position, then by code, so output is stable. */
export function compareDiagnostics(a: BnasDiagnostic, b: BnasDiagnostic): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    a.code.localeCompare(b.code)
  );
}
