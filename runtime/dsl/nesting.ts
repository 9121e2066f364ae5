/**
 * Guard against pathologically deep nesting. The language needs three levels
 * (`search { block { attribute = [list] } }`), but the recursive-descent parser would overflow
 * its stack on thousands of `[` or `{`, taking the language server down. Text past the point
 * where nesting gets too deep is blanked before parsing (offsets and lines are kept), and the
 * analysis reports one clear error there.
 */

/** Deepest nesting of `{` and `[` that is parsed. */
export const MAX_NESTING = 64;

/**
 * The offset where brackets first nest deeper than {@link MAX_NESTING}, skipping strings and
 * comments, or -1. One pass over the text.
 */
export function tooDeepAt(text: string): number {
  let depth = 0;
  let quote = '';
  let comment: '' | 'line' | 'block' = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (comment === 'line') {
      if (c === '\n' || c === '\r') comment = '';
    } else if (comment === 'block') {
      if (c === '*' && text[i + 1] === '/') {
        comment = '';
        i++;
      }
    } else if (quote) {
      if (c === '\\') i++;
      else if (c === quote || c === '\n' || c === '\r') quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' || (c === '/' && text[i + 1] === '/')) comment = 'line';
    else if (c === '/' && text[i + 1] === '*') {
      comment = 'block';
      i++;
    } else if (c === '{' || c === '[') {
      if (++depth > MAX_NESTING) return i;
    } else if (c === '}' || c === ']') depth = Math.max(0, depth - 1);
  }
  return -1;
}

/** The text with everything from `offset` on replaced by spaces (line breaks kept). */
export function blankFrom(text: string, offset: number): string {
  return text.slice(0, offset) + text.slice(offset).replace(/[^\r\n]/g, ' ');
}

/** The text the parser may safely see: unchanged unless it nests too deeply. */
export function parsableText(text: string): string {
  const deep = tooDeepAt(text);
  return deep < 0 ? text : blankFrom(text, deep);
}

/** The message of the nesting error. */
export const TOO_DEEP_MESSAGE = `Brackets nest more than ${MAX_NESTING} levels deep here: a search space needs only \`search { block { attribute = [list] } }\` (3 levels). Close the open \`{\` and \`[\` before this point; the rest of the file is not checked.`;
