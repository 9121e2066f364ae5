/**
 * What the runs view shows for a run, as plain data (no `vscode`), so the labels, icons, menus
 * and detail rows are unit-tested: the tree provider only maps this onto `vscode.TreeItem`.
 */
import type { RunInfo } from '../runs/run-manager.js';
import { RESUMABLE_STATES, describeSummary, formatEpoch, formatDuration, formatLoss, formatPercent, type RunState } from '../runs/run-summary.js';

/** Codicon and theme colour id per state. */
export const STATE_ICONS: { readonly [S in RunState]: { readonly icon: string; readonly color?: string } } = {
  queued: { icon: 'clock' },
  running: { icon: 'sync~spin', color: 'charts.blue' },
  stopping: { icon: 'loading~spin', color: 'charts.yellow' },
  finished: { icon: 'pass', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
  cancelled: { icon: 'circle-slash', color: 'disabledForeground' },
  interrupted: { icon: 'debug-pause', color: 'charts.yellow' },
};

export interface RunItemView {
  readonly label: string;
  readonly description: string;
  readonly icon: string;
  readonly color?: string;
  /** Space-separated flags matched by `viewItem =~ /flag/` in package.json menus. */
  readonly contextValue: string;
  readonly tooltip: string;
}

/** The state as a person reads it, with the queue position. */
export function stateLabel(run: RunInfo): string {
  if (run.state === 'queued') return run.queuePosition !== undefined ? `queued #${run.queuePosition + 1}` : 'queued';
  if (run.external) return 'running elsewhere';
  return run.state;
}

/**
 * A label short enough for a narrow side bar: the space and the start time of a run folder named
 * `space-YYYYMMDD-HHMMSS` (`quick 02:23`); the full name is in the tooltip.
 */
export function shortLabel(name: string): string {
  const m = /^(.+)-(\d{8})-(\d{2})(\d{2})(\d{2})(-\d+)?$/.exec(name);
  return m ? `${m[1]} ${m[3]}:${m[4]}${m[6] ?? ''}` : name;
}

export function runItemView(run: RunInfo): RunItemView {
  const numbers = describeSummary(run.summary);
  // The row keeps the two numbers a person scans for (epoch, accuracy); the tooltip has them all.
  const brief = numbers.split(' · ').slice(0, 2).join(' · ');
  const flags = ['bnasRun', `state-${run.state}`];
  if (run.state === 'queued' || run.state === 'running' || run.state === 'stopping') {
    if (!run.external) flags.push('stoppable');
  } else flags.push('deletable');
  if (RESUMABLE_STATES.has(run.state) && !run.external) flags.push('resumable');
  if (run.summary.genotype) flags.push('hasGenotype');
  const tooltip = [`${run.name} — ${stateLabel(run)}`, numbers, run.failure?.message ?? '', run.dir].filter(Boolean).join('\n');
  return {
    label: shortLabel(run.name),
    description: [run.state === 'finished' || run.state === 'running' ? '' : stateLabel(run), brief].filter(Boolean).join(' · '),
    icon: STATE_ICONS[run.state].icon,
    color: STATE_ICONS[run.state].color,
    contextValue: flags.join(' '),
    tooltip,
  };
}

/** Detail rows under a run: facts, numbers, the genotype, the failure. */
export function runDetails(run: RunInfo): { label: string; value: string }[] {
  const s = run.summary;
  const rows: { label: string; value: string | undefined }[] = [
    { label: 'state', value: stateLabel(run) },
    { label: 'space', value: s.space },
    { label: 'file', value: run.file },
    { label: 'backend', value: s.backend && (s.backendReason ? `${s.backend} (${s.backendReason})` : s.backend) },
    { label: 'seed', value: s.seed?.toString() },
    { label: 'parameters', value: s.parameters?.toLocaleString('en-US') },
    { label: 'parameters alive', value: s.aliveParameters?.toLocaleString('en-US') },
    { label: 'epoch', value: formatEpoch(s)?.replace(/^epoch /, '') },
    { label: 'loss', value: formatLoss(s.loss) },
    { label: 'valid acc', value: formatPercent(s.validAcc) },
    { label: 'best valid acc', value: formatPercent(s.bestValidAcc) },
    { label: 'test acc', value: formatPercent(s.testAcc) },
    { label: 'ops left', value: s.opsLeft?.toString() },
    { label: 'ops pruned', value: s.pruned ? String(s.pruned) : undefined },
    { label: 'time', value: formatDuration(s.seconds) },
    { label: 'resumed', value: s.resumed ? `${s.resumed}×` : undefined },
    { label: 'normal cell', value: s.genotype && s.genotype.normal.map(([op, i]) => `${op}←${i}`).join(', ') },
    { label: 'reduce cell', value: s.genotype && s.genotype.reduce.map(([op, i]) => `${op}←${i}`).join(', ') },
    { label: 'error', value: run.failure?.message },
    { label: 'stderr', value: run.failure?.stderrTail.at(-1) },
    { label: 'warning', value: s.warnings.at(-1) },
    { label: 'dropped messages', value: run.droppedMessages ? String(run.droppedMessages) : undefined },
  ];
  return rows.filter((r): r is { label: string; value: string } => r.value !== undefined && r.value !== '');
}
