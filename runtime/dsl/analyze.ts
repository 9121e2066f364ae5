/**
 * The whole analysis of one document: syntax errors, schema checks, op references,
 * cross-attribute checks and the model. Shared by `loadSearchSpace` (command line, runtime,
 * tests) and the language server's document validator, so both report the same diagnostics.
 * Never throws: an internal failure becomes one diagnostic rather than a crash of the editor.
 */
import type { ParseResult } from 'langium';
import { isSearchFile, type SearchFile } from './generated/ast.js';
import { buildSpace } from './build-space.js';
import { crossCheck, type CrossCheckOptions } from './cross-checks.js';
import { compareDiagnostics, diagnostic, type BnasDiagnostic } from './diagnostics.js';
import { LineIndex } from './line-index.js';
import { checkOps } from './ops.js';
import type { SearchSpace } from './space.js';
import { TOO_DEEP_MESSAGE, tooDeepAt } from './nesting.js';
import { checkStructure } from './structure.js';
import { lexerErrorToDiagnostic, parserErrorToDiagnostic } from './syntax-errors.js';

/** Options of an analysis. */
export type AnalyzeOptions = CrossCheckOptions;

/** The result of analysing one document. */
export interface Analysis {
  /** The parsed file (partial when there were syntax errors). */
  readonly ast?: SearchFile;
  /** Every diagnostic, sorted by position. */
  readonly diagnostics: BnasDiagnostic[];
  /** The defaults-filled model, present only when there is no error. */
  readonly space?: SearchSpace;
}

/** Keeps one diagnostic per code and range (recovery can report the same token twice). */
function dedupe(diags: BnasDiagnostic[]): BnasDiagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = `${d.code}:${d.range.start.line}:${d.range.start.character}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Analyses a parse result of `text`. */
export function analyzeParseResult(parse: ParseResult<unknown>, text: string, options: AnalyzeOptions = {}): Analysis {
  const lines = new LineIndex(text);
  const diags: BnasDiagnostic[] = [];
  try {
    const deep = tooDeepAt(text);
    if (deep >= 0) diags.push(diagnostic('syntax-error', TOO_DEEP_MESSAGE, lines.range(deep, deep + 1)));
    for (const e of parse.lexerErrors) diags.push(lexerErrorToDiagnostic(e, lines));
    // Recovery often reports several errors on one token (the failed rule, then each enclosing
    // rule); the first one says what was expected there, the rest is noise.
    const seenOffsets = new Set<number>();
    for (const e of parse.parserErrors) {
      const offset = e.token.startOffset;
      if (Number.isFinite(offset) && offset >= 0) {
        if (seenOffsets.has(offset)) continue;
        seenOffsets.add(offset);
      }
      const d = parserErrorToDiagnostic(e, lines);
      // Past a too-deep spot the parser saw blanks: its errors there are artefacts.
      if (deep >= 0 && lines.offset(d.range.start) >= deep) continue;
      diags.push(d);
    }
    const ast = isSearchFile(parse.value) ? parse.value : undefined;
    if (!ast) return { diagnostics: dedupe(diags).sort(compareDiagnostics) };
    const checked = checkStructure(ast);
    diags.push(...checked.diagnostics);
    const opsEntry = checked.top.get('ops');
    diags.push(...checkOps(ast, opsEntry === undefined || opsEntry.value !== undefined));
    const space = buildSpace(checked, options.filePath);
    const syntaxOrStructureErrors = diags.some((d) => d.severity === 'error');
    diags.push(...crossCheck(checked, space, options));
    const sorted = dedupe(diags).sort(compareDiagnostics);
    const hasErrors = syntaxOrStructureErrors || sorted.some((d) => d.severity === 'error');
    return hasErrors ? { ast, diagnostics: sorted } : { ast, diagnostics: sorted, space };
  } catch (err) {
    // A bug in a check must not take the editor or the CLI down; it is reported on the file.
    const message = err instanceof Error ? err.message : String(err);
    diags.push(diagnostic('internal-error', `Internal error while validating (please report it): ${message}`, lines.range(0, 0)));
    return { diagnostics: dedupe(diags).sort(compareDiagnostics) };
  }
}
