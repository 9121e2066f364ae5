/**
 * A cancellable progress notification per running search: epoch, step, loss and ops left, with
 * the bar advancing over the planned steps. Cancel in the notification stops the run (checkpoint
 * kept). Turn off with `bnas.showProgressNotification`.
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import type { RunInfo, RunManager } from '../runs/run-manager.js';
import { ACTIVE_STATES, describeSummary, type RunSummary } from '../runs/run-summary.js';
import { throttle } from './throttle.js';

export function registerProgress(ctx: BnasContext, manager: RunManager): void {
  const shown = new Set<string>();
  ctx.own(
    manager.onDidChangeRuns(({ run }) => {
      if (run.state !== 'running' || run.external || shown.has(run.id)) return;
      if (!ctx.setting('showProgressNotification', true)) return;
      shown.add(run.id);
      void Promise.resolve(showProgress(manager, run)).finally(() => shown.delete(run.id));
    }),
  );
}

/** Fraction of the planned work done, 0..1 (epochs and steps are 1-based in events). */
export function fractionDone(s: Readonly<RunSummary>): number {
  if (!s.epochs || s.epoch === undefined) return 0;
  const within = s.steps && s.step !== undefined && s.phase !== 'prune' ? s.step / s.steps : 0;
  const done = s.epochsDone >= s.epoch ? s.epoch : s.epoch - 1 + within;
  return Math.max(0, Math.min(1, done / s.epochs));
}

function showProgress(manager: RunManager, run: RunInfo): Thenable<void> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `BNAS ${run.name}`, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        let reported = 0;
        const update = throttle(() => {
          const current = manager.get(run.id);
          if (!current) return;
          const s = current.summary;
          const fraction = fractionDone(s);
          const increment = Math.max(0, fraction * 100 - reported);
          reported += increment;
          const message = current.state === 'stopping' ? 'stopping: writing a checkpoint…' : describeSummary(s, { step: true }) || 'starting…';
          progress.report({ message, increment });
        }, 300);
        const subs = [
          manager.onEvent(run.id, () => update()),
          manager.onDidChangeRuns(({ run: r, kind }) => {
            if (r.id !== run.id) return;
            update.now();
            if (kind === 'removed' || !ACTIVE_STATES.has(r.state)) done();
          }),
          token.onCancellationRequested(() => void manager.stop(run.id)),
        ];
        update.now();
        function done() {
          update.dispose();
          for (const s of subs) s.dispose();
          resolve();
        }
      }),
  );
}
