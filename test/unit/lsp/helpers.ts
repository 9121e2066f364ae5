/**
 * Test helpers for the language server features: one service set with the LSP module (no file
 * system), documents parsed from text with a `|` cursor marker, and offset/position helpers.
 */
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import type { Position, Range } from 'vscode-languageserver';
import { createBnasServices, type BnasServices } from '../../../runtime/dsl/module.js';
import { BnasLspModule } from '../../../runtime/dsl/lsp/module.js';

let services: BnasServices | undefined;

/** The shared `.bnas` services with every editor feature (created once per test file). */
export function bnas(): BnasServices {
  services ??= createBnasServices(EmptyFileSystem, BnasLspModule).Bnas;
  return services;
}

let counter = 0;

/** Parses and validates `text` as a new document (each call gets its own URI). */
export async function parse(text: string): Promise<LangiumDocument> {
  return parseHelper(bnas())(text, { documentUri: `file:///test/doc-${++counter}.bnas`, validation: true });
}

/** Splits `text` at its single `|` marker: the text without it and the cursor offset. */
export function cursor(textWithBar: string): { text: string; offset: number } {
  const offset = textWithBar.indexOf('|');
  if (offset < 0 || textWithBar.indexOf('|', offset + 1) >= 0) throw new Error('mark exactly one cursor with |');
  return { text: textWithBar.slice(0, offset) + textWithBar.slice(offset + 1), offset };
}

/** Parses a text with a `|` cursor; returns the document and the cursor position. */
export async function parseAt(textWithBar: string): Promise<{ doc: LangiumDocument; position: Position; offset: number }> {
  const { text, offset } = cursor(textWithBar);
  const doc = await parse(text);
  return { doc, position: doc.textDocument.positionAt(offset), offset };
}

/** `{textDocument}` params for a document. */
export function docParams(doc: LangiumDocument): { textDocument: { uri: string } } {
  return { textDocument: { uri: doc.textDocument.uri } };
}

/** The text a range covers. */
export function textOf(doc: LangiumDocument, range: Range): string {
  return doc.textDocument.getText(range);
}

/** A range from line/character pairs. */
export function rng(sl: number, sc: number, el: number, ec: number): Range {
  return { start: { line: sl, character: sc }, end: { line: el, character: ec } };
}
