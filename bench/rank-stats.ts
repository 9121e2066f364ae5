/**
 * Rank statistics of the bench scripts that ask whether two orderings agree: Kendall's τ-b, a
 * seeded permutation p-value and a bootstrap interval.
 */
import { Rng } from '../runtime/random/rng.js';

/** Kendall's τ-b of two equally long lists. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const x = Math.sign(a[i] - a[j]), y = Math.sign(b[i] - b[j]);
      if (x === 0 && y === 0) continue;
      if (x === 0) tiesA++;
      else if (y === 0) tiesB++;
      else if (x === y) concordant++;
      else discordant++;
    }
  }
  const d = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return d ? (concordant - discordant) / d : 0;
}

/** A seeded Fisher–Yates shuffle (copy). */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const c = [...xs];
  for (let i = c.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [c[i], c[j]] = [c[j], c[i]];
  }
  return c;
}

/** One-sided permutation p-value of `observed` against `statistic` of shuffled data (≥ observed). */
export function permutationP(observed: number, statistic: (rng: Rng) => number, permutations: number, seed = 12345): number {
  const rng = new Rng(seed);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) if (statistic(rng) >= observed) atLeast++;
  return (atLeast + 1) / (permutations + 1);
}

/** Percentile bootstrap 95 % interval of `statistic` over resamples of `n` items. */
export function bootstrapCi(n: number, statistic: (pick: (i: number) => number) => number, resamples = 2000, seed = 54321): [number, number] {
  const rng = new Rng(seed);
  const values = Array.from({ length: resamples }, () => {
    const idx = Array.from({ length: n }, () => rng.int(n));
    return statistic((i) => idx[i]);
  }).sort((x, y) => x - y);
  return [values[Math.floor(0.025 * resamples)], values[Math.floor(0.975 * resamples)]];
}

/**
 * Kendall's τ-b within strata: the cells are grouped by `strata` (equal keys), τ-b is taken in
 * each group of at least 3, and the groups' values are averaged weighted by their pair counts.
 * With a one-sided permutation p that shuffles `b` within each group (the strata held fixed).
 * @returns undefined when no group has 3 members
 */
export function stratifiedTau(
  a: readonly number[],
  b: readonly number[],
  strata: readonly (string | number)[],
  permutations = 10000,
): { tau: number; permutation_p: number; groups: number } | undefined {
  const byKey = new Map<string | number, number[]>();
  for (const [i, k] of strata.entries()) {
    const group = byKey.get(k);
    if (group) group.push(i);
    else byKey.set(k, [i]);
  }
  const groups = [...byKey.values()].filter((g) => g.length >= 3);
  if (!groups.length) return undefined;
  // `a` and the pair weights stay fixed under the permutations: taken per group once.
  const aOf = groups.map((g) => g.map((i) => a[i]));
  const pairsOf = groups.map((g) => (g.length * (g.length - 1)) / 2);
  const allPairs = pairsOf.reduce((x, y) => x + y, 0);
  const statistic = (bb: readonly number[]): number =>
    groups.reduce((sum, g, k) => sum + pairsOf[k] * kendallTau(aOf[k], g.map((i) => bb[i])), 0) / allPairs;
  const tau = statistic(b);
  const p = permutationP(tau, (rng) => {
    const bb = [...b];
    for (const g of groups) shuffled(g.map((i) => b[i]), rng).forEach((v, k) => (bb[g[k]] = v));
    return statistic(bb);
  }, permutations);
  return { tau, permutation_p: p, groups: groups.length };
}
