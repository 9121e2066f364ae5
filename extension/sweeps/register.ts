/**
 * Plugs the sweep manager into the extension: provides the `sweeps` part (the runs view groups a
 * sweep's trials under it, the sweep view and the sweep commands read it), finds the sweep folders
 * of the runs folders, and keeps sweeps run from a terminal live by re-reading their `sweep.json`.
 * Registered before the runs feature, whose view reads this part.
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { allRunsFolders } from '../runs/locations.js';
import { CLI_BUNDLE } from '../runs/register.js';
import { SWEEP_FILE, SweepManager } from './sweep-manager.js';

declare module '../context.js' {
  interface BnasParts {
    /** The sweeps of the workspace and the `bnas sweep` processes of this window. */
    sweeps: SweepManager;
  }
}

export function registerSweeps(ctx: BnasContext): void {
  const manager = ctx.provide('sweeps', new SweepManager({ cliPath: ctx.asAbsolutePath(CLI_BUNDLE), log: ctx.log }));
  const reload = () => manager.load(allRunsFolders(ctx)).catch((e: unknown) => ctx.log.error('Could not read the sweeps', e));
  void reload();
  ctx.onSettingChanged('runsFolder', () => void reload());
  ctx.own(vscode.workspace.onDidChangeWorkspaceFolders(() => void reload()));
  // A sweep started from a terminal appears when its sweep.json does.
  const watcher = ctx.own(vscode.workspace.createFileSystemWatcher(`**/${SWEEP_FILE}`, false, true, false));
  ctx.own(watcher.onDidCreate(() => void reload()));
  ctx.own(watcher.onDidDelete(() => void reload()));
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !manager.hasOutsideSweeps()) return;
    busy = true;
    void manager.followOutside().finally(() => (busy = false));
  }, 2_000);
  timer.unref();
  ctx.own({ dispose: () => clearInterval(timer) });
}
