/**
 * What BNAS: Evaluate Derived Cell runs and reports, as plain data (no `vscode`): the `bnas
 * evaluate` command line and the progress its stderr lines describe. Its report is read as a
 * sweep reads it (`parseEvaluationOutput`, runtime/sweep/schema.ts), and the sentence that sums it
 * up is runtime/protocol/evaluation-summary.ts (docs/method.md, "Evaluation from scratch").
 */
import { join } from 'node:path';
import type { RandomRule } from '../../runtime/protocol/random-rule.js';
import { RUN_FILES } from '../../runtime/protocol/run-folder.js';
import type { ThreadsChoice } from '../../runtime/protocol/threads.js';

export interface EvaluateRequest {
  /** The run folder whose derived cells are trained. */
  readonly run: string;
  /** The protocol file (`--data`): data, cells, channels, binarization and optimizer. */
  readonly data: string;
  readonly random: number;
  /** Trainings of the derived cells (`--repeats`); 1 when absent. */
  readonly repeats?: number;
  readonly randomRule?: RandomRule;
  readonly backend?: string;
  readonly threads?: ThreadsChoice;
}

/** The arguments after `cli.cjs`, each its own argv entry; `--json` prints the report on stdout. */
export function evaluateArgs(r: EvaluateRequest): string[] {
  const args = ['evaluate', r.run, '--data', r.data, '--json', '--journal', join(r.run, RUN_FILES.evaluationJournal)];
  if (r.repeats !== undefined && r.repeats > 1) args.push('--repeats', String(r.repeats));
  if (r.random > 0) args.push('--random', String(r.random), ...(r.randomRule ? ['--random-rule', r.randomRule] : []));
  if (r.backend && r.backend !== 'auto') args.push('--backend', r.backend);
  if (r.threads !== undefined && r.threads !== 'auto') args.push('--threads', String(r.threads));
  return args;
}

/** One network's epoch as `bnas evaluate` logs it on stderr: which network, the epoch, of how many. */
export interface EpochLine {
  readonly label: string;
  readonly epoch: number;
  readonly epochs: number;
}

/** Reads an epoch line (`  genotype epoch 2/6: loss …`, `  genotype 2 epoch 1/6: …` with repeats, `  random 1 epoch 1/6: …`); undefined for any other line. */
export function parseEpochLine(line: string): EpochLine | undefined {
  const m = /^\s*(genotype(?: \d+)?|random \d+) epoch (\d+)\/(\d+):/.exec(line);
  return m ? { label: m[1], epoch: Number(m[2]), epochs: Number(m[3]) } : undefined;
}

/** How far the evaluation is, as its journal lines (`journal: 2 of 7 trainings done (FILE)`) say. */
export interface JournalLine {
  readonly done: number;
  readonly total: number;
}

/** Reads a journal line; undefined for any other line. */
export function parseJournalLine(line: string): JournalLine | undefined {
  const m = /^journal: (\d+) of (\d+) trainings done/.exec(line);
  return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
}

/** The share of the whole evaluation (`repeats` trainings of the cell, then `random` random cells) one epoch line stands for, in percent. */
export function epochIncrement(epochs: number, random: number, repeats = 1): number {
  return 100 / (epochs * (repeats + random));
}
