/**
 * The Slurm executor: one `sbatch` job array per submission, one task per trial, over the sweep
 * folder (which must be on a file system the compute nodes share, as must Node and the `bnas`
 * command line: tasks run `node <cli> sweep --trial ID --out DIR`). Tasks are followed with
 * `squeue` (and `scontrol` once `squeue` no longer lists them), cancelled with `scancel`, and a
 * task that ends without finishing its trial — failed, pre-empted, timed out, killed — is
 * submitted again, up to `retries` times; the trial resumes from its checkpoint. Each task
 * reports through its own status file (`slurm/status/<id>.json`), so this process stays the only
 * writer of `sweep.json`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { parseRunEvent } from '../protocol/events.js';
import { writeFileAtomic } from '../search/run-folder.js';
import { EvaluationSchema, TrialResultSchema } from './schema.js';
import { cancelRequests, type SweepState } from './state.js';
import { hasCheckpoint, progressOf, tail, type TrialOutcome } from './trial.js';

/** What a task writes when its trial's processes have ended. */
export const TaskStatusSchema = v.object({
  state: v.picklist(['finished', 'failed', 'cancelled']),
  exit_code: v.number(),
  error: v.optional(v.string()),
  result: v.optional(TrialResultSchema),
  evaluation: v.optional(EvaluationSchema),
});

/** Tunables (tests shorten them). */
export interface SlurmTiming {
  /** How often squeue is asked. */
  readonly pollMs: number;
  /**
   * How long to wait for a task's status file after Slurm reports it ended: a cancelled task may
   * still be writing its checkpoint (Slurm's KillWait, 30 s by default, before it kills).
   */
  readonly graceMs: number;
}

const DEFAULT_TIMING: SlurmTiming = { pollMs: 1000, graceMs: 35_000 };
/** Slurm job states in which the task may still run (or run again). */
const LIVE_STATES = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED']);

export function statusPath(dir: string, id: string): string {
  return join(dir, 'slurm', 'status', `${id}.json`);
}

/** Written by the task (`bnas sweep --trial`) when its trial's processes end. */
export function writeTaskStatus(dir: string, id: string, o: TrialOutcome): void {
  mkdirSync(join(dir, 'slurm', 'status'), { recursive: true });
  writeFileAtomic(statusPath(dir, id), JSON.stringify({ state: o.state, exit_code: o.exitCode, error: o.error, result: o.result, evaluation: o.evaluation }) + '\n');
}

function readTaskStatus(dir: string, id: string): TrialOutcome | undefined {
  const path = statusPath(dir, id);
  if (!existsSync(path)) return undefined;
  const s = v.safeParse(TaskStatusSchema, JSON.parse(readFileSync(path, 'utf8')));
  if (!s.success) return undefined;
  return { state: s.output.state, exitCode: s.output.exit_code, error: s.output.error, result: s.output.result, evaluation: s.output.evaluation };
}

/** Splits `--slurm-args` like a shell would: quotes group and are removed, nothing is expanded. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function command(cmd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout, stderr: stderr || (err && !stdout ? err.message : '') });
    });
  });
}

interface Task {
  job: string;
  /** Resubmissions so far in this run of the sweep. */
  retries: number;
  started: boolean;
  resume: boolean;
  /** When Slurm first reported the task ended (ms), while its status file is awaited. */
  endedAt?: number;
  endState?: string;
  /** Bytes of the trial's events.jsonl already turned into progress events. */
  eventsRead: number;
  epochs?: number;
  cancelSent: boolean;
}

/** State of each listed task (`123_4` → `RUNNING`); tasks squeue no longer knows are absent. */
async function queryStates(jobs: readonly string[]): Promise<Map<string, string>> {
  const arrays = [...new Set(jobs.map((j) => j.split('_')[0]))];
  const states = new Map<string, string>();
  const r = await command('squeue', ['-h', '-r', '-t', 'all', '-j', arrays.join(','), '-o', '%i|%T']);
  for (const line of r.stdout.split('\n')) {
    const [id, st] = line.trim().split('|');
    if (id && st) states.set(id, st);
  }
  for (const job of jobs) {
    if (states.has(job)) continue;
    const s = await command('scontrol', ['show', 'job', '-o', job]);
    const m = /JobState=(\S+)/.exec(s.stdout);
    if (m) states.set(job, m[1]);
  }
  return states;
}

