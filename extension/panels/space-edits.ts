/**
 * Text edits for the search-space view's controls. The `.bnas` text stays the source of truth:
 * each control becomes the smallest edit of the document (replace a value, add or remove one list
 * item, add an attribute or a block), applied as a workspace edit so undo works and comments and
 * layout are kept. Positions come from the parsed file (the same parser as everywhere).
 * Pure code on text: tested without VS Code.
 */
import { analyzeText, DARTS_OPS } from '../../runtime/dsl/index.js';
import type { Attribute, Block, SearchFile } from '../../runtime/dsl/generated/ast.js';
import type { SpaceEdit } from '../../runtime/protocol/webview.js';

/** Replace `length` characters at `offset` with `text`. */
export interface TextChange {
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

/** The edits for `edit`, or an error saying why the document cannot be changed that way. */
export type EditResult = { readonly changes: readonly TextChange[] } | { readonly error: string };

type Member = Block | Attribute;
const isBlock = (m: Member): m is Block => m.$type === 'Block';
const isAttr = (m: Member): m is Attribute => m.$type === 'Attribute';
const span = (n: { $cstNode?: { offset: number; end: number } }) => n.$cstNode ?? { offset: 0, end: 0 };

/** Indentation of the line holding `offset`. */
function indentAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** Inserts `name = value` as the last member of a block (or of the search), matching its layout. */
function appendMember(text: string, container: Block | SearchFile, name: string, value: string): TextChange {
  const { offset, end } = span(container);
  const close = text.lastIndexOf('}', end - 1);
  const members = container.members as Member[];
  const last = members.at(-1);
  const open = text.indexOf('{', offset);
  const multiline = text.slice(open, close).includes('\n');
  if (!last) {
    return multiline
      ? { offset: close, length: 0, text: `${indentAt(text, offset)}  ${name} = ${value}\n${indentAt(text, offset)}` }
      : { offset: open + 1, length: close - open - 1, text: ` ${name} = ${value} ` };
  }
  const at = span(last).end;
  return multiline
    ? { offset: at, length: 0, text: `\n${indentAt(text, span(last).offset)}${name} = ${value}` }
    : { offset: at, length: 0, text: `${/[,;]\s*$/.test(text.slice(span(last).offset, at)) ? '' : ','} ${name} = ${value}` };
}

/** Sets `block.attribute` (the first unnamed block of that kind), creating what is missing. */
function setAttribute(text: string, file: SearchFile, blockKind: string, attribute: string, value: string): TextChange {
  const block = (file.members as Member[]).find((m): m is Block => isBlock(m) && m.kind === blockKind && m.name === undefined);
  if (!block) {
    const close = text.lastIndexOf('}', span(file).end - 1);
    const indent = indentAt(text, span((file.members as Member[])[0] ?? file).offset) || '  ';
    return { offset: close, length: 0, text: `${text[close - 1] === '\n' ? '' : '\n'}${indent}${blockKind} { ${attribute} = ${value} }\n` };
  }
  const attr = (block.members as Member[]).find((m): m is Attribute => isAttr(m) && m.name === attribute);
  if (!attr) return appendMember(text, block, attribute, value);
  const v = span(attr.value);
  return { offset: v.offset, length: v.end - v.offset, text: value };
}

/** Adds or removes an op of the top-level `ops` list (writing the default list first if absent). */
function toggleOp(text: string, file: SearchFile, op: string, enabled: boolean): EditResult {
  const ops = (file.members as Member[]).find((m): m is Attribute => isAttr(m) && m.name === 'ops');
  if (!ops) {
    const list = enabled ? [...DARTS_OPS.filter((o) => o !== op), op] : DARTS_OPS.filter((o) => o !== op);
    if (!enabled && list.length === DARTS_OPS.length) return { changes: [] };
    const first = (file.members as Member[])[0];
    const at = first ? span(first).offset : text.lastIndexOf('}', span(file).end - 1);
    const indent = first ? '' : '  ';
    return { changes: [{ offset: at, length: 0, text: `${indent}ops = [${list.join(', ')}]\n${first ? indentAt(text, at) : ''}` }] };
  }
  const value = ops.value;
  if (value.$type !== 'ListValue') return { error: '`ops` is not a list; fix it in the editor first.' };
  const items = value.items;
  const names = items.map((i) => ('value' in i ? String(i.value) : ''));
  const index = names.indexOf(op);
  if (enabled) {
    if (index >= 0) return { changes: [] };
    const last = items.at(-1);
    if (!last) {
      const { offset, end } = span(value);
      return { changes: [{ offset: offset + 1, length: end - offset - 2, text: op }] };
    }
    return { changes: [{ offset: span(last).end, length: 0, text: `, ${op}` }] };
  }
  if (index < 0) return { changes: [] };
  if (items.length === 1) return { error: `Cannot remove ${op}: it is the only op (ops must hold at least one op other than none).` };
  const item = span(items[index]!);
  // Remove the item with the separator before it (or after it, for the first item).
  const from = index > 0 ? span(items[index - 1]!).end : item.offset;
  const to = index > 0 ? item.end : span(items[1]!).offset;
  return { changes: [{ offset: from, length: to - from, text: '' }] };
}

/**
 * Computes the text changes for a control of the search-space view.
 * @param text the current document text
 */
export function spaceEditChanges(text: string, edit: SpaceEdit): EditResult {
  const { ast, diagnostics } = analyzeText(text);
  // Positions in a file with syntax errors may belong to recovered, wrong nodes: do not guess.
  if (!ast || diagnostics.some((d) => d.code === 'syntax-error')) return { error: 'The file has syntax errors; fix them in the editor first, then use the controls.' };
  switch (edit.kind) {
    case 'toggleOp':
      return toggleOp(text, ast, edit.op, edit.enabled);
    case 'setNumber':
      return { changes: [setAttribute(text, ast, edit.block, edit.attribute, String(edit.value))] };
    case 'setCriterion':
      return { changes: [setAttribute(text, ast, 'pruning', 'criterion', edit.value)] };
  }
}

/** Applies changes to a string (tests, and the view's optimistic preview). */
export function applyChanges(text: string, changes: readonly TextChange[]): string {
  let out = text;
  for (const c of [...changes].sort((a, b) => b.offset - a.offset)) out = out.slice(0, c.offset) + c.text + out.slice(c.offset + c.length);
  return out;
}
