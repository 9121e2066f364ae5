/**
 * Quick fixes for `.bnas` diagnostics, built from the diagnostic's `data` so the fix and the
 * message always agree:
 * - `data.suggestion`: replace the diagnostic's range ("did you mean", unquote, round, ...);
 *   an empty suggestion removes the text.
 * - `data.block` (an attribute written in the wrong place): move it into that block, creating
 *   the block when the file has none.
 * - `unused-op`: add the op to `ops` (or write `ops` with the defaults plus the op).
 * - `duplicate-attribute`, `duplicate-op`: remove the repeated one.
 */
import type { LangiumDocument } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import { isAttribute, isBlock, isListValue, type Attribute, type Block, type SearchFile } from '../generated/ast.js';
import { DARTS_OPS } from '../space.js';
import { opIndexOf, searchFileOf } from './document-model.js';

/** Codes whose suggestion is a correction of a misspelt name: offered as the preferred fix. */
const DID_YOU_MEAN = new Set(['unknown-block', 'unknown-block-name', 'unknown-attribute', 'unknown-value', 'unknown-op']);

interface FixData {
  readonly suggestion?: unknown;
  readonly block?: unknown;
}

/** Code action provider registered as `lsp.CodeActionProvider`. */
export class BnasCodeActionProvider implements CodeActionProvider {
  getCodeActions(document: LangiumDocument, params: CodeActionParams): CodeAction[] {
    const actions: CodeAction[] = [];
    for (const d of params.context.diagnostics) {
      if (d.source !== undefined && d.source !== 'bnas') continue;
      actions.push(...fixesFor(document, d));
    }
    return actions;
  }
}

/** The quick fixes for one diagnostic. */
export function fixesFor(document: LangiumDocument, d: Diagnostic): CodeAction[] {
  const data = (d.data ?? {}) as FixData;
  const uri = document.textDocument.uri;
  const text = document.textDocument.getText(d.range);
  const action = (title: string, edits: TextEdit[], preferred = false): CodeAction => ({
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    isPreferred: preferred,
    edit: { changes: { [uri]: edits } },
  });
  const out: CodeAction[] = [];
  const code = typeof d.code === 'string' ? d.code : '';

  if (typeof data.suggestion === 'string') {
    const s = data.suggestion;
    const title = s === '' ? `Remove \`${text}\`` : DID_YOU_MEAN.has(code) ? `Change \`${text}\` to \`${s}\`` : `Replace \`${text}\` with \`${s}\``;
    const edit = s === '' ? deletion(document, document.textDocument.offsetAt(d.range.start), document.textDocument.offsetAt(d.range.end)) : { range: d.range, newText: s };
    out.push(action(title, [edit], DID_YOU_MEAN.has(code) || s === ''));
  }
  if (typeof data.block === 'string') {
    const move = moveAttributeEdits(document, d.range, data.block);
    if (move) out.push(action(`Move \`${text}\` into the \`${data.block}\` block`, move, true));
  }
  if (code === 'unused-op') {
    const add = addToOpsEdits(document, text);
    if (add) out.push(action(`Add \`${text}\` to \`ops\``, add, true));
  }
  if (code === 'duplicate-attribute' || code === 'duplicate-op') {
    const del = removeDuplicateEdits(document, d.range, code);
    if (del) out.push(action(`Remove the repeated \`${text}\``, [del]));
  }
  return out;
}

/** The attribute whose name is at `range`. */
function attributeAt(file: SearchFile, document: LangiumDocument, range: Range): Attribute | undefined {
  const offset = document.textDocument.offsetAt(range.start);
  const visit = (members: readonly (Attribute | Block)[]): Attribute | undefined => {
    for (const m of members) {
      const cst = m.$cstNode;
      if (!cst || offset < cst.offset || offset >= cst.end) continue;
      if (isAttribute(m)) return m;
      if (isBlock(m)) return visit(m.members);
    }
    return undefined;
  };
  return visit(file.members);
}

/**
 * An edit that deletes `[start, end)`; when that leaves its line blank, the whole line goes.
 */
function deletion(document: LangiumDocument, start: number, end: number): TextEdit {
  const td = document.textDocument;
  const text = td.getText();
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = text.indexOf('\n', end);
  if (lineEnd < 0) lineEnd = text.length;
  if (text.slice(lineStart, start).trim() === '' && text.slice(end, lineEnd).trim() === '') {
    const to = Math.min(text.length, lineEnd + 1);
    return { range: { start: td.positionAt(lineStart), end: td.positionAt(to) }, newText: '' };
  }
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
  let right = end;
  while (right < lineEnd && isSpace(text[right])) right++;
  let left = start;
  while (left > lineStart && isSpace(text[left - 1])) left--;
  // The last member of a one-line block: take the separator before it, so
  // `{ a = 1, b = 2 }` becomes `{ a = 1 }`, not `{ a = 1, }`.
  if ((text[right] === '}' || text[right] === ']') && (text[left - 1] === ',' || text[left - 1] === ';')) {
    return { range: { start: td.positionAt(left - 1), end: td.positionAt(end) }, newText: '' };
  }
  // Otherwise take the spaces after it, so `a = 1, b = 2` becomes `b = 2`, not ` b = 2`.
  return { range: { start: td.positionAt(start), end: td.positionAt(right) }, newText: '' };
}

