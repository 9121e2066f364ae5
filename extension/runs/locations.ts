/**
 * Where runs live in the workspace: `<workspace folder>/<bnas.runsFolder>` (default `.bnas/runs`),
 * or an absolute folder from the setting. A file outside every workspace folder keeps its runs
 * next to it, so a loose `.bnas` file still has a history.
 */
import { dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { RUN_FILES } from '../../runtime/protocol/run-folder.js';

export const DEFAULT_RUNS_FOLDER = '.bnas/runs';

function configured(ctx: BnasContext, scope?: vscode.ConfigurationScope): string {
  const value = ctx.setting<string>('runsFolder', DEFAULT_RUNS_FOLDER, scope).trim();
  return value === '' ? DEFAULT_RUNS_FOLDER : value;
}

/** The runs folder for a `.bnas` file. */
export function runsFolderFor(ctx: BnasContext, file: vscode.Uri): string {
  const setting = configured(ctx, file);
  if (isAbsolute(setting)) return setting;
  const folder = vscode.workspace.getWorkspaceFolder(file);
  return join(folder ? folder.uri.fsPath : dirname(file.fsPath), setting);
}

/** The runs folder of every workspace folder (what the runs view lists). */
export function allRunsFolders(ctx: BnasContext): string[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const out = new Set<string>();
  for (const f of folders) {
    const setting = configured(ctx, f.uri);
    out.add(isAbsolute(setting) ? setting : join(f.uri.fsPath, setting));
  }
  return [...out];
}

/** The glob (relative to a workspace folder) that matches files inside run folders, for a watcher. */
export function runsWatchPattern(ctx: BnasContext, folder: vscode.WorkspaceFolder): vscode.RelativePattern | undefined {
  const setting = configured(ctx, folder.uri);
  if (isAbsolute(setting)) return undefined;
  // events.jsonl appears when any run starts (also from the `bnas` command line); the .json files
  // when the extension starts one (run-meta.json) and when a run ends (result.json).
  return new vscode.RelativePattern(folder, `${setting.replace(/\\/g, '/').replace(/\/+$/, '')}/*/{*.json,${RUN_FILES.events}}`);
}
