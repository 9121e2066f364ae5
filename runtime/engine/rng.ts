/**
 * Seeded random numbers for initialisation: a 32-bit state generator (mulberry32) and
 * Box–Muller normals. The same seed gives the same sequence on every machine and backend.
 */

/** FNV-1a hash of a string, for deriving per-name streams from one seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The mulberry32 output for an already advanced 32-bit state, uniform in [0, 1). Shared by every
 * seeded stream of the runtime so they all draw the same numbers from the same state.
 */
export function mulberry32(state: number): number {
  let t = state >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A small deterministic generator; `state` can be saved and restored (checkpoints). */
export class SeededRandom {
  private s: number;
  private spare: number | undefined;

  /** @param seed any integer; strings are hashed. */
  constructor(seed: number | string) {
    this.s = (typeof seed === 'string' ? hashString(seed) : seed) >>> 0;
  }

  /** A stream for `name` derived from `seed`: independent of the order streams are created in. */
  static derive(seed: number, name: string): SeededRandom {
    return new SeededRandom((hashString(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    return mulberry32(this.s);
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The generator's state, to resume the exact sequence later. */
  get state(): number {
    return this.s;
  }

  set state(value: number) {
    this.s = value >>> 0;
    this.spare = undefined;
  }
}