/** The indentation of the line holding `offset`. */
function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** Inserts `member` as the last member of `block`, matching its one-line or multi-line layout. */
function appendMember(document: LangiumDocument, block: Block, member: string): TextEdit | undefined {
  const td = document.textDocument;
  const text = td.getText();
  const cst = block.$cstNode;
  if (!cst) return undefined;
  const close = cst.end - 1; // the `}`
  if (text[close] !== '}') return undefined;
  const last = block.members[block.members.length - 1]?.$cstNode;
  if (!last) {
    const open = text.indexOf('{', cst.offset);
    return { range: { start: td.positionAt(open + 1), end: td.positionAt(close) }, newText: ` ${member} ` };
  }
  const inline = !text.slice(cst.offset, cst.end).includes('\n');
  // The member's text may end with its own separator (`a = 1,`); do not add a second one.
  const lastText = last.text.trimEnd();
  const sep = lastText.endsWith(',') || lastText.endsWith(';') ? '' : ',';
  const at = td.positionAt(last.end);
  return inline
    ? { range: { start: at, end: at }, newText: `${sep} ${member}` }
    : { range: { start: at, end: at }, newText: `\n${indentAt(text, last.offset)}${member}` };
}

function moveAttributeEdits(document: LangiumDocument, nameRange: Range, target: string): TextEdit[] | undefined {
  const file = searchFileOf(document);
  const attr = file && attributeAt(file, document, nameRange);
  const cst = attr?.$cstNode;
  if (!file || !attr || !cst) return undefined;
  const td = document.textDocument;
  const text = td.getText();
  const memberText = cst.text.replace(/[,;]\s*$/, '').trim();
  const targetBlock = file.members.find((m): m is Block => isBlock(m) && m.kind === target && m.name === undefined);
  const remove = deletion(document, cst.offset, cst.end);
  if (targetBlock) {
    const add = appendMember(document, targetBlock, memberText);
    return add ? [remove, add] : undefined;
  }
  if (attr.$container === file) {
    // At the top level: wrap it in place.
    return [{ range: { start: td.positionAt(cst.offset), end: td.positionAt(cst.end) }, newText: `${target} { ${memberText} }` }];
  }
  // Inside another block: create the target block after that block.
  const host = attr.$container.$cstNode;
  if (!host) return undefined;
  const at = td.positionAt(host.end);
  return [remove, { range: { start: at, end: at }, newText: `\n${indentAt(text, host.offset)}${target} { ${memberText} }` }];
}

function addToOpsEdits(document: LangiumDocument, name: string): TextEdit[] | undefined {
  const file = searchFileOf(document);
  if (!file) return undefined;
  const td = document.textDocument;
  const ops = file.members.find((m): m is Attribute => isAttribute(m) && m.name === 'ops');
  if (ops) {
    if (!isListValue(ops.value) || !ops.value.$cstNode) return undefined;
    const list = ops.value.$cstNode;
    const lastItem = ops.value.items[ops.value.items.length - 1]?.$cstNode;
    const at = td.positionAt(lastItem ? lastItem.end : list.end - 1);
    return [{ range: { start: at, end: at }, newText: lastItem ? `, ${name}` : name }];
  }
  // No `ops`: the defaults are searched; write them out with the new op added.
  const def = opIndexOf(document).definitions.get(name);
  const block = def?.block.$cstNode;
  if (!block) return undefined;
  const text = td.getText();
  const lineStart = text.lastIndexOf('\n', block.offset - 1) + 1;
  const at = td.positionAt(lineStart);
  return [{ range: { start: at, end: at }, newText: `${indentAt(text, block.offset)}ops = [${[...DARTS_OPS, name].join(', ')}]\n` }];
}

function removeDuplicateEdits(document: LangiumDocument, range: Range, code: string): TextEdit | undefined {
  const file = searchFileOf(document);
  if (!file) return undefined;
  const td = document.textDocument;
  if (code === 'duplicate-attribute') {
    const cst = attributeAt(file, document, range)?.$cstNode;
    return cst ? deletion(document, cst.offset, cst.end) : undefined;
  }
  // A list item: remove it with the comma before it.
  const text = td.getText();
  const start = td.offsetAt(range.start);
  const end = td.offsetAt(range.end);
  let s = start;
  while (s > 0 && /\s/.test(text[s - 1]!)) s--;
  if (text[s - 1] === ',') return { range: { start: td.positionAt(s - 1), end: td.positionAt(end) }, newText: '' };
  let e = end;
  while (e < text.length && /\s/.test(text[e]!)) e++;
  if (text[e] === ',') e++;
  while (e < text.length && text[e] === ' ') e++;
  return { range: { start: range.start, end: td.positionAt(e) }, newText: '' };
}
