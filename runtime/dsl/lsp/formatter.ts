/**
 * Document formatting (whole document, a range, and on typing `}`), using the canonical layout
 * of `format-text.ts`. A document with syntax errors is left alone: reflowing text the parser
 * did not understand could move a user's half-typed line somewhere surprising.
 */
import type { LangiumDocument } from 'langium';
import type { Formatter } from 'langium/lsp';
import type {
  DocumentFormattingParams,
  DocumentOnTypeFormattingOptions,
  DocumentOnTypeFormattingParams,
  DocumentRangeFormattingParams,
  FormattingOptions,
  Range,
  TextEdit,
} from 'vscode-languageserver';
import { formatBnasText } from './format-text.js';

/** Formatter registered as `lsp.Formatter`. */
export class BnasFormatter implements Formatter {
  formatDocument(document: LangiumDocument, params: DocumentFormattingParams): TextEdit[] {
    return this.edits(document, params.options);
  }

  formatDocumentRange(document: LangiumDocument, params: DocumentRangeFormattingParams): TextEdit[] {
    const start = document.textDocument.offsetAt(params.range.start);
    const end = document.textDocument.offsetAt(params.range.end);
    return this.edits(document, params.options, overlapping(start, end));
  }

  formatDocumentOnType(document: LangiumDocument, params: DocumentOnTypeFormattingParams): TextEdit[] {
    // Re-lay out the line just completed by `}` (its indentation and spacing), nothing else.
    const line = params.position.line;
    const td = document.textDocument;
    const start = td.offsetAt({ line, character: 0 });
    const end = td.offsetAt({ line: line + 1, character: 0 });
    return this.edits(document, params.options, overlapping(start, end));
  }

  get formatOnTypeOptions(): DocumentOnTypeFormattingOptions {
    return { firstTriggerCharacter: '}' };
  }

  private edits(document: LangiumDocument, options: FormattingOptions, keep?: (start: number, end: number) => boolean): TextEdit[] {
    const { lexerErrors, parserErrors } = document.parseResult;
    if (lexerErrors.length > 0 || parserErrors.length > 0) return [];
    const td = document.textDocument;
    const result = formatBnasText(td.getText(), { indent: indentUnit(options) });
    if (!result) return [];
    return result.edits
      .filter((e) => !keep || keep(e.start, e.end))
      .map((e) => ({ range: { start: td.positionAt(e.start), end: td.positionAt(e.end) } satisfies Range, newText: e.newText }));
  }
}

/**
 * Keeps the edits that touch `[start, end)`. The whitespace before a line's first token starts on
 * the line above, so an edit that re-indents a line in the range begins before it.
 */
function overlapping(start: number, end: number): (s: number, e: number) => boolean {
  return (s, e) => (e > start && s < end) || (s === e && s >= start && s <= end);
}

/** One indentation level from the editor's options. */
export function indentUnit(options: FormattingOptions): string {
  return options.insertSpaces ? ' '.repeat(Math.max(1, options.tabSize)) : '\t';
}
