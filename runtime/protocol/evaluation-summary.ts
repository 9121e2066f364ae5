/**
 * What an evaluation from scratch says about a derived cell (`bnas evaluate`'s report, the record a
 * sweep keeps per trial and Evaluate Derived Cell keeps in the run folder), in figures and in one
 * sentence: read by the extension's notification and the run view alike.
 */
import { stat } from '../sweep/stats.js';
import type { Evaluation } from '../sweep/schema.js';
import { RANDOM_CELLS_NAME, type RandomRule } from './random-rule.js';

/** The random cells of a report and the derived cell's lead over them. */
export interface RandomComparison {
  readonly n: number;
  /** How they were drawn (records of older versions: uniformly). */
  readonly rule: RandomRule;
  /** The rule in words: 'random cells under the derivation caps' or 'uniform random cells'. */
  readonly kind: string;
  readonly mean: number;
  /** Sample std; 0 for one cell. */
  readonly std: number;
  /** accuracy − mean, in points. */
  readonly lead: number;
  /** The lead in units of the random cells' std; undefined when they do not spread. */
  readonly leadInStd?: number;
  /** How many random cells the derived cell beats. */
  readonly beaten: number;
}

/** The comparison with the report's random cells; undefined without random cells. */
export function randomComparison(r: Evaluation): RandomComparison | undefined {
  if (!r.random.length) return undefined;
  const s = stat(r.random);
  const std = r.random.length > 1 ? s.std : 0;
  const lead = 100 * (r.accuracy - s.mean);
  const rule = r.random_rule ?? 'uniform';
  return {
    n: r.random.length,
    rule,
    kind: RANDOM_CELLS_NAME[rule],
    mean: s.mean,
    std,
    lead,
    ...(std > 0 && { leadInStd: lead / (100 * std) }),
    beaten: r.random.filter((x) => r.accuracy > x).length,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
/** A lead in points with its sign. */
export const points = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)} points`;

/**
 * The report in one sentence: the cell's accuracy and, with random cells, how far it is above them.
 * One training says nothing of the cell's own seed noise, so no test: its lead in units of the
 * random cells' std and how many it beats (a sweep over seeds gives the Welch test).
 */
export function reportSummary(r: Evaluation): string {
  const head = `test accuracy ${pct(r.accuracy)} (${r.epochs} epochs from scratch, ${r.seconds.toFixed(0)} s)`;
  const c = randomComparison(r);
  if (!c) return `${head}.`;
  if (c.n === 1) return `${head}; one ${c.kind.replace('cells', 'cell')}: ${pct(c.mean)}, ${points(c.lead)}.`;
  const spread = c.leadInStd !== undefined ? `, ${c.leadInStd.toFixed(1)}× their std` : '';
  return `${head}; ${c.n} ${c.kind}: ${pct(c.mean)} ± ${pct(c.std)}, ${points(c.lead)}${spread}, above ${c.beaten} of ${c.n}.`;
}
