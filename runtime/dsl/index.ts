/**
 * Public API of the `.bnas` language core: load a search space from text, with diagnostics.
 * Everything here is plain Node (no VS Code, no TensorFlow.js).
 */
import type { SearchFile } from './generated/ast.js';
import { analyzeParseResult, type Analysis } from './analyze.js';
import { compareDiagnostics, diagnostic, type BnasDiagnostic } from './diagnostics.js';
import { getBnasCoreServices, resetBnasCoreServices } from './module.js';
import type { SearchSpace } from './space.js';
import { LineIndex } from './line-index.js';

export type { SearchSpace } from './space.js';
export * from './space.js';
export * from './diagnostics.js';
export * from './schema.js';
export { estimateSupernetMemory, cellChannels, imageSizeOf, type MemoryEstimate, type CellMemory } from './memory.js';
export { indexOps, resolveOp, opReferences, opAt, availableOpNames, type OpIndex, type OpDefinition, type OpUsage, type OpTarget } from './ops.js';
export { pruningRoundEpochs, pruningRoundsNeeded } from './cross-checks.js';
export { defaultReductions } from './build-space.js';
export { closestName, editDistance } from './suggest.js';
export { analyzeParseResult, type Analysis, type AnalyzeOptions } from './analyze.js';
export { LineIndex } from './line-index.js';

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

/** Deeper nesting than this is reported instead of parsed (the language needs 3 levels; a recursive parser would overflow its stack on thousands). */
export const MAX_NESTING = 64;

/**
 * The offset where brackets first nest deeper than {@link MAX_NESTING}, skipping strings and
 * comments, or -1. Cheap (one pass), so pathological input never reaches the parser.
 */
function tooDeepAt(text: string): number {
  let depth = 0;
  let quote = '';
  let comment: '' | 'line' | 'block' = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment === 'line') {
      if (c === '\n' || c === '\r') comment = '';
    } else if (comment === 'block') {
      if (c === '*' && text[i + 1] === '/') {
        comment = '';
        i++;
      }
    } else if (quote) {
      if (c === '\\') i++;
      else if (c === quote || c === '\n' || c === '\r') quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' || (c === '/' && text[i + 1] === '/')) comment = 'line';
    else if (c === '/' && text[i + 1] === '*') {
      comment = 'block';
      i++;
    }
    else if (c === '{' || c === '[') {
      if (++depth > MAX_NESTING) return i;
    } else if (c === '}' || c === ']') depth = Math.max(0, depth - 1);
  }
  return -1;
}

/**
 * Like {@link loadSearchSpace}, but also returns the parsed file (for tools that need ranges:
 * op references, outline, the search-space view). Never throws.
 */
export function analyzeText(text: string, options: LoadOptions = {}): Analysis & { readonly ast?: SearchFile } {
  try {
    const deep = tooDeepAt(String(text));
    if (deep >= 0) {
      const lines = new LineIndex(String(text));
      const message = `Brackets nest more than ${MAX_NESTING} levels deep here: a search space needs only \`search { block { attribute = [list] } }\` (3 levels). Close the open \`{\` and \`[\` before this point.`;
      return { diagnostics: [diagnostic('syntax-error', message, lines.range(deep, deep + 1))] };
    }
    const parse = getBnasCoreServices().parser.LangiumParser.parse<SearchFile>(String(text));
    return analyzeParseResult(parse, String(text), options);
  } catch (err) {
    resetBnasCoreServices();
    const message = err instanceof Error ? err.message : String(err);
    const at = { line: 0, character: 0 };
    return { diagnostics: [diagnostic('internal-error', `Internal error while parsing (please report it): ${message}`, { start: at, end: at })].sort(compareDiagnostics) };
  }
}
