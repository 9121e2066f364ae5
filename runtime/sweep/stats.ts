/**
 * The statistics a sweep summary and the bench records report: mean ± sample standard deviation
 * and Welch's t-test (docs/method.md, "Evaluating a cell"). Pure functions, no dependencies.
 */

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export interface Stat {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
}

/** Mean ± sample standard deviation of `xs` (NaN mean for an empty list). */
export function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/**
 * Welch's t-test of two groups given by their mean, sample std and size: t, the
 * Welch–Satterthwaite degrees of freedom and the two-sided p-value (NaN with fewer than 2 in a
 * group or no spread at all).
 */
export function welch(a: Stat, b: Stat): { t: number; df: number; p: number } {
  const va = a.std ** 2 / a.n;
  const vb = b.std ** 2 / b.n;
  if (a.n < 2 || b.n < 2 || !(va + vb > 0)) return { t: NaN, df: NaN, p: NaN };
  const t = (a.mean - b.mean) / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  // Two-sided p of Student's t: I_x(df/2, 1/2) with x = df / (df + t²).
  return { t, df, p: incompleteBeta(df / (df + t * t), df / 2, 0.5) };
}

/**
 * Paired t-test of two equally long lists (pair i: a[i] and b[i]): the mean difference a − b, t, its
 * n − 1 degrees of freedom and the two-sided p-value (NaN with fewer than 2 pairs or no spread).
 */
export function pairedT(a: readonly number[], b: readonly number[]): { diff: number; t: number; df: number; p: number } {
  if (a.length !== b.length) throw new Error(`a paired test needs pairs: ${a.length} against ${b.length} values`);
  const d = stat(a.map((x, i) => x - b[i]));
  if (d.n < 2 || !(d.std > 0)) return { diff: d.mean, t: NaN, df: NaN, p: NaN };
  const t = d.mean / (d.std / Math.sqrt(d.n));
  const df = d.n - 1;
  return { diff: d.mean, t, df, p: incompleteBeta(df / (df + t * t), df / 2, 0.5) };
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 digits). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const w = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(w) - w + Math.log(sum);
}

/** Regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // The fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1, c = 1, d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    // d_0 = 1; d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)); d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)).
    const num = i === 0 ? 1 : i % 2 === 1 ? -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)) : (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-12) break;
  }
  return front * (f - 1);
}
