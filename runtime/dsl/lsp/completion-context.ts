/**
 * Where the cursor is in a `.bnas` text, worked out from tokens rather than the parse tree: while
 * the user types, the line under the cursor is usually incomplete (`data { sou`), and a lexical
 * view of the enclosing blocks and lists is both simpler and more predictable than the tree that
 * error recovery builds.
 */
import { significantTokens, type SignificantToken } from './tokens.js';

/** A `{ ... }` or `[ ... ]` around the cursor. */
export interface Frame {
  readonly type: 'block' | 'list';
  /** Block kind (`data`, `op`, `search` for the file) or, for a list, its attribute's name. */
  readonly name: string | undefined;
  /** The block's label (`weights` in `optimizer weights`), unquoted. */
  readonly label?: string;
  /** Offset of the opening bracket. */
  readonly open: number;
  /** Offset after the closing bracket, or the text length when unclosed. */
  readonly close: number;
  /** Names of attributes written directly in this block (anywhere in it). */
  readonly attributes: Set<string>;
  /** Headers of blocks written directly in this block: `data`, `optimizer weights`, `op x`. */
  readonly blocks: { kind: string; label?: string }[];
  /** For a list: the plain items written in it. */
  readonly items: string[];
}

/** What may be typed at the cursor. */
export type Slot =
  /** A new member of a block: an attribute name, or (in `search`) a block. */
  | { readonly kind: 'member'; readonly block: Frame; readonly path: readonly Frame[] }
  /** The label after a block kind (`optimizer |`). */
  | { readonly kind: 'block-label'; readonly blockKind: string; readonly block: Frame }
  /** The value after `name =`. */
  | { readonly kind: 'value'; readonly attribute: string; readonly block: Frame; readonly path: readonly Frame[] }
  /** An item of the list that is the value of `attribute`. */
  | { readonly kind: 'list-item'; readonly attribute: string; readonly list: Frame; readonly block: Frame; readonly path: readonly Frame[] }
  /** Inside a string that is the value of `attribute` (`path = "da|"`). */
  | {
      readonly kind: 'string';
      readonly attribute: string;
      readonly path: readonly Frame[];
      /** Offset after the opening quote. */
      readonly contentStart: number;
    }
  /** An empty file (no `search` block yet). */
  | { readonly kind: 'file' }
  /** Inside a comment or string, or somewhere nothing can be typed. */
  | { readonly kind: 'none' };

/** The cursor's slot plus the word being typed there. */
export interface CursorContext {
  readonly slot: Slot;
  /** Start and end offsets of the word under the cursor (empty when none). */
  readonly wordStart: number;
  readonly wordEnd: number;
  /** The typed part of the word (from its start to the cursor). */
  readonly prefix: string;
  /** The whole word under the cursor (it is replaced by the chosen item). */
  readonly word: string;
  /** Whether `=` follows the word (then only a name is inserted, not `name = value`). */
  readonly followedByEquals: boolean;
}

interface OpenFrame extends Omit<Frame, 'close'> {
  close: number;
}

const WORD = /[A-Za-z0-9_-]/;

/**
 * Analyses `text` at `offset`: the enclosing frames (with every attribute and block they hold,
 * also after the cursor) and the slot the cursor is in.
 */