/** Turns the new epoch events of a running trial's events.jsonl into progress events. */
function followEvents(state: SweepState, id: string, task: Task): void {
  const path = join(state.dir, state.trial(id).run, 'events.jsonl');
  if (!existsSync(path)) return;
  const size = statSync(path).size;
  if (size < task.eventsRead) task.eventsRead = 0;
  if (size === task.eventsRead) return;
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(size - task.eventsRead);
  try {
    readSync(fd, buf, 0, buf.length, task.eventsRead);
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('utf8');
  const complete = text.lastIndexOf('\n') + 1;
  task.eventsRead += Buffer.byteLength(text.slice(0, complete));
  for (const line of text.slice(0, complete).split('\n').filter(Boolean)) {
    let e;
    try {
      e = parseRunEvent(JSON.parse(line));
    } catch {
      continue; // a line being written
    }
    if (e?.type === 'started') task.epochs = e.epochs;
    const p = progressOf(id, e, task.epochs);
    if (p) state.emit(p);
  }
}

/** Runs the trials as Slurm job arrays until all end or `signal` aborts (then cancels them). */
export async function runSlurm(state: SweepState, ids: readonly string[], cli: string, signal: AbortSignal, timing: SlurmTiming = DEFAULT_TIMING): Promise<void> {
  const dir = state.dir;
  const options = state.sweep.options;
  const slurmDir = join(dir, 'slurm');
  mkdirSync(join(slurmDir, 'logs'), { recursive: true });
  const script = join(slurmDir, 'task.sh');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      '# One task of a BNAS sweep job array: runs the trial named on line SLURM_ARRAY_TASK_ID + 1 of the',
      '# list given as the first argument; `bnas sweep --trial` writes the trial\'s status file.',
      'id=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$1")',
      `exec ${shq(process.execPath)} ${shq(cli)} sweep --trial "$id" --out ${shq(dir)}`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const tasks = new Map<string, Task>();
  let submissions = existsSync(join(slurmDir, 'submissions')) ? Number(readFileSync(join(slurmDir, 'submissions'), 'utf8')) || 0 : 0;

  const submit = async (batch: readonly string[], retriesOf: (id: string) => number): Promise<void> => {
    submissions++;
    writeFileSync(join(slurmDir, 'submissions'), String(submissions));
    const list = join(slurmDir, `submit-${submissions}.txt`);
    writeFileSync(list, batch.join('\n') + '\n');
    for (const id of batch) rmSync(statusPath(dir, id), { force: true });
    const name = `bnas-${state.sweep.space}`.replace(/[^A-Za-z0-9._-]+/g, '_');
    const args = ['--parsable', `--array=0-${batch.length - 1}%${Math.max(1, options.parallel)}`, `--job-name=${name}`, `--output=${join(slurmDir, 'logs', '%A_%a.out')}`, `--chdir=${dir}`, ...splitArgs(options.slurm_args ?? ''), script, list];
    const r = await command('sbatch', args);
    const job = r.stdout.trim().split(';')[0];
    if (r.code !== 0 || !/^\d+$/.test(job)) {
      for (const id of batch) {
        tasks.delete(id);
        state.finish(id, { state: 'failed', exitCode: r.code || 1, error: `sbatch failed: ${tail(r.stderr || r.stdout)}` });
      }
      return;
    }
    batch.forEach((id, i) => {
      const t = state.update(id, { state: 'pending', slurm_job: `${job}_${i}`, attempts: state.trial(id).attempts + 1, error: undefined, exit_code: undefined });
      tasks.set(id, { job: `${job}_${i}`, retries: retriesOf(id), started: false, resume: hasCheckpoint(join(dir, t.run)), eventsRead: tasks.get(id)?.eventsRead ?? 0, cancelSent: false });
    });
  };

  const scancel = (jobs: readonly string[]) => (jobs.length ? command('scancel', [...jobs]) : Promise.resolve(undefined));
  let cancelledAll = false;
  await submit(ids, () => 0);
  while (tasks.size > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timing.pollMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
    if (signal.aborted && !cancelledAll) {
      cancelledAll = true;
      await scancel([...new Set([...tasks.values()].map((t) => t.job.split('_')[0]))]);
    }
    const requested = cancelRequests(dir);
    const toCancel = [...tasks].filter(([id, t]) => requested.has(id) && !t.cancelSent);
    for (const [, t] of toCancel) t.cancelSent = true;
    await scancel(toCancel.map(([, t]) => t.job));

    const states = await queryStates([...tasks.values()].map((t) => t.job));
    const again: string[] = [];
    for (const [id, task] of [...tasks]) {
      const st = states.get(task.job) ?? 'GONE';
      followEvents(state, id, task);
      if (st === 'RUNNING' && !task.started) {
        task.started = true;
        const t = state.update(id, { state: 'running', started: new Date().toISOString() });
        state.emit({ type: 'trial-started', time: new Date().toISOString(), trial: id, attempt: t.attempts, resume: task.resume, phase: 'search', slurm_job: task.job });
      }
      if (LIVE_STATES.has(st.replace(/\+$/, ''))) continue;
      const status = readTaskStatus(dir, id);
      task.endedAt ??= Date.now();
      task.endState = st;
      // Before a resubmission the old task must be gone (two processes on one run folder would
      // clash); a task cancelled for good that never ran has nothing to wait for.
      const settled = status || ((task.cancelSent || signal.aborted) && !task.started);
      if (!settled && Date.now() - task.endedAt < timing.graceMs) continue;
      tasks.delete(id);
      if (status?.state === 'finished') state.finish(id, status);
      else if (task.cancelSent || signal.aborted) state.finish(id, { state: 'cancelled', exitCode: status?.exitCode ?? 130 });
      else if (task.retries < options.retries) {
        again.push(id);
        tasks.set(id, { ...task, retries: task.retries + 1 });
        const reason = status ? `${status.state} (exit ${status.exitCode})${status.error ? `: ${status.error.split('\n').at(-1)}` : ''}` : `Slurm state ${st}, no status written`;
        state.emit({ type: 'trial-retry', time: new Date().toISOString(), trial: id, attempt: state.trial(id).attempts + 1, reason });
      } else {
        const log = join(slurmDir, 'logs', `${task.job}.out`);
        const error = status?.error ?? (existsSync(log) ? tail(readFileSync(log, 'utf8')) : `the task ended in Slurm state ${st}`);
        state.finish(id, { state: 'failed', exitCode: status?.exitCode ?? 1, error });
      }
    }
    if (again.length && !signal.aborted) await submit(again, (id) => tasks.get(id)!.retries);
    else
      for (const id of again) {
        tasks.delete(id);
        state.finish(id, { state: 'cancelled', exitCode: 130 });
      }
  }
}
