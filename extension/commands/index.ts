/**
 * Every `bnas.*` command of the runs feature, as a table of factories `(ctx) => handler`. Ids and
 * titles are declared in package.json (`contributes.commands`, category "BNAS").
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { registerCodeLens } from './code-lens.js';
import { evaluateRun } from './evaluate-run.js';
import { exportGenotype } from './export-genotype.js';
import { newSearchSpace } from './new-search-space.js';
import {
  deleteRun,
  openResults,
  openRunView,
  openSearchSpaceView,
  resumeRun,
  revealRun,
  runSearch,
  showLog,
  stopRun,
} from './run-commands.js';
import { selectBackend } from './select-backend.js';
import { cancelSweep, openSweepView, openTrialRun, resumeSweep, runSweep } from './sweep.js';
import { validate } from './validate.js';

type Handler = (...args: unknown[]) => unknown;

export const COMMANDS: Readonly<Record<string, (ctx: BnasContext) => Handler>> = {
  'bnas.newSearchSpace': newSearchSpace,
  'bnas.validate': validate,
  'bnas.runSearch': runSearch,
  'bnas.stopRun': stopRun,
  'bnas.resumeRun': resumeRun,
  'bnas.openResults': openResults,
  'bnas.exportGenotype': exportGenotype,
  'bnas.evaluateRun': evaluateRun,
  'bnas.openSearchSpaceView': openSearchSpaceView,
  'bnas.openRunView': openRunView,
  'bnas.revealRun': revealRun,
  'bnas.deleteRun': deleteRun,
  'bnas.showLog': showLog,
  'bnas.selectBackend': selectBackend,
  'bnas.runSweep': runSweep,
  'bnas.cancelSweep': cancelSweep,
  'bnas.resumeSweep': resumeSweep,
  'bnas.openSweepView': openSweepView,
  'bnas.openTrialRun': openTrialRun,
};

/**
 * Registers the commands and the CodeLens. A failing command shows its message with "Open Log"
 * (the stack goes to the log) instead of VS Code's generic "command failed".
 */
export function registerCommands(ctx: BnasContext): void {
  for (const [id, factory] of Object.entries(COMMANDS)) {
    const handler = factory(ctx);
    ctx.own(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (e) {
          ctx.log.error(`${id} failed`, e);
          const choice = await vscode.window.showErrorMessage(`BNAS: ${e instanceof Error ? e.message : String(e)}`, 'Open Log');
          if (choice) ctx.log.show(true);
        }
      }),
    );
  }
  registerCodeLens(ctx);
}
