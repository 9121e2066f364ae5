/**
 * The language server's validator: reports exactly what `loadSearchSpace` reports (same codes,
 * ranges and messages, with `data` for quick fixes), so the editor and `bnas validate` agree.
 * Files are checked on disk (`data.path`) when the document is a local file.
 */
import { DefaultDocumentValidator, type LangiumDocument, type ValidationOptions } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { analyzeParseResult } from './analyze.js';
import type { BnasDiagnostic } from './diagnostics.js';

const SEVERITY = { error: 1, warning: 2, info: 3 } as const;

/** Converts a diagnostic to the Language Server Protocol shape. */
export function toLspDiagnostic(d: BnasDiagnostic): Diagnostic {
  return {
    severity: SEVERITY[d.severity],
    code: d.code,
    message: d.message,
    range: d.range,
    source: 'bnas',
    ...(d.data ? { data: d.data } : {}),
  };
}

/** Langium document validator that delegates to the shared analysis (see the file comment). */
export class BnasDocumentValidator extends DefaultDocumentValidator {
  override async validateDocument(document: LangiumDocument, options?: ValidationOptions): Promise<Diagnostic[]> {
    // Langium may validate a document again later for categories it has not run yet ('slow') and
    // appends those results: everything is reported with the 'built-in' run, so later runs add nothing.
    if (options?.categories && !options.categories.includes('built-in')) return [];
    const isFile = document.uri.scheme === 'file';
    const analysis = analyzeParseResult(document.parseResult, document.textDocument.getText(), {
      filePath: isFile ? document.uri.fsPath : undefined,
      checkFiles: isFile,
    });
    return analysis.diagnostics.map(toLspDiagnostic);
  }
}
