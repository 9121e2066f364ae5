/**
 * The sweep folder's bookkeeping: `sweep.json` rewritten atomically on every change of a trial,
 * `sweep-events.jsonl` appended, and per-trial cancel requests (`cancel-requests`, one trial id
 * a line, written by `bnas sweep --cancel`). Only the process that runs the sweep writes
 * `sweep.json` and the events; Slurm tasks report through their own status files.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../search/run-folder.js';
import { parseSweepFile, type SweepEvent, type SweepFile, type Trial } from './schema.js';
import type { TrialOutcome } from './trial.js';

export const SWEEP_FILE = 'sweep.json';
export const EVENTS_FILE = 'sweep-events.jsonl';
export const CANCEL_FILE = 'cancel-requests';

/** Reads `DIR/sweep.json`, or undefined when there is none. */
export function readSweepFile(dir: string): SweepFile | undefined {
  const path = join(dir, SWEEP_FILE);
  if (!existsSync(path)) return undefined;
  const sweep = parseSweepFile(JSON.parse(readFileSync(path, 'utf8')));
  if (!sweep) throw new Error(`${path} is not a sweep file this version reads`);
  return sweep;
}

/** Asks the running sweep in `dir` to cancel these trials. */
export function requestCancel(dir: string, ids: readonly string[]): void {
  appendFileSync(join(dir, CANCEL_FILE), ids.map((id) => `${id}\n`).join(''));
}

/** The trials whose cancellation was requested. */
export function cancelRequests(dir: string): Set<string> {
  const path = join(dir, CANCEL_FILE);
  return new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);
}

/** The live state of a sweep: every change is written through and announced. */
export class SweepState {
  private readonly byId: Map<string, Trial>;

  constructor(
    readonly dir: string,
    readonly sweep: SweepFile,
    private readonly listener: (e: SweepEvent) => void,
  ) {
    this.byId = new Map(sweep.trials.map((t) => [t.id, t]));
  }

  trial(id: string): Trial {
    const t = this.byId.get(id);
    if (!t) throw new Error(`no trial '${id}' in the sweep`);
    return t;
  }

  get trials(): readonly Trial[] {
    return this.sweep.trials;
  }

  /** Changes a trial and writes `sweep.json`. */
  update(id: string, patch: Partial<Trial>): Trial {
    const next = { ...this.trial(id), ...patch };
    this.byId.set(id, next);
    this.sweep.trials = this.sweep.trials.map((t) => (t.id === id ? next : t));
    this.save();
    return next;
  }

  /** Records how a trial's processes ended and announces it. */
  finish(id: string, o: TrialOutcome): void {
    const time = new Date().toISOString();
    const t = this.update(id, { state: o.state, ended: time, exit_code: o.exitCode, error: o.error, result: o.result, evaluation: o.evaluation });
    if (o.state === 'finished' && t.result) this.emit({ type: 'trial-finished', time, trial: id, result: t.result, evaluation: t.evaluation });
    else if (o.state === 'failed') this.emit({ type: 'trial-failed', time, trial: id, exit_code: o.exitCode, error: o.error ?? '' });
    else if (o.state === 'cancelled') this.emit({ type: 'trial-cancelled', time, trial: id });
  }

  save(): void {
    this.sweep.updated = new Date().toISOString();
    writeFileAtomic(join(this.dir, SWEEP_FILE), JSON.stringify(this.sweep, null, 2) + '\n');
  }

  emit(e: SweepEvent): void {
    appendFileSync(join(this.dir, EVENTS_FILE), JSON.stringify(e) + '\n');
    this.listener(e);
  }
}
