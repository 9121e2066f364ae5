/**
 * What the runs view shows for a sweep and its trials, as plain data (no `vscode`), so the
 * grouping, labels and menus are unit-tested: a sweep is a row above the runs, its trials (each
 * an ordinary run folder under `trials/`) are its children, and clicking a trial opens its run view.
 */
import { join } from 'node:path';
import type { Trial } from '../../runtime/sweep/schema.js';
import type { SweepInfo } from '../sweeps/sweep-manager.js';
import { formatDuration, formatPercent } from '../runs/run-summary.js';

/** A sweep row; sweep commands invoked from the view receive it. */
export interface SweepNode {
  readonly kind: 'sweep';
  readonly sweepDir: string;
}

/** A trial row under its sweep. */
export interface TrialNode {
  readonly kind: 'trial';
  readonly sweepDir: string;
  readonly trialId: string;
  /** The trial's run folder (what its run view shows). */
  readonly runDir: string;
}

export interface TreeRowView {
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  readonly icon: string;
  readonly color?: string;
  /** Space-separated flags matched by `viewItem =~ /flag/` in package.json menus. */
  readonly contextValue: string;
  readonly collapsible: boolean;
}

const TRIAL_ICONS: { readonly [S in Trial['state']]: { icon: string; color?: string } } = {
  pending: { icon: 'clock' },
  running: { icon: 'sync~spin', color: 'charts.blue' },
  finished: { icon: 'pass', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
  cancelled: { icon: 'circle-slash', color: 'disabledForeground' },
};

/** The sweep's trials as rows, in the sweep's order. */
export function trialNodes(s: SweepInfo): TrialNode[] {
  return (s.sweep?.trials ?? []).map((t) => ({ kind: 'trial', sweepDir: s.dir, trialId: t.id, runDir: join(s.dir, t.run) }));
}

export function sweepRowView(s: SweepInfo): TreeRowView {
  const trials = s.sweep?.trials ?? [];
  const done = trials.filter((t) => t.state === 'finished').length;
  const failed = trials.filter((t) => t.state === 'failed').length;
  const state = s.running ? 'running' : (s.sweep?.state ?? 'starting');
  const flags = ['bnasSweep'];
  if (s.running) flags.push('sweepCancellable');
  else if (s.sweep && s.sweep.state !== 'finished') flags.push('sweepResumable');
  const icon = s.running ? TRIAL_ICONS.running : state === 'finished' ? TRIAL_ICONS.finished : state === 'failed' || s.failure ? TRIAL_ICONS.failed : TRIAL_ICONS.cancelled;
  const counts = `${done}/${trials.length} trials${failed ? `, ${failed} failed` : ''}`;
  return {
    label: s.name,
    description: `sweep · ${s.running ? '' : `${state} · `}${counts}`,
    tooltip: [`Sweep ${s.name} — ${state}`, s.sweep && `${s.sweep.space}: ${counts}`, s.failure, s.dir].filter(Boolean).join('\n'),
    icon: icon.icon,
    color: icon.color,
    contextValue: flags.join(' '),
    collapsible: true,
  };
}

export function trialRowView(s: SweepInfo, id: string): TreeRowView {
  const t = s.sweep?.trials.find((x) => x.id === id);
  if (!t) return { label: id, description: '(gone)', tooltip: id, icon: 'question', contextValue: 'bnasSweepTrial', collapsible: false };
  const acc = t.result && formatPercent(t.result.test_acc ?? t.result.valid_acc);
  const settings = Object.entries(t.settings).map(([k, v]) => `${k}=${v}`).join(' ');
  const parts = [t.state === 'finished' ? '' : t.state, acc && `acc ${acc}`, t.result && formatDuration(t.result.search_seconds)].filter(Boolean);
  return {
    label: t.id,
    description: parts.join(' · '),
    tooltip: [`${t.id} — ${t.state}`, `seed ${t.seed}${settings ? `, ${settings}` : ''}`, t.error].filter(Boolean).join('\n'),
    icon: TRIAL_ICONS[t.state].icon,
    color: TRIAL_ICONS[t.state].color,
    contextValue: 'bnasSweepTrial',
    collapsible: false,
  };
}
