/**
 * Commands that start, stop, resume, open, reveal and delete runs. Each is a factory
 * `(ctx) => handler` so the handler reads parts and settings through the context at call time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { runsFolderFor } from '../runs/locations.js';
import { ACTIVE_STATES, RESUMABLE_STATES } from '../runs/run-summary.js';
import { panelsOrExplain, requireTrust, resolveBnasUri, resolveRun } from './args.js';
import { RUN_FILES } from '../../runtime/protocol/run-folder.js';

/** `bnas.runSearch`: saves the file, checks it has no errors, and starts (or queues) a search. */
export const runSearch = (ctx: BnasContext) => async (arg?: unknown) => {
  if (!(await requireTrust('Running a search'))) return;
  const uri = await resolveBnasUri(arg, 'Run');
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('BNAS: save the search space to a file in the workspace first; runs are stored next to it.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty && !(await doc.save())) return;
  const errors = vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
  if (errors.length > 0) {
    const choice = await vscode.window.showErrorMessage(
      `BNAS: ${vscode.workspace.asRelativePath(uri)} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} before running. First: ${errors[0]?.message}`,
      'Show Problems',
    );
    if (choice) await vscode.commands.executeCommand('workbench.actions.view.problems');
    return;
  }
  const seed = ctx.setting<number | null>('defaultSeed', null, uri);
  const run = await ctx.get('runs').start({
    file: uri.fsPath,
    runsFolder: runsFolderFor(ctx, uri),
    backend: ctx.setting('backend', 'auto', uri),
    seed: typeof seed === 'number' && Number.isInteger(seed) ? seed : undefined,
    threads: ctx.threadsSetting(uri),
  });
  void vscode.commands.executeCommand('bnas.revealRunInView', run.id);
  if (run.state === 'queued') {
    const limit = ctx.get('runs').maxConcurrentRuns;
    const choice = await vscode.window.showInformationMessage(
      `BNAS: ${run.name} is queued (#${(run.queuePosition ?? 0) + 1}); ${limit} search${limit === 1 ? '' : 'es'} may run at once (bnas.maxConcurrentRuns).`,
      'Change Limit',
    );
    if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'bnas.maxConcurrentRuns');
  } else if (ctx.setting('openRunViewOnStart', true)) {
    void ctx.tryGet('panels')?.openRunView(run.id);
  }
};

/** `bnas.stopRun`: graceful cancel (checkpoint), then kill after `bnas.stopTimeoutSeconds`. */
export const stopRun = (ctx: BnasContext) => async (arg?: unknown) => {
  const run = await resolveRun(ctx, arg, {
    filter: (r) => ACTIVE_STATES.has(r.state) && !r.external,
    title: 'Search to stop',
    none: 'BNAS: no search is running or queued.',
  });
  if (run) await ctx.get('runs').stop(run.id);
};

/** `bnas.resumeRun`: continues a cancelled, interrupted or failed run from its checkpoint. */
export const resumeRun = (ctx: BnasContext) => async (arg?: unknown) => {
  if (!(await requireTrust('Resuming a search'))) return;
  const run = await resolveRun(ctx, arg, {
    filter: (r) => RESUMABLE_STATES.has(r.state) && !r.external,
    title: 'Search to resume',
    none: 'BNAS: no cancelled, interrupted or failed run to resume.',
  });
  if (!run) return;
  if (!existsSync(join(run.dir, RUN_FILES.checkpoint))) {
    const choice = await vscode.window.showWarningMessage(
      `BNAS: ${run.name} has no checkpoint yet (it stopped before the first epoch ended); resuming starts it over in the same folder.`,
      'Resume Anyway',
    );
    if (!choice) return;
  }
  const scope = run.file ? vscode.Uri.file(run.file) : undefined;
  await ctx.get('runs').resume(run.id, { backend: ctx.setting('backend', 'auto', scope), threads: ctx.threadsSetting(scope) });
};

/** `bnas.openResults` / `bnas.openRunView`: the run view, or the raw files without the panels. */
export const openResults = (ctx: BnasContext) => async (arg?: unknown) => {
  const run = await resolveRun(ctx, arg, { filter: () => true, title: 'Run to open', none: 'BNAS: no runs yet. Run a search first.' });
  if (!run) return;
  const panels = ctx.tryGet('panels');
  if (panels) return void (await panels.openRunView(run.id));
  const file = [RUN_FILES.result, RUN_FILES.events, RUN_FILES.meta].map((f) => join(run.dir, f)).find((f) => existsSync(f));
  if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  else void vscode.window.showInformationMessage(`BNAS: ${run.name} has no results yet.`);
};

/** `bnas.openRunView`: the run view panel (provided by the panels feature). */
export const openRunView = (ctx: BnasContext) => async (arg?: unknown) => {
  const panels = panelsOrExplain(ctx, 'run view');
  if (!panels) return;
  const run = await resolveRun(ctx, arg, { filter: () => true, title: 'Run to view', none: 'BNAS: no runs yet. Run a search first.' });
  if (run) await panels.openRunView(run.id);
};

/** `bnas.openSearchSpaceView`: the search-space view beside the `.bnas` editor. */
export const openSearchSpaceView = (ctx: BnasContext) => async (arg?: unknown) => {
  const panels = panelsOrExplain(ctx, 'search-space view');
  if (!panels) return;
  const uri = await resolveBnasUri(arg, 'View');
  if (uri) await panels.openSearchSpaceView(uri);
};

/** `bnas.revealRun`: the run folder in the explorer (inside the workspace) or the OS file manager. */
export const revealRun = (ctx: BnasContext) => async (arg?: unknown) => {
  const run = await resolveRun(ctx, arg, { filter: () => true, title: 'Run to reveal', none: 'BNAS: no runs yet.' });
  if (!run) return;
  const uri = vscode.Uri.file(run.dir);
  const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
  await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', uri);
};

/** `bnas.deleteRun`: removes a run folder after a modal confirmation. */
export const deleteRun = (ctx: BnasContext) => async (arg?: unknown) => {
  const run = await resolveRun(ctx, arg, {
    filter: (r) => !ACTIVE_STATES.has(r.state),
    title: 'Run to delete',
    none: 'BNAS: no ended runs to delete.',
  });
  if (!run) return;
  if (ACTIVE_STATES.has(run.state)) {
    void vscode.window.showWarningMessage(`BNAS: ${run.name} is ${run.state}; stop it before deleting it.`);
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    `Delete the run ${run.name}?`,
    { modal: true, detail: `This removes ${run.dir} with its events, checkpoint and results. It cannot be undone.` },
    'Delete',
  );
  if (choice !== 'Delete') return;
  try {
    await ctx.get('runs').delete(run.id);
  } catch (e) {
    void vscode.window.showErrorMessage(`BNAS: could not delete ${run.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** `bnas.showLog`. */
export const showLog = (ctx: BnasContext) => () => ctx.log.show(true);
