/**
 * A thread count as the command line (`--threads`) and the extension (`bnas.threads`) give it:
 * `auto` (runtime/engine/cores.ts measures) or a whole number (docs/design.md, "Threads").
 */

/** The most threads the search or an evaluation accepts. */
export const MAX_THREADS = 32;

/** A requested thread count: a whole number, or `auto` (resolved by runtime/engine/cores.ts). */
export type ThreadsChoice = number | 'auto';

/** Checks a requested thread count; the message says what is allowed. */
export function checkThreads(threads: ThreadsChoice): void {
  if (threads === 'auto') return;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`threads must be 'auto' or a whole number from 1 to ${MAX_THREADS}, got ${threads}`);
  }
}

/** Parses `--threads` / `bnas.threads` text: `auto` or a whole number (checked). */
export function parseThreads(text: string): ThreadsChoice {
  const t = text.trim().toLowerCase();
  const v: ThreadsChoice = t === 'auto' ? 'auto' : /^\d+$/.test(t) ? Number(t) : NaN;
  checkThreads(v);
  return v;
}
