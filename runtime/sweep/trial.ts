/**
 * One trial, run the way a user would: `bnas search` of the trial's space into its run folder as
 * a child process (continued with `--resume` when the folder holds a checkpoint, skipped when it
 * holds a result), then `bnas evaluate` of the derived cells when the sweep evaluates. Running the
 * ordinary command keeps a trial's genotype equal to a plain `bnas search --seed N` by
 * construction. Both executors run trials through here: the local pool in its own process, a
 * Slurm task through `bnas sweep --trial`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isParamFree, loadSearchSpace } from '../dsl/index.js';
import { parseRunEvent, type RunEvent } from '../protocol/events.js';
import { RUN_FILES } from '../protocol/run-folder.js';
import { writeFileAtomic } from '../search/run-folder.js';
import * as v from 'valibot';
import { EvaluationSchema, parseEvaluationOutput, TrialResultSchema, type Evaluation, type SweepEvent, type SweepOptions, type Trial, type TrialResult } from './schema.js';

/** How a trial's processes ended. */
export interface TrialOutcome {
  readonly state: 'finished' | 'failed' | 'cancelled';
  readonly exitCode: number;
  /** The tail of the failing process's stderr. */
  readonly error?: string;
  readonly result?: TrialResult;
  readonly evaluation?: Evaluation;
}

export interface TrialRun {
  /** Path of the `bnas` command line (`dist/cli.cjs`). */
  readonly cli: string;
  readonly sweepDir: string;
  readonly trial: Trial;
  readonly options: SweepOptions;
  /** Aborting sends SIGINT to the running child: a search checkpoints and exits 130. */
  readonly signal: AbortSignal;
  readonly emit: (e: SweepEvent) => void;
  /** The attempt number announced in `trial-started`. */
  readonly attempt: number;
}

const STDERR_TAIL_LINES = 15;
const now = () => new Date().toISOString();

/** True when a run folder holds a checkpoint to resume from. */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(runDir, 'checkpoint')) || existsSync(join(runDir, '.checkpoint.old'));
}

