/**
 * The run's evaluations from scratch (Evaluate Derived Cell's records in the run folder's
 * `evaluations/`): one row per training of the derived cells, with its protocol, accuracy and,
 * against random cells, their mean ± std and the cell's lead. Names come from files a user
 * chose and are shown as text only.
 */
import { accuracyText, points, pValue, randomComparison } from '../../runtime/protocol/evaluation-summary.js';
import type { RunEvaluation } from '../../runtime/protocol/webview.js';
import { h, pct } from '../shared/dom.js';

/** The table, or a line saying how to make one when there is none. */
export function evaluationsTable(evaluations: readonly RunEvaluation[]): HTMLElement {
  if (!evaluations.length) {
    return h('p', { class: 'muted' }, 'Not trained from scratch yet: BNAS: Evaluate Derived Cell trains the derived cells against random cells the same derivation caps allow.');
  }
  const head = h('tr', {}, ...['trained', 'protocol', 'epochs', 'test acc', 'random cells', 'lead'].map((t) => h('th', { scope: 'col' }, t)));
  const rows = evaluations.map((e) => {
    const r = e.report;
    const c = randomComparison(r);
    const protocol = e.protocol ? (e.protocol.split(/[\\/]/).at(-1) ?? e.protocol) : '–';
    const random = c ? `${c.n} ${c.rule === 'caps' ? 'under the caps' : 'uniform'}: ${pct(c.mean)}${c.n > 1 ? ` ± ${pct(c.std)}` : ''}` : '–';
    const lead = c ? `${points(c.lead)}${c.leadInStd !== undefined ? ` (${c.leadInStd.toFixed(1)}× std)` : ''}, above ${c.beaten} of ${c.n}${c.welch ? `, Welch p = ${pValue(c.welch.p)}` : ''}` : '–';
    return h(
      'tr',
      { 'data-evaluation': e.name },
      h('td', {}, e.name),
      h('td', { title: e.protocol ?? '' }, protocol),
      h('td', {}, String(r.epochs)),
      h('td', {}, accuracyText(r)),
      h('td', {}, random),
      h('td', {}, lead),
    );
  });
  return h('table', { class: 'evaluations-table', 'aria-label': 'Trainings of the derived cells from scratch' }, h('thead', {}, head), h('tbody', {}, ...rows));
}
