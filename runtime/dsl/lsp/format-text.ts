/**
 * The canonical layout of a `.bnas` file, computed on tokens so comments survive.
 *
 * Rules (each output is a fixed point, so formatting twice changes nothing):
 * - A block written on one line stays on one line: `data { source = mnist, train = 4000 }`
 *   (single spaces, `, ` between attributes, no separator at the end).
 * - Any other block puts one member per line, indented one level, without `,`/`;` separators;
 *   at most one blank line is kept between members, none after `{` or before `}`.
 * - `name = value` with one space around `=`; `kind name {` with single spaces.
 * - Lists: `[a, b]` on one line; a list that the user wrapped keeps its line breaks, with
 *   continuation lines aligned after `[`; a list whose first item is on a new line is written
 *   one item per line, indented one level, `]` on its own line (a trailing comma is kept).
 * - Comments stay where they are: a comment after code on the same line stays there (with the
 *   spaces the user put before it, so aligned comments stay aligned); a comment on its own line
 *   is re-indented to the surrounding level.
 * - The file ends with exactly one line break.
 *
 * Only whitespace and the optional separators change. The result is checked: if its tokens
 * differ from the input's in anything else, no edit is returned.
 */
import { isComment, significantTokens, type SignificantToken } from './tokens.js';

/** A replacement of `[start, end)` of the original text. */
export interface OffsetEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

/** Layout options (from the editor's `FormattingOptions`). */
export interface LayoutOptions {
  /** One indentation level, e.g. two spaces or a tab. */
  readonly indent: string;
}

/** The formatted text and the minimal edits that turn the original into it. */
export interface FormatResult {
  readonly text: string;
  readonly edits: readonly OffsetEdit[];
}

type BlockState = 'member' | 'key' | 'header-name' | 'value' | 'after-value' | 'after-separator';

interface BlockFrame {
  readonly type: 'block';
  readonly inline: boolean;
  /** Indentation level of the block's own line (members are one deeper). */
  readonly level: number;
  state: BlockState;
  members: number;
}

interface ListFrame {
  readonly type: 'list';
  readonly style: 'inline' | 'wrapped' | 'vertical';
  readonly level: number;
  /** Output column right after `[` (continuation lines of wrapped lists align here). */
  readonly alignColumn: number;
  items: number;
}

type Frame = BlockFrame | ListFrame;

const VALUE_KINDS = new Set(['number', 'size', 'string', 'id']);

/**
 * Formats `text`. Returns undefined when the text does not lex or does not have the shape of
 * the grammar (the caller then leaves the document alone; validation reports the problem).
 */
export function formatBnasText(text: string, options: LayoutOptions): FormatResult | undefined {
  const tokens = significantTokens(text);
  if (tokens.some((t) => t.kind === 'error')) return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const gaps = layout(text, tokens, options.indent, eol);
  if (!gaps) return undefined;

  // Assemble the output and the edits: each kept token is preceded by its new gap; a dropped
  // separator becomes part of the gap around it.
  let out = '';
  const edits: OffsetEdit[] = [];
  let origPos = 0;
  for (let i = 0; i < tokens.length; i++) {
    const gap = gaps[i];
    if (gap === null) continue; // dropped: its text is covered by the next kept token's gap
    const tok = tokens[i]!;
    pushEdit(edits, text, origPos, tok.start, gap!);
    out += gap! + tok.text;
    origPos = tok.end;
  }
  const finalGap = tokens.length > 0 ? eol : '';
  pushEdit(edits, text, origPos, text.length, finalGap);
  out += finalGap;

  // Safety net: formatting may only change whitespace and the optional separators.
  const essential = (ts: readonly SignificantToken[]): string[] =>
    ts.filter((t) => !(t.kind === 'punct' && (t.text === ',' || t.text === ';'))).map((t) => t.text);
  const kept = essential(tokens);
  const again = essential(significantTokens(out));
  if (kept.length !== again.length || kept.some((t, i) => t !== again[i])) return undefined;
  return { text: out, edits };
}

function pushEdit(edits: OffsetEdit[], text: string, start: number, end: number, newText: string): void {
  if (text.slice(start, end) !== newText) edits.push({ start, end, newText });
}

/**
 * Decides the whitespace before every token: a string, or null when the token (a `,`/`;`
 * separator of a block) is dropped. Returns undefined when the tokens do not follow the grammar.
 */