export function cursorContext(text: string, offset: number): CursorContext {
  let wordStart = offset;
  while (wordStart > 0 && WORD.test(text[wordStart - 1]!)) wordStart--;
  let wordEnd = offset;
  while (wordEnd < text.length && WORD.test(text[wordEnd]!)) wordEnd++;
  const prefix = text.slice(wordStart, offset);
  const tokens = significantTokens(text);

  // A line comment runs to the end of its line, so a cursor at its end is still inside it.
  const inside = tokens.find((t) => t.start < offset && (offset < t.end || (offset === t.end && t.kind === 'line-comment')));
  const rest = tokens.filter((t) => t.start >= wordEnd);
  const followedByEquals = rest[0]?.kind === 'punct' && rest[0].text === '=';
  const base = { wordStart, wordEnd, prefix, word: text.slice(wordStart, wordEnd), followedByEquals };
  const inText = inside && (inside.kind === 'string' || (inside.kind === 'error' && /^["']/.test(inside.text)));
  if (inside && inText) {
    // A string value: `name = "…`; the caller may complete its content (folders for `path`).
    const before = tokens.filter((t) => t.end <= inside.start && t.kind !== 'line-comment' && t.kind !== 'block-comment');
    const eq = before[before.length - 1];
    const name = before[before.length - 2];
    const { path } = framesAt(tokens, text.length, inside.start);
    if (eq?.kind === 'punct' && eq.text === '=' && name?.kind === 'id') {
      return { ...base, slot: { kind: 'string', attribute: name.text, path, contentStart: inside.start + 1 } };
    }
    return { ...base, slot: { kind: 'none' } };
  }
  if (inside && (inside.kind === 'line-comment' || inside.kind === 'block-comment')) {
    return { ...base, slot: { kind: 'none' } };
  }

  const { path } = framesAt(tokens, text.length, wordStart);
  const block = [...path].reverse().find((f) => f.type === 'block');
  if (!block) {
    const empty = !tokens.some((t) => t.kind !== 'line-comment' && t.kind !== 'block-comment' && t.start < wordStart);
    return { ...base, slot: { kind: empty && !tokens.some((t) => t.text === 'search') ? 'file' : 'none' } };
  }
  const before = tokens.filter((t) => t.end <= wordStart && t.kind !== 'line-comment' && t.kind !== 'block-comment');
  const prev = before[before.length - 1];
  const prev2 = before[before.length - 2];
  const top = path[path.length - 1]!;

  if (top.type === 'list') {
    // An item slot follows `[` or `,`; anything else (right after an item) is not a slot.
    const atItem = prev?.kind === 'punct' && (prev.text === '[' || prev.text === ',');
    if (!atItem || top.name === undefined) return { ...base, slot: { kind: 'none' } };
    return { ...base, slot: { kind: 'list-item', attribute: top.name, list: top, block, path } };
  }
  if (prev?.kind === 'punct' && prev.text === '=' && prev2?.kind === 'id') {
    return { ...base, slot: { kind: 'value', attribute: prev2.text, block, path } };
  }
  if (prev && isMemberBoundary(prev, prev2)) return { ...base, slot: { kind: 'member', block, path } };
  if (prev?.kind === 'id' && isMemberStart(before, before.length - 1)) {
    return { ...base, slot: { kind: 'block-label', blockKind: prev.text, block } };
  }
  return { ...base, slot: { kind: 'none' } };
}

/** Whether a new member may start after `prev`: after `{`, `}`, a separator, or a complete value. */
function isMemberBoundary(prev: SignificantToken, prev2: SignificantToken | undefined): boolean {
  if (prev.kind === 'punct') return prev.text === '{' || prev.text === '}' || prev.text === ',' || prev.text === ';' || prev.text === ']';
  // `train = 1000 |`: a value ends the attribute, whatever kind of token it is.
  return prev2?.kind === 'punct' && prev2.text === '=';
}

/** Whether token `i` of `tokens` begins a member (so an identifier after it is a block label). */
function isMemberStart(tokens: readonly SignificantToken[], i: number): boolean {
  if (i === 0) return false;
  const p = tokens[i - 1]!;
  return isMemberBoundary(p, tokens[i - 2]);
}

/**
 * The frames enclosing `offset`, outermost first, each filled with the members written in it
 * (also those after the offset, so completion does not offer an attribute set further down).
 */
export function framesAt(tokens: readonly SignificantToken[], textLength: number, offset: number): { path: Frame[] } {
  const stack: OpenFrame[] = [];
  let path: Frame[] | undefined;
  const code = tokens.filter((t) => t.kind !== 'line-comment' && t.kind !== 'block-comment');
  for (let i = 0; i < code.length; i++) {
    const t = code[i]!;
    if (path === undefined && t.start >= offset) path = [...stack];
    const top = stack[stack.length - 1];
    if (t.kind === 'punct' && (t.text === '{' || t.text === '[')) {
      const frame = t.text === '{' ? blockFrame(code, i) : listFrame(code, i);
      if (top && t.text === '{') top.blocks.push({ kind: frame.name ?? '', ...(frame.label !== undefined ? { label: frame.label } : {}) });
      stack.push(frame);
    } else if (t.kind === 'punct' && (t.text === '}' || t.text === ']')) {
      const closing = t.text === '}' ? 'block' : 'list';
      // Tolerate unbalanced text: close up to the nearest frame of the right type.
      const at = stack.map((f) => f.type).lastIndexOf(closing);
      if (at >= 0) {
        for (const f of stack.splice(at)) f.close = t.end;
      }
    } else if (top?.type === 'block' && t.kind === 'id' && code[i + 1]?.text === '=' && isMemberStart(code, i)) {
      top.attributes.add(t.text);
    } else if (top?.type === 'list' && t.kind !== 'punct') {
      top.items.push(t.text);
    }
  }
  path ??= [...stack];
  for (const f of stack) f.close = textLength;
  return { path };
}

function blockFrame(code: readonly SignificantToken[], open: number): OpenFrame {
  // Header: `kind {`, `kind label {` or `search "name" {`.
  const a = code[open - 1];
  const b = code[open - 2];
  let name: string | undefined;
  let label: string | undefined;
  if (a && b && b.kind === 'id' && (a.kind === 'id' || a.kind === 'string') && isMemberStart(code, open - 2)) {
    name = b.text;
    label = a.kind === 'string' ? a.text.slice(1, -1) : a.text;
  } else if (a && b && b.kind === 'id' && b.text === 'search' && open - 2 === 0) {
    name = 'search';
    label = a.kind === 'string' ? a.text.slice(1, -1) : a.text;
  } else if (a?.kind === 'id') {
    name = a.text;
  }
  return { type: 'block', name, label, open: code[open]!.start, close: -1, attributes: new Set(), blocks: [], items: [] };
}

function listFrame(code: readonly SignificantToken[], open: number): OpenFrame {
  // `name = [`: the list belongs to `name`; a nested list belongs to the same attribute.
  const eq = code[open - 1];
  const name = eq?.text === '=' && code[open - 2]?.kind === 'id' ? code[open - 2]!.text : undefined;
  return { type: 'list', name, open: code[open]!.start, close: -1, attributes: new Set(), blocks: [], items: [] };
}