/** The last lines of a process's stderr. */
export function tail(text: string, lines = STDERR_TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A `trial-progress` event for an epoch event of the trial's search, else undefined. */
export function progressOf(trial: string, e: RunEvent | undefined, epochs?: number): SweepEvent | undefined {
  if (e?.type !== 'epoch') return undefined;
  return { type: 'trial-progress', time: e.time, trial, epoch: e.epoch, epochs, valid_acc: e.valid_acc, seconds: e.seconds };
}

interface ChildEnd {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node CLI args`, forwarding each stdout line; SIGINT on abort. `onStart` gets the child's process id. */
function runChild(cli: string, args: readonly string[], signal: AbortSignal, onStart: (pid: number | undefined) => void, onLine: (line: string) => void): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    onStart(child.pid);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    });
    // Only the tail is reported; keep a bounded window of a long stderr.
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-16_384)));
    const onAbort = () => child.kill('SIGINT');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      stderr += `\n${e.message}`;
    });
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ code: code ?? (sig === 'SIGINT' || sig === 'SIGTERM' ? 130 : 1), stdout, stderr });
    });
  });
}

/** The summary of a finished run folder. */
export function readTrialResult(runDir: string): TrialResult {
  const r = JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8'));
  let parameters: number | undefined;
  for (const line of readFileSync(join(runDir, 'events.jsonl'), 'utf8').split('\n')) {
    if (!line.includes('"started"')) continue;
    const e = parseRunEvent(JSON.parse(line));
    if (e?.type === 'started') parameters = e.parameters;
  }
  const { space } = loadSearchSpace(readFileSync(join(runDir, 'space.bnas'), 'utf8'));
  const kinds = new Map(space?.ops.map((o) => [o.name, o.kind]));
  const ops: string[] = [...r.genotype.normal, ...r.genotype.reduce].map((e: [string, number]) => e[0]);
  const free = ops.filter((op) => op === 'none' || (kinds.has(op) && isParamFree(kinds.get(op)!))).length;
  return v.parse(TrialResultSchema, {
    genotype: r.genotype,
    valid_acc: r.metrics.valid_acc,
    test_acc: r.metrics.test_acc,
    search_seconds: r.metrics.search_seconds,
    cpu_seconds: r.metrics.cpu_seconds,
    peak_rss_mb: r.metrics.peak_rss_mb,
    parameters,
    param_free_share: ops.length ? free / ops.length : 0,
  });
}

/** Runs (or continues) one trial to its end, cancellation or failure. */
export async function runTrial(t: TrialRun): Promise<TrialOutcome> {
  const { trial, options, sweepDir } = t;
  const runDir = join(sweepDir, trial.run);
  const spaceFile = join(sweepDir, trial.space);
  const started = (phase: 'search' | 'evaluate', resume: boolean) => (pid: number | undefined) =>
    t.emit({ type: 'trial-started', time: now(), trial: trial.id, attempt: t.attempt, resume, phase, ...(pid !== undefined && { pid }) });
  const ended = (r: ChildEnd): TrialOutcome =>
    r.code === 130 || t.signal.aborted ? { state: 'cancelled', exitCode: r.code } : { state: 'failed', exitCode: r.code, error: tail(r.stderr) || `exit code ${r.code}` };

  if (!existsSync(join(runDir, 'result.json'))) {
    const resume = hasCheckpoint(runDir);
    // Stopped before its first checkpoint: nothing to continue, start the folder afresh.
    if (!resume) rmSync(runDir, { recursive: true, force: true });
    const args = ['search', spaceFile, '--out', runDir, '--seed', String(trial.seed), '--json', '--backend', options.backend];
    // One thread per trial unless asked: trials run side by side, and an explicit count keeps a
    // trial's genotype independent of the machine's load (`auto` measures it).
    args.push('--threads', String(options.threads ?? 1));
    if (resume) args.push('--resume');
    let epochs: number | undefined;
    const r = await runChild(t.cli, args, t.signal, started('search', resume), (line) => {
      let e: RunEvent | undefined;
      try {
        e = parseRunEvent(JSON.parse(line));
      } catch {
        return; // not an event line
      }
      if (e?.type === 'started') epochs = e.epochs;
      const p = progressOf(trial.id, e, epochs);
      if (p) t.emit(p);
    });
    if (r.code !== 0) return ended(r);
  }
  const result = readTrialResult(runDir);
  if (!options.evaluate || !trial.evaluation_file) return { state: 'finished', exitCode: 0, result };

  const evalFile = join(sweepDir, trial.evaluation_file);
  if (!existsSync(evalFile)) {
    const args = ['evaluate', runDir, '--data', options.protocol ?? spaceFile, '--seed', String(trial.seed), '--json', '--backend', options.backend, '--random', String(options.random)];
    if (options.epochs !== undefined) args.push('--epochs', String(options.epochs));
    if (options.float) args.push('--float');
    if (options.random > 0) args.push('--random-rule', options.random_rule ?? 'uniform');
    // A stopped or killed sweep keeps the trial's finished trainings; its resume trains the rest.
    args.push('--journal', join(runDir, RUN_FILES.evaluationJournal));
    const r = await runChild(t.cli, args, t.signal, started('evaluate', false), () => undefined);
    if (r.code !== 0) return ended(r);
    const report = parseEvaluationOutput(r.stdout);
    if (!report) return { state: 'failed', exitCode: 1, error: `bnas evaluate printed no report: ${tail(r.stdout)}` };
    mkdirSync(dirname(evalFile), { recursive: true });
    writeFileAtomic(evalFile, JSON.stringify(report, null, 2) + '\n');
  }
  const evaluation = v.parse(EvaluationSchema, JSON.parse(readFileSync(evalFile, 'utf8')));
  return { state: 'finished', exitCode: 0, result, evaluation };
}
