/**
 * The runtime's one source of seeded randomness: weight initialisation, the search's streams
 * (initialisation seed, pruning ties), random cells, and the data layer's subsets, orders,
 * augmentations and synthetic images. The same seed gives the same numbers on every machine and
 * backend.
 *
 * - {@link Rng}: mulberry32, whose whole state is one 32-bit integer, so a checkpoint stores it
 *   and a resumed search continues the same sequence (docs/design.md, "The run folder").
 * - {@link Rng.stream}: the one way to derive a stream: a hash of (seed, name, counters…). One
 *   stream per purpose keeps them independent: drawing more from one, or creating them in another
 *   order, does not shift the others. Counters make the data layer counter-based: an iterator's
 *   epoch e is ordered by stream (seed, name, e) and its position p augmented by
 *   (seed, name/augment, e, p), so (epoch, position) is its whole state (runtime/data/README.md).
 */

/** 32-bit finaliser from MurmurHash3: good avalanche for combining small integers. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a hash of a string (a stream or parameter name) to an unsigned 32-bit integer. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Hashes a list of integers (any sign, up to 2^53) to an unsigned 32-bit value.
 * Order matters: hashInts(1, 2) !== hashInts(2, 1).
 */
export function hashInts(...values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    // Fold both 32-bit halves so seeds above 2^32 (and negative seeds) still differ.
    const lo = v | 0;
    const hi = Math.floor(v / 4294967296) | 0;
    h = fmix32((h ^ lo) + 0x7f4a7c15);
    h = fmix32((h ^ hi) + 0x165667b1);
  }
  return h;
}

/** A seeded mulberry32 generator whose state is one 32-bit integer ({@link state}, {@link restore}). */
export class Rng {
  private s: number;

  /** @param seed the initial state (taken modulo 2^32); prefer {@link Rng.stream} for named purposes. */
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /**
   * The stream for `name` (and optional integer counters) derived from `seed`: a hash of all of
   * them, so it depends on nothing else (not on other streams, nor on the order they are made in).
   */
  static stream(seed: number, name: string, ...counters: readonly number[]): Rng {
    return new Rng(hashInts(seed, hashString(name), ...counters));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller; no cached spare, so the state stays one number). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) never happens
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A fresh 32-bit seed drawn from this stream (for seeding another stream or generator). */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** The whole state, to continue the exact sequence later with {@link restore}. */
  state(): number {
    return this.s;
  }

  restore(state: number): void {
    this.s = state >>> 0;
  }
}

/**
 * A uniformly random permutation of 0..n-1 (Fisher–Yates), as an Int32Array.
 * @param n length of the permutation
 * @param rng the generator that decides the order
 */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
