/**
 * Public API of the `.bnas` language core: load a search space from text, with diagnostics.
 * Everything here is plain Node (no VS Code, no TensorFlow.js).
 */
import type { SearchFile } from './generated/ast.js';
import { analyzeParseResult, type Analysis } from './analyze.js';
import { compareDiagnostics, diagnostic, type BnasDiagnostic } from './diagnostics.js';
import { getBnasCoreServices, resetBnasCoreServices } from './module.js';
import type { SearchSpace } from './space.js';

export type { SearchSpace } from './space.js';
export * from './space.js';
export * from './diagnostics.js';
export * from './schema.js';
export { estimateSupernetCompute, computeWithAlive, opMacsPerPixel, type ComputeEstimate, type ComputeCellKind } from './compute.js';
export { searchMacs, totalMacs, boundEvents, pruningBounds, unprunedMacs, stepsPerEpochOf, firstRoundWork, type EpochMacs, type EpochWork, type RoundWork, type PruneEvent, type PruningBounds } from './search-compute.js';
export { estimateSupernetMemory, cellChannels, classesOf, imageSizeOf, inputChannelsOf, microBatchPlan, HEAP_MB, HEAP_SHARE, SYSTEM_BACKENDS, type MemoryEstimate, type CellMemory, type MicroBatchPlan } from './memory.js';
export { indexOps, resolveOp, opReferences, opAt, availableOpNames, type OpIndex, type OpDefinition, type OpUsage, type OpTarget } from './ops.js';
export { pruningRoundEpochs, pruningRoundsNeeded } from './cross-checks.js';
export { defaultReductions } from './build-space.js';
export { closestName, editDistance } from './suggest.js';
export { analyzeParseResult, type Analysis, type AnalyzeOptions } from './analyze.js';
export { LineIndex } from './line-index.js';
export { MAX_NESTING } from './nesting.js';

/** Options of {@link loadSearchSpace}. */
export interface LoadOptions {
  /** Path of the `.bnas` file: `data.path` is resolved against its folder. */
  readonly filePath?: string;
  /** Check that `data.path` exists (default false: pure text analysis). */
  readonly checkFiles?: boolean;
}

/** The result of {@link loadSearchSpace}. */
export interface LoadResult {
  /** The defaults-filled model; present exactly when no diagnostic is an error. */
  readonly space?: SearchSpace;
  /** Every problem found, sorted by position. */
  readonly diagnostics: readonly BnasDiagnostic[];
}

/**
 * Parses and validates a `.bnas` text. Never throws. Reuses one parser per process, so calls
 * after the first are fast.
 *
 * @param text the document text.
 * @returns the model (when there are no errors) and every diagnostic.
 */
export function loadSearchSpace(text: string, options: LoadOptions = {}): LoadResult {
  const { space, diagnostics } = analyzeText(text, options);
  return space ? { space, diagnostics } : { diagnostics };
}

/**
 * Like {@link loadSearchSpace}, but also returns the parsed file (for tools that need ranges:
 * op references, outline, the search-space view). Never throws.
 */
export function analyzeText(text: string, options: LoadOptions = {}): Analysis & { readonly ast?: SearchFile } {
  try {
    const parse = getBnasCoreServices().parser.LangiumParser.parse<SearchFile>(String(text));
    return analyzeParseResult(parse, String(text), options);
  } catch (err) {
    resetBnasCoreServices();
    const message = err instanceof Error ? err.message : String(err);
    const at = { line: 0, character: 0 };
    return { diagnostics: [diagnostic('internal-error', `Internal error while parsing (please report it): ${message}`, { start: at, end: at })].sort(compareDiagnostics) };
  }
}
