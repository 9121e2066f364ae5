// Access to the extension's run manager from the host tests (through the API `activate`
// returns) and waits on its events, so scenarios assert what the product itself reports.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import type { BnasExtensionApi } from '../../../extension/main.js';
import type { RunInfo, RunManager } from '../../../extension/runs/run-manager.js';
import type { Genotype, RunEvent } from '../../../runtime/protocol/index.js';
import { ui } from './bridge.js';
import { activateExtension } from './extension.js';

/** The run manager of the activated extension. */
export async function runManager(): Promise<RunManager> {
  const ext = (await activateExtension()) as vscode.Extension<BnasExtensionApi>;
  const api = ext.exports;
  if (!api?.context) throw new Error('the extension API has no context: activate() must return { context }');
  return api.context.get('runs');
}

/**
 * Resolves with the first run state change that satisfies `accept`, checking the current runs
 * first; rejects after `timeoutMs` with the states seen.
 */
export function waitForRun(manager: RunManager, accept: (r: RunInfo) => boolean, what: string, timeoutMs: number): Promise<RunInfo> {
  return new Promise((resolve, reject) => {
    const now = manager.runs().find(accept);
    if (now) return resolve(now);
    const seen: string[] = [];
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; runs: ${describeRuns(manager)}; changes seen: ${seen.slice(-10).join(', ')}`));
    }, timeoutMs);
    const sub = manager.onDidChangeRuns(({ run }) => {
      seen.push(`${run.name}:${run.state}`);
      if (!accept(run)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(run);
    });
  });
}

/** Resolves with the first event of a run that satisfies `accept` (replaying earlier events). */
export function waitForEvent(manager: RunManager, runId: string, accept: (e: RunEvent) => boolean, timeoutMs: number): Promise<RunEvent> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for an event of run ${runId}; runs: ${describeRuns(manager)}`));
    }, timeoutMs);
    // A replayed event can match synchronously inside onEvent: dispose after it returns.
    const sub = manager.onEvent(
      runId,
      (e) => {
        if (done || !accept(e)) return;
        done = true;
        clearTimeout(timer);
        queueMicrotask(() => sub.dispose());
        resolve(e);
      },
      { replay: true },
    );
    if (done) sub.dispose();
  });
}

/** One line per run, for failure messages. */
export function describeRuns(manager: RunManager): string {
  return manager.runs().map((r) => `${r.name}=${r.state}${r.failure ? ` (${r.failure.message})` : ''}`).join(', ') || 'none';
}

/**
 * Opens the run view of `run` from the command palette (choosing the run when asked) and checks
 * that both derived cells are drawn by Mermaid in the webview with every op of result.json.
 */
export async function expectRunViewCells(run: RunInfo): Promise<void> {
  const manager = await runManager();
  await ui({ action: 'palette', label: 'BNAS: Open Run View' });
  if (manager.runs().length > 1) await ui({ action: 'pick', label: run.name });
  const result = JSON.parse(readFileSync(join(run.dir, 'result.json'), 'utf8')) as { genotype: Genotype };
  for (const cell of ['normal', 'reduce'] as const) {
    const drawn = await ui({ action: 'frameText', selector: `.mermaid-box[data-cell="${cell}"] svg`, timeoutMs: 60_000 });
    const ops = new Set(result.genotype[cell].map(([op]) => op));
    for (const op of ops) assert.ok(drawn.includes(op), `the ${cell} cell drawing lacks ${op}: ${drawn.slice(0, 300)}`);
  }
}
