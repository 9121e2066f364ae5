/**
 * Entry point of the BNAS Studio extension: activate and deactivate only. Activation builds the
 * context and runs each feature's register function; an activation error is logged, shown with
 * an "Open Log" action and rethrown so VS Code marks the extension as failed.
 *
 * Activation must stay light: nothing here (or in a register function) may import TensorFlow.js;
 * the search runtime runs in its own process.
 */
import * as vscode from 'vscode';
import { createBnasContext, type BnasContext } from './context.js';
import { registerLanguage } from './language/client.js';
import { registerRuns } from './runs/register.js';
import { registerPanels } from './panels/register.js';
import { registerSweeps } from './sweeps/register.js';

/** A feature: registers its commands, views and parts on the context. */
export type Feature = (ctx: BnasContext) => void | Promise<void>;

/** Every feature, in start order. Add a feature by adding its register function here. */
const FEATURES: readonly Feature[] = [registerLanguage, registerSweeps, registerRuns, registerPanels];

/** What `activate` returns to other extensions and to host tests. */
export interface BnasExtensionApi {
  /** The context of this activation (parts, settings, log). */
  readonly context: BnasContext;
}

let current: BnasContext | undefined;

/** Called by VS Code on `onLanguage:bnas` or when a contributed command or view is used. */
export async function activate(extension: vscode.ExtensionContext): Promise<BnasExtensionApi> {
  const ctx = createBnasContext(extension);
  current = ctx;
  try {
    for (const feature of FEATURES) await feature(ctx);
    ctx.log.info(`BNAS Studio ${String(extension.extension.packageJSON.version)} activated`);
    return { context: ctx };
  } catch (e) {
    ctx.log.error('BNAS Studio failed to activate', e);
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window
      .showErrorMessage(`BNAS Studio failed to start: ${message}`, 'Open Log')
      .then((choice) => {
        if (choice === 'Open Log') ctx.log.show();
      });
    throw e;
  }
}

/** Called by VS Code on shutdown or when the extension is disabled; waits for the server to stop. */
export async function deactivate(): Promise<void> {
  const ctx = current;
  current = undefined;
  await ctx?.dispose();
}
