/**
 * Plugs the run manager into the extension context: creates it with the settings, loads history
 * from the workspace's run folders, keeps it in step with settings and folders, and turns run
 * endings into notifications (a failure with "Open Log"). Views, progress and commands are
 * registered by their own modules from here so `extension/main.ts` needs one line.
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { registerCommands } from '../commands/index.js';
import { registerProgress } from '../status/progress.js';
import { registerStatusBar } from '../status/status-bar.js';
import { registerRunsView } from '../views/runs-tree.js';
import { allRunsFolders, runsWatchPattern } from './locations.js';
import { RunManager, failureCause, type RunInfo } from './run-manager.js';
import { describeResult, describeSummary } from './run-summary.js';

declare module '../context.js' {
  interface BnasParts {
    /** The run manager: one source of run events for every view (see `extension/runs/run-manager.ts`). */
    runs: RunManager;
  }
}

/** The bundled command line the manager forks (`bnas search ... --json`). */
export const CLI_BUNDLE = 'dist/cli.cjs';

/** Creates the run manager and everything that shows runs. Cheap: no process starts here. */
export function registerRuns(ctx: BnasContext): void {
  const t0 = performance.now();
  const manager = ctx.provide(
    'runs',
    new RunManager({
      cliPath: ctx.asAbsolutePath(CLI_BUNDLE),
      maxConcurrentRuns: ctx.setting('maxConcurrentRuns', 1),
      stopTimeoutMs: () => Math.max(1, ctx.setting('stopTimeoutSeconds', 20)) * 1000,
      log: ctx.log,
    }),
  );
  // Disposed before the manager itself (reverse order): waits for the runtimes to checkpoint and exit.
  ctx.own({ dispose: () => manager.shutdown(5_000) });

  const reload = () =>
    manager.loadHistory(allRunsFolders(ctx)).catch((e: unknown) => ctx.log.error('Could not read the run history', e));
  void reload();
  ctx.onSettingChanged('maxConcurrentRuns', () => manager.setMaxConcurrentRuns(ctx.setting('maxConcurrentRuns', 1)));
  ctx.onSettingChanged('runsFolder', () => void reload());
  ctx.own(vscode.workspace.onDidChangeWorkspaceFolders(() => void reload()));
  watchRunFolders(ctx, reload);

  followExternalRuns(ctx, manager);
  notifyEndings(ctx, manager);
  registerRunsView(ctx, manager, reload);
  registerStatusBar(ctx, manager);
  registerProgress(ctx, manager);
  registerCommands(ctx);
  ctx.log.info(`Runs feature registered in ${(performance.now() - t0).toFixed(1)} ms (history loads in the background)`);
}

/** Picks up runs made outside this window (the `bnas` command line, another window), debounced. */
function watchRunFolders(ctx: BnasContext, reload: () => Promise<void>): void {
  let timer: NodeJS.Timeout | undefined;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), 1_000);
  };
  ctx.own({ dispose: () => clearTimeout(timer) });
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const pattern = runsWatchPattern(ctx, folder);
    if (!pattern) continue;
    const watcher = ctx.own(vscode.workspace.createFileSystemWatcher(pattern, false, true, false));
    ctx.own(watcher.onDidCreate(later));
    ctx.own(watcher.onDidDelete(later));
  }
}

/** Keeps runs of the command line or another window live in the views (a cheap re-read every 2 s). */
function followExternalRuns(ctx: BnasContext, manager: RunManager): void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !manager.hasExternalRuns()) return;
    busy = true;
    manager
      .followExternal()
      .catch((e: unknown) => ctx.log.warn(`Could not follow an outside run: ${String(e)}`))
      .finally(() => (busy = false));
  }, 2_000);
  // Never keep a closing extension host alive for this.
  timer.unref();
  ctx.own({ dispose: () => clearInterval(timer) });
}

/** A notification when a run this window started ends: results for a finish, the log for a failure. */
function notifyEndings(ctx: BnasContext, manager: RunManager): void {
  const live = new Set<string>();
  ctx.own(
    manager.onDidChangeRuns(({ kind, run }) => {
      if (kind === 'removed') return void live.delete(run.id);
      if (run.state === 'running' && !run.external) live.add(run.id);
      if (!live.has(run.id) || run.state === 'running' || run.state === 'stopping' || run.state === 'queued') return;
      live.delete(run.id);
      void showEnding(ctx, run);
    }),
  );
}

async function showEnding(ctx: BnasContext, run: RunInfo): Promise<void> {
  if (run.state === 'finished') {
    const choice = await vscode.window.showInformationMessage(
      `BNAS: search ${run.name} finished${describeResult(run.summary)}.`,
      'Open Results',
      'Export Genotype',
    );
    if (choice === 'Open Results') await vscode.commands.executeCommand('bnas.openResults', run.id);
    if (choice === 'Export Genotype') await vscode.commands.executeCommand('bnas.exportGenotype', run.id);
  } else if (run.state === 'failed') {
    const f = run.failure;
    const cause = f && failureCause(f.stderrTail);
    const detail = f && cause && !f.message.includes(cause) ? ` ${cause}` : '';
    const choice = await vscode.window.showErrorMessage(
      `BNAS: search ${run.name} failed: ${f?.message ?? run.summary.message ?? 'unknown error'}${detail}`,
      'Open Log',
      'Resume',
    );
    if (choice === 'Open Log') ctx.log.show(true);
    if (choice === 'Resume') await vscode.commands.executeCommand('bnas.resumeRun', run.id);
  } else if (run.state === 'cancelled') {
    const where = describeSummary(run.summary);
    const choice = await vscode.window.showInformationMessage(
      `BNAS: search ${run.name}: ${where || 'stopped'}; a checkpoint was kept.`,
      'Resume',
    );
    if (choice === 'Resume') await vscode.commands.executeCommand('bnas.resumeRun', run.id);
  }
}
