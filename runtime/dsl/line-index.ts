/**
 * Offset ↔ position conversion for one document text (zero-based lines and UTF-16 characters,
 * as in the Language Server Protocol). Positions are always clamped into the document, so a
 * diagnostic built from any offset lies inside it.
 */
import type { Position, Range } from './diagnostics.js';

/** Line starts of one text, for converting offsets to positions and back. */
export class LineIndex {
  /** Offset of the first character of every line. */
  private readonly starts: number[];

  constructor(readonly text: string) {
    this.starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** Length of the text in UTF-16 units. */
  get length(): number {
    return this.text.length;
  }

  /** The position of an offset (clamped into the text). */
  position(offset: number): Position {
    const o = Math.min(Math.max(0, Math.floor(offset)), this.text.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo]! };
  }

  /** The offset of a position (clamped into the text). */
  offset(position: Position): number {
    const line = Math.min(Math.max(0, position.line), this.starts.length - 1);
    const start = this.starts[line]!;
    const next = line + 1 < this.starts.length ? this.starts[line + 1]! : this.text.length;
    return Math.min(start + Math.max(0, position.character), next);
  }

  /** The range between two offsets (clamped, start ≤ end). */
  range(start: number, end: number): Range {
    const a = this.position(start);
    const b = this.position(Math.max(start, end));
    return { start: a, end: b };
  }

  /** The range that covers the whole text. */
  get whole(): Range {
    return this.range(0, this.text.length);
  }
}
