/**
 * A small lexer for `.bnas` text that keeps comments and whitespace, which the parser drops.
 * The formatter needs every comment to put it back, and completion needs to look at the text
 * around the cursor when the tree is broken by a half-typed line. It uses the same terminal
 * regular expressions as the Langium grammar (generated `BnasTerminals`), so both agree on what
 * a number, a size or a name is.
 */
import { BnasTerminals } from '../generated/ast.js';

/** What a piece of text is. `punct` covers the keywords `{ } [ ] = , ;`. */
export type TokenKind = 'ws' | 'line-comment' | 'block-comment' | 'size' | 'number' | 'string' | 'id' | 'punct' | 'error';

/** One token with its offsets in the text. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Offset of the first character. */
  readonly start: number;
  /** Offset after the last character. */
  readonly end: number;
}

/** A non-whitespace token with the number of line breaks in the whitespace before it. */
export interface SignificantToken extends Token {
  readonly newlinesBefore: number;
}

const sticky = (r: RegExp): RegExp => new RegExp(r.source, 'y');

/** How the grammar's terminals map to token kinds; any other terminal is an `error` token. */
const KIND_OF_TERMINAL: Readonly<Record<string, TokenKind>> = {
  WS: 'ws',
  ML_COMMENT: 'block-comment',
  SL_COMMENT: 'line-comment',
  SIZE: 'size',
  NUMBER: 'number',
  STRING: 'string',
  ID: 'id',
};

// Keyword punctuation first, then the terminals in the grammar's order (the lexer takes the
// first that matches: sizes before numbers, so `3x3` is one token; malformed words such as
// `3x3x3` or an unterminated string come out as `error` tokens).
const RULES: readonly [TokenKind, RegExp][] = [
  ['punct', /[{}[\]=,;]/y],
  ...Object.entries(BnasTerminals).map(([name, re]): [TokenKind, RegExp] => [KIND_OF_TERMINAL[name] ?? 'error', sticky(re)]),
];

/**
 * Splits `text` into tokens covering it completely. A character no rule accepts becomes a
 * one-character `error` token (an unterminated string or comment too), so callers can decide
 * to stay away from text they do not understand.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    let matched: Token | undefined;
    for (const [kind, re] of RULES) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (m && m[0].length > 0) {
        matched = { kind, text: m[0], start: pos, end: pos + m[0].length };
        break;
      }
    }
    matched ??= { kind: 'error', text: text[pos]!, start: pos, end: pos + 1 };
    out.push(matched);
    pos = matched.end;
  }
  return out;
}

/** The non-whitespace tokens of `text`, each with the line breaks before it. */
export function significantTokens(text: string): SignificantToken[] {
  const out: SignificantToken[] = [];
  let newlines = 0;
  for (const t of tokenize(text)) {
    if (t.kind === 'ws') {
      newlines += countNewlines(t.text);
      continue;
    }
    out.push({ ...t, newlinesBefore: newlines });
    newlines = 0;
  }
  return out;
}

/** Counts line breaks (`\n`, `\r\n` or a lone `\r`). */
export function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && s.charCodeAt(i + 1) !== 10) n++;
  }
  return n;
}

/** Whether a token is a comment. */
export function isComment(t: Token): boolean {
  return t.kind === 'line-comment' || t.kind === 'block-comment';
}
