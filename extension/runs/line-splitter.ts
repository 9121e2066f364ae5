/**
 * Splits a text stream into lines. Chunks from a pipe end anywhere, often mid-line (and mid-JSON),
 * so a line is only given out once its newline has arrived. A cap on the pending text protects the
 * extension host from a child that writes megabytes without a newline.
 */
export class LineSplitter {
  private pending = '';
  /** Pending characters dropped because a line exceeded `maxLineLength`. */
  overflowed = 0;

  constructor(private readonly maxLineLength = 16 * 1024 * 1024) {}

  /** Adds a decoded chunk; returns the complete lines it finished (without `\n` or `\r\n`). */
  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > this.maxLineLength) {
      this.overflowed += this.pending.length;
      this.pending = '';
    }
    return parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p));
  }

  /** The last line when the stream ended without a newline. */
  end(): string | undefined {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? undefined : rest;
  }
}

/** Keeps the last `size` lines written (the stderr tail shown when the runtime crashes). */
export class TailBuffer {
  private readonly lines: string[] = [];
  private readonly splitter = new LineSplitter(64 * 1024);

  constructor(private readonly size: number) {}

  /** Adds a chunk; returns the complete lines it finished (to forward to the log). */
  push(chunk: string): string[] {
    const done = this.splitter.push(chunk);
    for (const line of done) this.add(line);
    return done;
  }

  /** Flushes an unterminated last line; returns it when there was one. */
  end(): string | undefined {
    const rest = this.splitter.end();
    if (rest !== undefined) this.add(rest);
    return rest;
  }

  /** The kept lines, oldest first, without blank ones. */
  get tail(): string[] {
    return this.lines.filter((l) => l.trim() !== '');
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }
}
