/**
 * Seeded random streams whose whole state is one 32-bit integer, so a checkpoint can store it and a
 * resumed search continues with the same numbers. One stream per purpose (initialisation, sampling,
 * pruning) keeps them independent: drawing more from one does not shift the others.
 */

import { mulberry32 } from '../engine/rng.js';

/** A mulberry32 generator with serialisable state. */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Derives an independent stream for `purpose` from a base seed (hash of both). */
  static stream(seed: number, purpose: string): Rng {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < purpose.length; i++) {
      h = Math.imul(h ^ purpose.charCodeAt(i), 0x85ebca6b) >>> 0;
      h = (h ^ (h >>> 13)) >>> 0;
    }
    return new Rng(Math.imul(h ^ (h >>> 16), 0xc2b2ae35) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    return mulberry32(this.s);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; no cached spare so the state stays one number). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A fresh 32-bit seed drawn from this stream (for seeding other libraries' generators). */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  state(): number {
    return this.s;
  }

  restore(state: number): void {
    this.s = state >>> 0;
  }
}