function layout(text: string, tokens: readonly SignificantToken[], indent: string, eol: string): (string | null)[] | undefined {
  const closers = matchBrackets(tokens);
  if (!closers) return undefined;
  const gaps: (string | null)[] = [];
  const stack: Frame[] = [{ type: 'block', inline: false, level: -1, state: 'member', members: 0 }];
  let column = 0; // output column after the last kept token
  let prevKept: SignificantToken | undefined;

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const frame = stack[stack.length - 1]!;
    let gap: string | null | undefined;
    if (isComment(tok)) {
      if (prevKept && tok.newlinesBefore === 0 && prevKept.kind !== 'line-comment') {
        // A trailing comment keeps the user's spacing (often aligned with the lines around it).
        const before = text.slice(tokens[i - 1]!.end, tok.start);
        gap = /^[ \t]+$/.test(before) ? before : ' ';
      } else gap = lineStart(frame, tok);
    } else {
      gap = frame.type === 'list' ? listToken(frame, tok, tokens[i + 1]) : blockToken(frame, tok);
      if (gap === undefined) return undefined;
      // Nothing may follow a line comment on its line.
      if (gap !== null && prevKept?.kind === 'line-comment' && !gap.includes('\n')) gap = lineStart(frame, tok);
    }
    gaps.push(gap);
    if (gap === null) continue;
    column = advance(column, gap + tok.text);
    prevKept = tok;

    if (tok.kind !== 'punct') continue;
    if (tok.text === '{' || tok.text === '[') {
      const inner = tokens.slice(i + 1, closers.get(i)! + 1);
      const level = frame.level + 1;
      if (tok.text === '{') {
        const inline = inner.every((t) => t.newlinesBefore === 0 && t.kind !== 'line-comment');
        stack.push({ type: 'block', inline, level, state: 'member', members: 0 });
      } else {
        stack.push({ type: 'list', style: listStyle(inner), level, alignColumn: column, items: 0 });
      }
    } else if (tok.text === '}' || tok.text === ']') {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (!parent) return undefined;
      if (parent.type === 'block') parent.state = tok.text === '}' ? 'member' : 'after-value';
      else parent.items++;
    }
  }
  if (stack.length !== 1) return undefined;
  return gaps;

  /** A line break (plus one blank line if the user had one and it is allowed) and indentation. */
  function newline(level: number, tok: SignificantToken, allowBlank: boolean): string {
    if (!prevKept) return '';
    const opening = prevKept.kind === 'punct' && (prevKept.text === '{' || prevKept.text === '[');
    const blank = allowBlank && !opening && tok.newlinesBefore >= 2 ? eol : '';
    return eol + blank + indent.repeat(Math.max(0, level));
  }

  /** Whitespace that starts `tok` on a fresh line at the level of `frame`'s contents. */
  function lineStart(frame: Frame, tok: SignificantToken): string {
    if (frame.type === 'block') return newline(frame.level + 1, tok, true);
    if (frame.style === 'vertical') return newline(frame.level + 1, tok, false);
    return prevKept ? eol + ' '.repeat(frame.alignColumn) : '';
  }

  /** Gap before a non-comment token inside a block; null drops it; undefined: not the grammar. */
  function blockToken(frame: BlockFrame, tok: SignificantToken): string | null | undefined {
    const p = tok.kind === 'punct' ? tok.text : undefined;
    switch (frame.state) {
      case 'member':
      case 'after-value':
      case 'after-separator': {
        if (p === '}') {
          if (frame.level < 0) return undefined;
          if (frame.inline) return frame.members === 0 ? '' : ' ';
          return newline(frame.level, tok, false);
        }
        if ((p === ',' || p === ';') && frame.state === 'after-value') {
          frame.state = 'after-separator';
          return null;
        }
        if (tok.kind !== 'id') return undefined;
        // Inline blocks separate attributes with `, `; a nested block takes no separator.
        const afterAttribute = frame.state !== 'member';
        frame.state = 'key';
        frame.members++;
        if (frame.inline) return frame.members === 1 ? ' ' : afterAttribute ? ', ' : ' ';
        return lineStart(frame, tok);
      }
      case 'key':
        if (p === '=') {
          frame.state = 'value';
          return ' ';
        }
        if (p === '{') return ' ';
        if (tok.kind === 'id' || tok.kind === 'string') {
          frame.state = 'header-name';
          return ' ';
        }
        return undefined;
      case 'header-name':
        return p === '{' ? ' ' : undefined;
      case 'value':
        if (p === '[') return ' ';
        if (VALUE_KINDS.has(tok.kind)) {
          frame.state = 'after-value';
          return ' ';
        }
        return undefined;
    }
  }

  /** Gap before a non-comment token inside a list. */
  function listToken(frame: ListFrame, tok: SignificantToken, next: SignificantToken | undefined): string | null | undefined {
    const p = tok.kind === 'punct' ? tok.text : undefined;
    if (p === ']') return frame.style === 'vertical' && frame.items > 0 ? newline(frame.level, tok, false) : '';
    if (p === ',') {
      // A trailing comma is kept only in one-item-per-line lists.
      const trailing = next?.kind === 'punct' && next.text === ']';
      return trailing && frame.style !== 'vertical' ? null : '';
    }
    if (p !== '[' && !VALUE_KINDS.has(tok.kind)) return undefined;
    const first = prevKept?.kind === 'punct' && prevKept.text === '[';
    if (p !== '[') frame.items++;
    if (frame.style === 'vertical') return newline(frame.level + 1, tok, false);
    if (first) return '';
    if (frame.style === 'wrapped' && tok.newlinesBefore > 0) return lineStart(frame, tok);
    return ' ';
  }
}

/** How a list is laid out, from the tokens after its `[` up to its `]`. */
function listStyle(inner: readonly SignificantToken[]): ListFrame['style'] {
  const first = inner[0];
  if (!first || (first.kind === 'punct' && first.text === ']')) return 'inline';
  if (first.newlinesBefore > 0) return 'vertical';
  return inner.some((t) => t.newlinesBefore > 0 || t.kind === 'line-comment') ? 'wrapped' : 'inline';
}

/** The output column after appending `s` at `column`. */
function advance(column: number, s: string): number {
  const i = s.lastIndexOf('\n');
  return i < 0 ? column + s.length : s.length - i - 1;
}

/** Maps the index of every `{`/`[` to the index of its closing token; undefined if unbalanced. */
function matchBrackets(tokens: readonly SignificantToken[]): Map<number, number> | undefined {
  const closers = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '{' || t.text === '[') open.push(i);
    else if (t.text === '}' || t.text === ']') {
      const o = open.pop();
      if (o === undefined || tokens[o]!.text !== (t.text === '}' ? '{' : '[')) return undefined;
      closers.set(o, i);
    }
  }
  return open.length === 0 ? closers : undefined;
}
