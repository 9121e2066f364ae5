/**
 * Helpers of the DSL tests: texts with a marked range (`⟦…⟧` around the text a diagnostic must
 * point at), and the examples.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineIndex, type Range } from '../../../runtime/dsl/index.js';

/** Strips the markers `⟦` `⟧` from `marked` and returns the text and the marked range. */
export function marked(text: string): { text: string; range: Range } {
  const open = text.indexOf('⟦');
  const close = text.indexOf('⟧');
  if (open < 0 || close < open) throw new Error('test text needs one ⟦…⟧ range');
  const plain = text.slice(0, open) + text.slice(open + 1, close) + text.slice(close + 1);
  const lines = new LineIndex(plain);
  return { text: plain, range: lines.range(open, close - 1) };
}

/** Path of the project's examples folder. */
export const EXAMPLES_DIR = join(import.meta.dirname, '..', '..', '..', 'examples');

/** Every example: name, path and text. */
export function examples(): { name: string; path: string; text: string }[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.bnas'))
    .sort()
    .map((name) => {
      const path = join(EXAMPLES_DIR, name);
      return { name, path, text: readFileSync(path, 'utf8') };
    });
}
