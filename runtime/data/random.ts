/**
 * Seeded randomness for the data layer. Counter-based on purpose: every random choice is
 * derived from a hash of (seed, stream, counters…), so an iterator's whole state is two integers
 * (epoch, position) and a resumed search replays exactly the same order and augmentations
 * without storing generator internals.
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

/** Hashes a short ASCII label (a split or stream name) to a 32-bit integer. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A small, fast, seeded generator (sfc32: 128-bit state, passes PractRand to 2^40 bytes). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /** Seeds from any list of integers (see {@link hashInts}). */
  constructor(...seed: readonly number[]) {
    this.a = hashInts(...seed, 1);
    this.b = hashInts(...seed, 2);
    this.c = hashInts(...seed, 3);
    this.d = 1;
    // Discard the first outputs: sfc32 mixes slowly out of correlated seeds.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal sample (Box–Muller, the spare value is kept). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return s;
    }
    const u = 1 - this.next(); // (0, 1]: log(0) never happens
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
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
