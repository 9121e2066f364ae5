/**
 * Resolving what a command acts on. Commands come from the palette (no argument), the runs view
 * (a `RunNode`), the explorer or editor title (a `Uri`, or several), a CodeLens or a notification
 * (a `Uri` or a run id). Each resolver falls back to asking the user.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import type { BnasPanels } from './panels-slot.js';
import type { RunInfo } from '../runs/run-manager.js';
import { describeSummary } from '../runs/run-summary.js';
import { stateLabel } from '../views/run-items.js';

export const BNAS_LANGUAGE = 'bnas';

/** True for a `.bnas` document (by language id or extension). */
export function isBnasDocument(doc: vscode.TextDocument | undefined): doc is vscode.TextDocument {
  return !!doc && (doc.languageId === BNAS_LANGUAGE || doc.uri.path.endsWith('.bnas'));
}

/** The `.bnas` file a command acts on: the argument, the active editor, or one the user picks. */
export async function resolveBnasUri(arg: unknown, action: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (Array.isArray(arg) && arg[0] instanceof vscode.Uri) return arg[0];
  const active = vscode.window.activeTextEditor?.document;
  if (isBnasDocument(active)) return active.uri;
  const files = await vscode.workspace.findFiles('**/*.bnas', '**/{node_modules,.git}/**', 500);
  if (files.length === 0) {
    const pick = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Search space': ['bnas'] }, openLabel: action });
    return pick?.[0];
  }
  const items = files
    .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Search space to ${action.toLowerCase()}` });
  return picked?.uri;
}

/** Every `.bnas` URI in the argument (explorer multi-select passes `(uri, uris[])`). */
export function bnasUris(arg: unknown, all: unknown): vscode.Uri[] {
  const list = Array.isArray(all) ? all : Array.isArray(arg) ? arg : [arg];
  return list.filter((u): u is vscode.Uri => u instanceof vscode.Uri && u.path.endsWith('.bnas'));
}

/** The run id in a command argument: a tree node, a run id (folder path) or a folder URI. */
export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string') return (arg as { runId: string }).runId;
  return undefined;
}

/**
 * The run a command acts on: the argument, the only candidate, or one the user picks from the
 * runs matching `filter`. Shows `none` when there is no candidate.
 */
export async function resolveRun(
  ctx: BnasContext,
  arg: unknown,
  opts: { filter: (r: RunInfo) => boolean; title: string; none: string },
): Promise<RunInfo | undefined> {
  const runs = ctx.get('runs');
  const id = runIdOf(arg);
  if (id !== undefined) {
    const run = runs.get(id);
    if (!run) void vscode.window.showErrorMessage(`BNAS: no run at ${id}${existsSync(id) ? ' (refresh the runs view)' : ''}.`);
    return run;
  }
  const candidates = runs.runs().filter(opts.filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(opts.none);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((run) => ({ label: run.name, description: stateLabel(run), detail: describeSummary(run.summary), run })),
    { placeHolder: opts.title, matchOnDescription: true },
  );
  return picked?.run;
}

/** Running code needs a trusted workspace; explains why and offers to manage trust. */
export async function requireTrust(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `BNAS: ${what} needs a trusted workspace. A search runs the BNAS runtime on this folder's files and data; in Restricted Mode you can still edit, validate and view runs.`,
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** The panels part, or a clear message that the view is not available in this build. */
export function panelsOrExplain(ctx: BnasContext, view: string): BnasPanels | undefined {
  const panels = ctx.tryGet('panels');
  if (!panels) void vscode.window.showWarningMessage(`BNAS: the ${view} is not available in this build yet.`);
  return panels;
}
