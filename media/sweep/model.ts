/**
 * The sweep view's rows and their order, as plain data from `sweep.json` (no DOM), so sorting and
 * the choice of the best trial are one rule for the table, the scatter and the cell drawing.
 */
import type { TrialProgress } from '../../runtime/protocol/sweep-view.js';
import type { Trial } from '../../runtime/sweep/schema.js';
import { pct } from '../shared/dom.js';

/** One row of the trial table. */
export interface TrialRow {
  readonly id: string;
  /** `key=value` of each setting, in the sweep's order. */
  readonly settings: string;
  readonly seed: number;
  readonly state: Trial['state'];
  /** Test accuracy of the search when it has one, else its validation accuracy. */
  readonly accuracy?: number;
  /** Accuracy of the derived cells trained from scratch (`--evaluate`). */
  readonly evaluated?: number;
  readonly seconds?: number;
  readonly parameters?: number;
  readonly paramFree?: number;
  readonly error?: string;
  /** Where a running trial's search stands, e.g. `epoch 3/6 · valid 55.2 %`. */
  readonly progress?: string;
}

export const COLUMNS = [
  { key: 'id', label: 'Trial' },
  { key: 'settings', label: 'Settings' },
  { key: 'seed', label: 'Seed' },
  { key: 'state', label: 'State' },
  { key: 'accuracy', label: 'Accuracy' },
  { key: 'evaluated', label: 'Evaluated' },
  { key: 'seconds', label: 'Search time' },
  { key: 'parameters', label: 'Parameters' },
  { key: 'paramFree', label: 'Parameter-free' },
] as const satisfies readonly { key: keyof TrialRow; label: string }[];
export type ColumnKey = (typeof COLUMNS)[number]['key'];

export interface Sort {
  readonly key: ColumnKey;
  readonly descending: boolean;
}

export function trialRow(t: Trial, progress?: TrialProgress): TrialRow {
  const r = t.result;
  const live = t.state === 'running' && progress ? `epoch ${progress.epoch}${progress.epochs ? `/${progress.epochs}` : ''} · valid ${pct(progress.valid_acc)}` : undefined;
  return {
    id: t.id,
    settings: Object.entries(t.settings).map(([k, v]) => `${k}=${v}`).join(' '),
    seed: t.seed,
    state: t.state,
    accuracy: r ? (r.test_acc ?? r.valid_acc) : undefined,
    evaluated: t.evaluation?.accuracy,
    seconds: r?.search_seconds,
    parameters: r?.parameters,
    paramFree: r?.param_free_share,
    error: t.error,
    ...(live && { progress: live }),
  };
}

/** Rows in the order of `sort`; rows without the value go last either way, ties keep the sweep's order. */
export function sortRows(rows: readonly TrialRow[], sort: Sort | undefined): TrialRow[] {
  if (!sort) return [...rows];
  const sign = sort.descending ? -1 : 1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      const x = a.row[sort.key];
      const y = b.row[sort.key];
      if (x === undefined || y === undefined) return x === y ? a.i - b.i : x === undefined ? 1 : -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((e) => e.row);
}

/** The finished trial with the highest accuracy (the first of equals). */
export function bestTrial(trials: readonly Trial[]): Trial | undefined {
  let best: Trial | undefined;
  for (const t of trials) {
    const acc = t.result && (t.result.test_acc ?? t.result.valid_acc);
    const bestAcc = best?.result && (best.result.test_acc ?? best.result.valid_acc);
    if (acc !== undefined && (bestAcc === undefined || acc > bestAcc)) best = t;
  }
  return best;
}
