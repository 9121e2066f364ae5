/**
 * Folding ranges from tokens, so folding keeps working while the file has syntax errors: every
 * `{ … }` and `[ … ]` that spans lines (the closing bracket stays visible), multi-line block
 * comments, runs of two or more line comments, and `# region` / `# endregion` markers.
 */
import type { LangiumDocument } from 'langium';
import type { FoldingRangeProvider } from 'langium/lsp';
import { FoldingRangeKind, type FoldingRange, type FoldingRangeParams } from 'vscode-languageserver';
import { significantTokens } from './tokens.js';

const REGION_START = /^(?:#|\/\/)\s*region\b/;
const REGION_END = /^(?:#|\/\/)\s*endregion\b/;

/** Folding provider registered as `lsp.FoldingRangeProvider`. */
export class BnasFoldingRangeProvider implements FoldingRangeProvider {
  getFoldingRanges(document: LangiumDocument, _params: FoldingRangeParams): FoldingRange[] {
    return foldingRanges(document.textDocument.getText(), (offset) => document.textDocument.positionAt(offset).line);
  }
}

/** The folding ranges of a text; `lineOf` maps an offset to its 0-based line. */
export function foldingRanges(text: string, lineOf: (offset: number) => number): FoldingRange[] {
  const out: FoldingRange[] = [];
  const open: number[] = [];
  const regions: number[] = [];
  let commentRun: { start: number; end: number } | undefined;
  const flushComments = (): void => {
    if (commentRun && commentRun.end > commentRun.start) out.push({ startLine: commentRun.start, endLine: commentRun.end, kind: FoldingRangeKind.Comment });
    commentRun = undefined;
  };

  const tokens = significantTokens(text);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const line = lineOf(t.start);
    if (t.kind === 'line-comment') {
      if (REGION_START.test(t.text)) regions.push(line);
      else if (REGION_END.test(t.text) && regions.length > 0) out.push({ startLine: regions.pop()!, endLine: line, kind: FoldingRangeKind.Region });
      // A run continues only with a comment on the very next line, alone on its line.
      if (commentRun && line === commentRun.end + 1 && t.newlinesBefore > 0) commentRun.end = line;
      else {
        flushComments();
        if (t.newlinesBefore > 0 || i === 0) commentRun = { start: line, end: line };
      }
      continue;
    }
    flushComments();
    if (t.kind === 'block-comment') {
      const end = lineOf(t.end);
      if (end > line) out.push({ startLine: line, endLine: end, kind: FoldingRangeKind.Comment });
    } else if (t.kind === 'punct' && (t.text === '{' || t.text === '[')) {
      open.push(line);
    } else if (t.kind === 'punct' && (t.text === '}' || t.text === ']')) {
      const start = open.pop();
      // End on the line before the bracket, so the folded text still shows it.
      if (start !== undefined && line - 1 > start) out.push({ startLine: start, endLine: line - 1 });
      else if (start !== undefined && line > start) out.push({ startLine: start, endLine: line });
    }
  }
  flushComments();
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
