/**
 * What BNAS: Evaluate Derived Cell runs and reports, as plain data (no `vscode`): the `bnas
 * evaluate` command line, the progress its stderr lines describe, the report it prints (checked
 * against the sweep's evaluation schema, the same record a sweep keeps) and the sentence that
 * sums it up (docs/method.md, "Evaluation from scratch", "Random cells").
 */
import * as v from 'valibot';
import type { RandomRule } from '../../runtime/protocol/random-rule.js';
import type { ThreadsChoice } from '../../runtime/protocol/threads.js';
import { EvaluationSchema, type Evaluation } from '../../runtime/sweep/schema.js';
import { stat } from '../../runtime/sweep/stats.js';

export interface EvaluateRequest {
  /** The run folder whose derived cells are trained. */
  readonly run: string;
  /** The protocol file (`--data`): data, cells, channels, binarization and optimizer. */
  readonly data: string;
  readonly random: number;
  readonly randomRule?: RandomRule;
  readonly backend?: string;
  readonly threads?: ThreadsChoice;
}

/** The arguments after `cli.cjs`, each its own argv entry; `--json` prints the report on stdout. */
export function evaluateArgs(r: EvaluateRequest): string[] {
  const args = ['evaluate', r.run, '--data', r.data, '--json'];
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

/** Reads an epoch line (`  genotype epoch 2/6: loss …`, `  random 1 epoch 1/6: …`); undefined for any other line. */
export function parseEpochLine(line: string): EpochLine | undefined {
  const m = /^\s*(genotype|random \d+) epoch (\d+)\/(\d+):/.exec(line);
  return m ? { label: m[1], epoch: Number(m[2]), epochs: Number(m[3]) } : undefined;
}

/** The share of the whole evaluation (the cell, then `random` random cells) one epoch line stands for, in percent. */
export function epochIncrement(epochs: number, random: number): number {
  return 100 / (epochs * (1 + random));
}

/**
 * The report `bnas evaluate --json` printed: its last stdout line, checked against the schema.
 * @returns undefined when the output holds no valid report
 */
export function parseReport(stdout: string): Evaluation | undefined {
  const last = stdout.trim().split('\n').at(-1);
  if (!last) return undefined;
  try {
    const r = v.safeParse(EvaluationSchema, JSON.parse(last));
    return r.success ? r.output : undefined;
  } catch {
    return undefined;
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** The report in one sentence: the cell's accuracy and, with random cells, how far it is above them. */
export function reportSummary(r: Evaluation): string {
  const head = `test accuracy ${pct(r.accuracy)} (${r.epochs} epochs from scratch, ${r.seconds.toFixed(0)} s)`;
  if (!r.random.length) return `${head}.`;
  const kind = r.random_rule === 'caps' ? 'random cells under the derivation caps' : 'uniform random cells';
  const s = stat(r.random);
  const diff = 100 * (r.accuracy - s.mean);
  const lead = `${diff >= 0 ? '+' : ''}${diff.toFixed(1)} points`;
  if (r.random.length === 1) return `${head}; one ${kind.replace('cells', 'cell')}: ${pct(s.mean)}, ${lead}.`;
  // One training says nothing of the cell's own seed noise, so no test: its lead in units of the
  // random cells' std, and how many of them it beats (a sweep over seeds gives the Welch test).
  const spread = s.std > 0 ? `, ${(diff / (100 * s.std)).toFixed(1)}× their std` : '';
  const beaten = r.random.filter((x) => r.accuracy > x).length;
  return `${head}; ${r.random.length} ${kind}: ${pct(s.mean)} ± ${pct(s.std)}, ${lead}${spread}, above ${beaten} of ${r.random.length}.`;
}
