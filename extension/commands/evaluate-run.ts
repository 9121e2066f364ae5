/**
 * `bnas.evaluateRun`: trains a finished run's derived cells from scratch against random cells,
 * with the bundled `bnas evaluate` in a child process (so only in a trusted workspace), under a
 * protocol file the user picks: the run's own space or another `.bnas` file, such as a calibrated
 * protocol. Progress comes from the child's epoch lines; Cancel stops it, and its journal in the
 * run folder keeps the trainings that finished for the same choices made again. The report goes to
 * `evaluations/<time>.json` in the run folder (the record a sweep keeps for a trial) and is
 * summed up in a notification.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../runtime/protocol/run-folder.js';
import type { BnasContext } from '../context.js';
import type { RunInfo } from '../runs/run-manager.js';
import { timeStamp } from '../runs/run-folder.js';
import { requireTrust, resolveRun } from './args.js';
import { reportSummary } from '../../runtime/protocol/evaluation-summary.js';
import { parseEvaluationOutput } from '../../runtime/sweep/schema.js';
import { lastLine, runCli } from './cli-child.js';
import { epochIncrement, evaluateArgs, parseEpochLine, parseJournalLine, type EvaluateRequest, type JournalLine } from './evaluate-report.js';

/** The random-cell counts offered; 0 trains the derived cells alone. */
const RANDOM_CHOICES = [4, 2, 8, 0] as const;
/** The trainings of the derived cells offered, first the one that gives a test. */
const REPEAT_CHOICES = [3, 1, 5] as const;

export const evaluateRun = (ctx: BnasContext) => async (arg?: unknown) => {
  const run = await resolveRun(ctx, arg, {
    filter: (r) => r.state === 'finished',
    title: 'Run whose derived cells to train from scratch',
    none: 'BNAS: no run has finished yet; a finished run\'s derived cells can be trained from scratch against random cells.',
  });
  if (!run) return;
  if (run.state !== 'finished') {
    void vscode.window.showInformationMessage(`BNAS: ${run.name} has not finished; its final cells are derived when it does.`);
    return;
  }
  if (!(await requireTrust('Training a derived cell'))) return;
  const data = await pickProtocol(run);
  if (!data) return;
  const random = await pickRandom();
  if (random === undefined) return;
  const repeats = await pickRepeats(random);
  if (repeats === undefined) return;
  const scope = vscode.Uri.file(data);
  const request: EvaluateRequest = { run: run.dir, data, random, repeats, backend: ctx.setting('backend', 'auto', scope), threads: ctx.threadsSetting(scope) };
  await runEvaluation(ctx, run, request);
};

/** The protocol: the run's own space first, then the workspace's `.bnas` files (calibrated protocols among them). */
async function pickProtocol(run: RunInfo): Promise<string | undefined> {
  const own = join(run.dir, RUN_FILES.space);
  const files = await vscode.workspace.findFiles('**/*.bnas', '**/{node_modules,.git,.bnas}/**', 500);
  const items = [
    { label: 'The run\'s own space', description: 'space.bnas in the run folder', detail: 'Its data, cells, channels, binarization and optimizer, as searched.', path: own },
    ...files
      .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), description: '', detail: 'Train under this file\'s data, cells, channels and optimizer (its ops must include the cells\' ops).', path: uri.fsPath }))
      .sort((a, b) => a.label.localeCompare(b.label)),
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Protocol to train the cells of ${run.name} under` });
  return picked?.path;
}

async function pickRandom(): Promise<number | undefined> {
  const picked = await vscode.window.showQuickPick(
    RANDOM_CHOICES.map((n) => ({
      label: n === 0 ? 'The derived cells alone' : `Against ${n} random cells`,
      detail: n === 0 ? 'One training from scratch.' : `Random cells under the same derivation caps (the cells the search could have returned), each trained the same way: ${n + 1} trainings.`,
      n,
    })),
    { placeHolder: 'Random cells to compare with' },
  );
  return picked?.n;
}

/** Trainings of the derived cells: several give their seed spread and, against 2 or more random cells, Welch's test. */
async function pickRepeats(random: number): Promise<number | undefined> {
  const test = random > 1 ? ' and Welch\'s test against the random cells' : '';
  const picked = await vscode.window.showQuickPick(
    REPEAT_CHOICES.map((n) => ({
      label: n === 1 ? 'Train the derived cells 1 time' : `Train the derived cells ${n} times`,
      detail: n === 1 ? 'One initialisation: the lead over the random cells in their std, no test.' : `${n} initialisations and batch orders: the mean ± std${test}.`,
      n,
    })),
    { placeHolder: 'Trainings of the derived cells (their seed spread)' },
  );
  return picked?.n;
}

/** Runs `bnas evaluate` with progress and Cancel, keeps its report in the run folder and sums it up. */
async function runEvaluation(ctx: BnasContext, run: RunInfo, request: EvaluateRequest): Promise<void> {
  let journal: JournalLine | undefined;
  let trained = false;
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `BNAS: training ${run.name}'s cells from scratch`, cancellable: true },
    (progress, token) =>
      runCli(ctx, evaluateArgs(request), {
        token,
        onStderrLine: (line) => {
          const j = parseJournalLine(line);
          // A journal line before any epoch: the trainings a cancelled evaluation left, not trained again.
          if (j && !trained && j.done > 0) progress.report({ message: `${j.done} of ${j.total} trainings kept from before`, increment: (100 * j.done) / j.total });
          journal = j ?? journal;
          const e = parseEpochLine(line);
          trained ||= e !== undefined;
          if (e) progress.report({ message: `${e.label}: epoch ${e.epoch} of ${e.epochs}`, increment: epochIncrement(e.epochs, request.random, request.repeats) });
        },
      }),
  );
  if (outcome.code === 130) {
    const kept = journal && journal.done > 0
      ? `its ${journal.done} finished training(s) of ${journal.total} are kept: Evaluate Derived Cell with the same choices trains the rest.`
      : 'no training had finished; nothing was recorded.';
    void vscode.window.showInformationMessage(`BNAS: training ${run.name}'s cells was cancelled; ${kept}`);
    return;
  }
  const report = outcome.code === 0 ? parseEvaluationOutput(outcome.stdout) : undefined;
  if (!report) {
    ctx.log.error(`evaluate of ${run.name} failed (exit ${outcome.code}): ${outcome.stderrTail.join('\n')}`);
    void vscode.window.showErrorMessage(`BNAS: could not train ${run.name}'s cells: ${lastLine(outcome)}`, 'Show Log').then((a) => a && ctx.log.show());
    return;
  }
  const dir = join(run.dir, RUN_FILES.evaluations);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${timeStamp(new Date())}.json`);
  writeFileSync(file, JSON.stringify({ protocol: request.data, ...report }, null, 2) + '\n');
  void ctx.tryGet('panels')?.evaluated?.(run.id);
  void vscode.window
    .showInformationMessage(`BNAS: ${run.name}: ${reportSummary(report)}`, 'Open Record')
    .then((choice) => choice && vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true }));
}
