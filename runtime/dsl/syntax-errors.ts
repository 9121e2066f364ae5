/**
 * Turns the lexer's and parser's errors into diagnostics with codes, ranges that never leave the
 * document, and messages in the language's own words (Chevrotain's messages name token types
 * like `ID` and list alternatives one per line).
 */
import type { ILexingError, IRecognitionException, IToken } from 'chevrotain';
import { diagnostic, type BnasDiagnostic, type Position, type Range } from './diagnostics.js';
import type { LineIndex } from './line-index.js';

/** How each token type is described to a user. */
const TOKEN_WORDS: Readonly<Record<string, string>> = {
  NUMBER: 'a number',
  SIZE: 'a size like 3x3',
  STRING: 'a string',
  ID: 'a name',
  EOF: 'the end of the file',
};

/** The alternatives of a value (a NoViableAlt on these means "a value was expected"). */
const VALUE_TOKENS = new Set(['NUMBER', 'SIZE', 'STRING', 'ID', 'true', 'false', '[']);

function describeToken(name: string): string | undefined {
  if (name === 'BAD_WORD' || name === 'OPEN_STRING') return undefined; // error-recovery tokens
  return TOKEN_WORDS[name] ?? `\`${name}\``;
}

function describeFound(token: IToken): string {
  return token.tokenType.name === 'EOF' ? 'the end of the file' : `\`${token.image}\``;
}

/** The token sequences a Chevrotain message lists as expected (one array of token names each). */
function expectedSequences(message: string): string[][] {
  const single = /Expecting token of type '([^']*)'/.exec(message);
  if (single) return [[single[1]!]];
  return [...message.matchAll(/^\s*\d+\. \[(.*)\]\s*$/gm)].map((m) => m[1]!.split(', '));
}

/** The first token of every expected sequence, in order, without duplicates. */
function expectedTokens(sequences: readonly string[][]): string[] {
  const names: string[] = [];
  for (const seq of sequences) if (seq[0] !== undefined && !names.includes(seq[0])) names.push(seq[0]);
  return names;
}

function joinAlternatives(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? 'something else';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function expectationText(names: readonly string[]): string {
  if (names.includes('NUMBER') && names.every((n) => VALUE_TOKENS.has(n) || n === 'BAD_WORD' || n === 'OPEN_STRING')) {
    return 'a value (a number, a name, a string, true/false, a size like 3x3, or a [list])';
  }
  if (names.includes('}') && names.includes('ID') && names.length <= 3) {
    return 'an attribute (`name = value`), a block (`name { ... }`) or `}`';
  }
  const words = names.map(describeToken).filter((w): w is string => w !== undefined);
  return joinAlternatives(words);
}

function tokenRange(token: IToken, lines: LineIndex): Range | undefined {
  if (!Number.isFinite(token.startOffset) || token.startOffset < 0 || token.tokenType.name === 'EOF') return undefined;
  const end = (token.endOffset ?? token.startOffset) + 1;
  return lines.range(token.startOffset, end);
}

/** Where a parser error is shown: on the offending token, else just after the previous one. */
function errorRange(error: IRecognitionException, lines: LineIndex): Range {
  const own = tokenRange(error.token, lines);
  if (own) return own;
  const previous = (error as { previousToken?: IToken }).previousToken;
  if (previous && Number.isFinite(previous.endOffset) && previous.endOffset !== undefined && previous.endOffset >= 0) {
    const at = lines.position(previous.endOffset + 1);
    return { start: at, end: at };
  }
  const end: Position = lines.position(lines.length);
  return { start: end, end };
}

/** Converts one parser error into a `syntax-error` diagnostic. */
export function parserErrorToDiagnostic(error: IRecognitionException, lines: LineIndex): BnasDiagnostic {
  const range = errorRange(error, lines);
  const found = describeFound(error.token);
  if (error.name === 'NotAllInputParsedException') {
    return diagnostic(
      'syntax-error',
      `Unexpected ${found} after the end of the \`search\` block: a file holds exactly one \`search NAME { ... }\` block.`,
      range,
    );
  }
  const sequences = expectedSequences(error.message);
  const names = expectedTokens(sequences);
  // A name inside a block must continue as an attribute (`name = value`) or a block (`name {`).
  if (sequences.length > 1 && sequences.every((q) => q[0] === 'ID') && sequences.some((q) => q[1] === '=') && error.token.tokenType.name === 'ID') {
    const name = error.token.image;
    return diagnostic(
      'syntax-error',
      `\`${name}\` must be followed by \`=\` (an attribute: \`${name} = value\`) or by \`{\` (a block: \`${name} { … }\`).`,
      range,
    );
  }
  if (names.length === 1 && names[0] === ']') {
    const text = found === '`,`' ? `Expected a list item or \`]\`, but found ${found}.` : `Expected \`,\` between list items or \`]\` to close the list, but found ${found}.`;
    return diagnostic('syntax-error', text, range);
  }
  if (names.length === 1 && names[0] === 'search') {
    return diagnostic(
      'syntax-error',
      `A .bnas file starts with \`search NAME {\`, but found ${found}.`,
      range,
      error.token.image && error.token.image !== 'search' && /^s\w*$/i.test(error.token.image) ? { suggestion: 'search' } : undefined,
    );
  }
  const expected = names.length > 0 ? expectationText(names) : 'something else';
  return diagnostic('syntax-error', `Expected ${expected}, but found ${found}.`, range);
}

/** Converts one lexer error (a character no token can start with) into a diagnostic. */
export function lexerErrorToDiagnostic(error: ILexingError, lines: LineIndex): BnasDiagnostic {
  const length = Math.max(1, error.length);
  const range = lines.range(error.offset, error.offset + length);
  const text = lines.text.slice(error.offset, error.offset + length);
  return diagnostic(
    'unexpected-character',
    `Unexpected character \`${text}\`: names start with a letter and may contain letters, digits, \`_\` and \`-\`; comments start with \`#\`, \`//\` or \`/*\`.`,
    range,
  );
}
