/**
 * Two groups of a cell-evaluation record (`evaluations.json`) set against each other: mean ± std,
 * the paired t-test over the seeds both have (with how often the first is ahead), and Welch's test
 * of the groups as a whole, whose cells need not pair (random cells: several a seed). The numbers of
 * bench/quality/README.md's cell comparisons come from here.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/compare.ts A B [--evaluations FILE]
 *   A, B  a group (`L`), groups pooled (`H+S`: every cell of either), or a fallback (`X/L`: per seed
 *         the cells of X where it has any, else those of L)
 *   --evaluations  default bench/quality/results-sweep/cells-6cells/evaluations.json; repeat it to pool
 *                  the evaluations of several records (a sweep's own next to the cells of that file)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pairedT, stat, welch, type Stat } from '../../runtime/sweep/stats.js';

interface Evaluation { readonly group: string; readonly seed: number; readonly accuracy: number }

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { evaluations: { type: 'string', multiple: true, default: ['bench/quality/results-sweep/cells-6cells/evaluations.json'] } },
});
if (positionals.length !== 2) throw new Error('compare.ts needs two groups, e.g. `L H+S` or `X/L C`');
const files = values.evaluations as string[];
const evaluations = files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { evaluations: Evaluation[] }).evaluations);

/** The cells a group expression names (see Usage), in record order. */
function cells(expr: string): Evaluation[] {
  if (expr.includes('/')) {
    const chosen: Evaluation[] = [];
    const seeds = new Set<number>();
    for (const g of expr.split('/')) {
      const own = evaluations.filter((e) => e.group === g && !seeds.has(e.seed));
      own.forEach((e) => seeds.add(e.seed));
      chosen.push(...own);
    }
    return nonEmpty(chosen, expr);
  }
  const groups = expr.split('+');
  return nonEmpty(evaluations.filter((e) => groups.includes(e.group)), expr);
}

function nonEmpty(found: Evaluation[], expr: string): Evaluation[] {
  if (!found.length) throw new Error(`no evaluations of group ${expr} in ${files.join(', ')}`);
  return found;
}

const pct = (x: number, digits = 2) => (100 * x).toFixed(digits);
const meanStd = (s: Stat) => `${pct(s.mean)} ± ${pct(s.std)} % (${s.n} cells)`;
const [nameA, nameB] = positionals;
const a = cells(nameA), b = cells(nameB);
const sa = stat(a.map((e) => e.accuracy)), sb = stat(b.map((e) => e.accuracy));
console.log(`${nameA}: ${meanStd(sa)}\n${nameB}: ${meanStd(sb)}`);

// Pairs only where each group has exactly one cell of the seed.
const one = (xs: Evaluation[]) => new Map(xs.filter((e) => xs.filter((x) => x.seed === e.seed).length === 1).map((e) => [e.seed, e.accuracy]));
const ma = one(a), mb = one(b);
const seeds = [...ma.keys()].filter((s) => mb.has(s)).sort((x, y) => x - y);
if (seeds.length >= 2) {
  const t = pairedT(seeds.map((s) => ma.get(s)!), seeds.map((s) => mb.get(s)!));
  const d = stat(seeds.map((s) => ma.get(s)! - mb.get(s)!));
  const ahead = seeds.filter((s) => ma.get(s)! > mb.get(s)!).length;
  console.log(`paired over seeds ${seeds.join(', ')}: ${nameA} − ${nameB} = ${d.mean >= 0 ? '+' : '−'}${pct(Math.abs(d.mean))} ± ${pct(d.std)} points, ahead on ${ahead} of ${seeds.length}, p = ${t.p.toPrecision(2)}`);
}
const m = sa.mean - sb.mean;
console.log(`Welch: ${m >= 0 ? '+' : '−'}${pct(Math.abs(m))} points = ${(m / sb.std).toFixed(2)}× ${nameB}'s std, p = ${welch(sa, sb).p.toPrecision(2)}`);
