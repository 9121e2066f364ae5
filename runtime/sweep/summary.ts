/**
 * The summary table of a sweep: one row per trial (settings, seed, state, accuracies, search
 * wall and CPU time, supernet parameters, parameter-free share of the derived cells), as aligned text for the
 * terminal and as Markdown for `summary.md`, with mean ± std over seeds of every setting and the
 * evaluated cells against the random cells.
 */
import type { SweepFile, Trial } from './schema.js';
import { stat, welch } from './stats.js';
import { RANDOM_CELLS_NAME } from '../protocol/random-rule.js';

const pct = (x: number | undefined) => (x === undefined ? '' : `${(100 * x).toFixed(1)}%`);

function settingsText(t: Trial): string {
  return Object.entries(t.settings).map(([k, v]) => `${k}=${v}`).join(' ') || '(file)';
}

/** The table's columns; evaluation columns only when the sweep evaluates. */
function rows(sweep: SweepFile): string[][] {
  const evaluate = sweep.options.evaluate;
  const float = evaluate && sweep.options.float === true;
  const head = ['trial', 'settings', 'seed', 'state', 'valid', 'test', ...(evaluate ? ['eval', ...(float ? ['float'] : []), 'random'] : []), 'search s', 'CPU s', 'params', 'param-free'];
  const body = sweep.trials.map((t) => {
    const r = t.result;
    const random = t.evaluation?.random ?? [];
    return [
      t.id,
      settingsText(t),
      String(t.seed),
      t.state,
      pct(r?.valid_acc),
      pct(r?.test_acc),
      ...(evaluate ? [pct(t.evaluation?.accuracy), ...(float ? [pct(t.evaluation?.float)] : []), random.length ? pct(random.reduce((a, b) => a + b, 0) / random.length) : ''] : []),
      r ? r.search_seconds.toFixed(1) : '',
      r?.cpu_seconds !== undefined ? r.cpu_seconds.toFixed(1) : '',
      r?.parameters !== undefined ? String(r.parameters) : '',
      r ? pct(r.param_free_share) : '',
    ];
  });
  return [head, ...body];
}

/**
 * Per setting, over its finished seeds: mean ± sample std of valid and test accuracy, and, when
 * the sweep evaluates with random cells, the evaluated cells against the random ones (Welch).
 */
function groups(sweep: SweepFile): string[] {
  const by = new Map<string, Trial[]>();
  for (const t of sweep.trials) if (t.result) by.set(settingsText(t), [...(by.get(settingsText(t)) ?? []), t]);
  const pm = (xs: number[]) => {
    const x = stat(xs);
    return `${pct(x.mean)} ± ${pct(x.std)}`;
  };
  return [...by].flatMap(([s, ts]) => {
    const test = ts.map((t) => t.result!.test_acc).filter((x): x is number => x !== undefined);
    const lines = ts.length > 1 ? [`${s}: ${ts.length} seeds, valid ${pm(ts.map((t) => t.result!.valid_acc))}${test.length ? `, test ${pm(test)}` : ''}`] : [];
    // The evaluated cells against the random cells of the same protocol, pooled over the seeds.
    const evaluated = ts.map((t) => t.evaluation?.accuracy).filter((x): x is number => x !== undefined);
    const random = ts.flatMap((t) => t.evaluation?.random ?? []);
    if (evaluated.length && random.length) {
      const [e, r] = [stat(evaluated), stat(random)];
      const w = welch(e, r);
      const diff = 100 * (e.mean - r.mean);
      const rule = RANDOM_CELLS_NAME[sweep.options.random_rule ?? 'uniform'];
      lines.push(`${s}: evaluated cells ${pm(evaluated)} (n = ${evaluated.length}) against ${rule} ${pm(random)} (n = ${random.length}): ` +
        `${diff >= 0 ? '+' : ''}${diff.toFixed(1)} points${Number.isFinite(w.p) ? `, Welch p = ${w.p.toPrecision(2)}` : ''}`);
    }
    return lines;
  });
}

/** The aligned text table for the terminal. */
export function summaryText(sweep: SweepFile): string {
  const table = rows(sweep);
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  const lines = table.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const failed = sweep.trials.filter((t) => t.state === 'failed' && t.error);
  const errors = failed.map((t) => `\n${t.id} failed (exit ${t.exit_code ?? '?'}):\n${t.error!.replace(/^/gm, '  ')}`);
  const g = groups(sweep);
  return [...lines, ...(g.length ? ['', ...g] : []), ...errors].join('\n') + '\n';
}

/** A Markdown table cell: user-written text (setting values, error lines) cannot break the table. */
function mdCell(text: string): string {
  return text.replace(/[\\|`*[\]]/g, (c) => `\\${c}`).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

/** `summary.md`. */
export function summaryMarkdown(sweep: SweepFile): string {
  const [head, ...body] = rows(sweep);
  const line = (r: string[]) => `| ${r.map(mdCell).join(' | ')} |`;
  const out = [`# Sweep of ${mdCell(sweep.space)}`, '', `${mdCell(sweep.file)}, executor ${sweep.options.executor}, ${sweep.state}.`, '', line(head), `|${head.map(() => ' --- |').join('')}`, ...body.map(line)];
  const g = groups(sweep);
  if (g.length) out.push('', ...g.map((x) => `- ${mdCell(x)}`));
  for (const t of sweep.trials.filter((x) => x.state === 'failed' && x.error)) out.push('', `## ${mdCell(t.id)} failed (exit ${t.exit_code ?? '?'})`, '', '```', t.error!.replace(/```/g, "'''"), '```');
  return out.join('\n') + '\n';
}
