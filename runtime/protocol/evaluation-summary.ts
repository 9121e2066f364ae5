/**
 * What an evaluation from scratch says about a derived cell (`bnas evaluate`'s report, the record a
 * sweep keeps per trial and Evaluate Derived Cell keeps in the run folder), in figures and in one
 * sentence: read by the extension's notification and the run view alike.
 */
import { stat, welch } from '../sweep/stats.js';
import type { Evaluation } from '../sweep/schema.js';
import { RANDOM_CELLS_NAME, type RandomRule } from './random-rule.js';

/** The accuracies of a report that the comparison reads. */
type Scores = Pick<Evaluation, 'accuracy' | 'accuracies' | 'random' | 'random_rule'>;

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
  /** How many random cells the derived cell beats (with repeats: its mean). */
  readonly beaten: number;
  /**
   * With repeated trainings of the derived cell and 2 or more random cells: Welch's test of the
   * trainings against the random cells (is this cell better than a random one of the space,
   * under this protocol).
   */
  readonly welch?: { readonly t: number; readonly df: number; readonly p: number };
}

/** The trainings of the derived cells: one, or the `--repeats` of the report. */
export function trainings(r: Scores): readonly number[] {
  return r.accuracies?.length ? r.accuracies : [r.accuracy];
}

/** The comparison with the report's random cells; undefined without random cells. */
export function randomComparison(r: Scores): RandomComparison | undefined {
  if (!r.random.length) return undefined;
  const s = stat(r.random);
  const std = r.random.length > 1 ? s.std : 0;
  const lead = 100 * (r.accuracy - s.mean);
  const rule = r.random_rule ?? 'uniform';
  const own = trainings(r);
  const w = own.length > 1 && r.random.length > 1 ? welch(stat(own), s) : undefined;
  return {
    n: r.random.length,
    rule,
    kind: RANDOM_CELLS_NAME[rule],
    mean: s.mean,
    std,
    lead,
    ...(std > 0 && { leadInStd: lead / (100 * std) }),
    beaten: r.random.filter((x) => r.accuracy > x).length,
    ...(w && Number.isFinite(w.p) && { welch: w }),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
/** A lead in points with its sign. */
export const points = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)} points`;

/** A p-value in two significant digits. */
export const pValue = (p: number): string => (p < 0.001 ? p.toExponential(1) : p.toPrecision(2));

/** The derived cells' accuracy: one training, or the mean ± std of the repeats. */
export function accuracyText(r: Evaluation): string {
  const own = trainings(r);
  return own.length > 1 ? `${pct(r.accuracy)} ± ${pct(stat(own).std)} over ${own.length} trainings` : pct(r.accuracy);
}

/**
 * The report in one sentence: the cell's accuracy and, with random cells, how far it is above them:
 * in points, in units of the random cells' std and in cells beaten. One training says nothing of
 * the cell's own seed noise; with repeated trainings Welch's test against the random cells is added.
 */
export function reportSummary(r: Evaluation): string {
  const head = `test accuracy ${accuracyText(r)} (${r.epochs} epochs from scratch, ${r.seconds.toFixed(0)} s)`;
  const c = randomComparison(r);
  if (!c) return `${head}.`;
  if (c.n === 1) return `${head}; one ${c.kind.replace('cells', 'cell')}: ${pct(c.mean)}, ${points(c.lead)}.`;
  const spread = c.leadInStd !== undefined ? `, ${c.leadInStd.toFixed(1)}× their std` : '';
  const test = c.welch ? `; Welch p = ${pValue(c.welch.p)}` : '';
  return `${head}; ${c.n} ${c.kind}: ${pct(c.mean)} ± ${pct(c.std)}, ${points(c.lead)}${spread}, above ${c.beaten} of ${c.n}${test}.`;
}
