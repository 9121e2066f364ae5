/**
 * Axis ticks for the charts: the run view's line charts and the bench's SVG plots use this one
 * rule. Pure arithmetic (no DOM), so Node code imports it too.
 */

/**
 * "Nice" tick values covering [lo, hi]: a step of 1, 2, 2.5 or 5 × 10^k, the one whose tick count
 * is closest to `count`.
 */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const p = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const n = (step: number) => Math.abs((hi - lo) / step - count);
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).reduce((a, b) => (n(b) < n(a) ? b : a));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
