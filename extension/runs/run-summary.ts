/**
 * The key numbers of a run, folded from its events. The same fold serves live runs (event by
 * event) and runs read back from disk (`events.jsonl`), so a view shows the same numbers either way.
 */
import type { Genotype, RunEvent } from '../../runtime/protocol/index.js';

/**
 * Where a run stands.
 * - `queued`: waiting for a free slot (`bnas.maxConcurrentRuns`);
 * - `running`: the runtime process is alive (`external` runs belong to another window);
 * - `stopping`: cancel was sent, waiting for the checkpoint and the `cancelled` event;
 * - `finished` / `failed` / `cancelled`: ended, with that terminal event or exit status;
 * - `interrupted`: found on disk without a terminal event and without a live process
 *   (VS Code or the machine went down mid-run); it can be resumed from its last checkpoint.
 */
export type RunState = 'queued' | 'running' | 'stopping' | 'finished' | 'failed' | 'cancelled' | 'interrupted';

/** States in which a process is (or will be) working on the run. */
export const ACTIVE_STATES: ReadonlySet<RunState> = new Set(['queued', 'running', 'stopping']);

/** States from which `--resume` can continue the run (a checkpoint may exist). */
export const RESUMABLE_STATES: ReadonlySet<RunState> = new Set(['cancelled', 'interrupted', 'failed']);

/** Key numbers of a run; every field is optional because a run may have emitted nothing yet. */
export interface RunSummary {
  space?: string;
  backend?: string;
  backendReason?: string;
  /**
   * Threads the search's steps computed on (data-parallel workers + the main thread); 1 where the
   * steps were not split (`shard_steps` false), whose step time is one thread's.
   */
  threads?: number;
  seed?: number;
  /**
   * Trainable weights of the whole supernet (every candidate op), from the first `started`: the
   * one count every view shows as "parameters".
   */
  parameters?: number;
  /** Weights of the ops still alive, when a resumed `started` counted fewer than `parameters`. */
  aliveParameters?: number;
  /** Planned epochs (from `started`). */
  epochs?: number;
  stepsPerEpoch?: number;
  /** Epoch of the latest step or epoch event. */
  epoch?: number;
  step?: number;
  steps?: number;
  phase?: 'train' | 'prune' | 'derive';
  loss?: number;
  /** Completed epochs (count of `epoch` events since the start, resumes included). */
  epochsDone: number;
  /** Highest epoch that completed (1-based, as in `epoch` events). */
  lastEpochDone?: number;
  /** Completed epochs when the run was stopped (`cancelled.epoch`). */
  stoppedAfter?: number;
  trainAcc?: number;
  validAcc?: number;
  bestValidAcc?: number;
  testAcc?: number;
  opsLeft?: number;
  /** Seconds of search reported by the runtime (latest value). */
  seconds?: number;
  startedAt?: string;
  endedAt?: string;
  lastEventAt?: string;
  genotype?: Genotype;
  /** The final genotype came from `finished` (not only an intermediate derivation). */
  final: boolean;
  checkpoint?: string;
  /** Message of a `failed` event, or the reason a run finished early. */
  message?: string;
  warnings: string[];
  pruned: number;
  resumed: number;
  /** Type of the terminal event, when one was seen. */
  terminal?: 'finished' | 'failed' | 'cancelled';
  events: number;
}

export function emptySummary(): RunSummary {
  return { epochsDone: 0, final: false, warnings: [], pruned: 0, resumed: 0, events: 0 };
}

/** Folds one event into `s` (mutates and returns it: this runs for every event of a flood). */
export function applyEvent(s: RunSummary, e: RunEvent): RunSummary {
  s.events++;
  s.lastEventAt = e.time;
  switch (e.type) {
    case 'started':
      s.space = e.space;
      s.backend = e.backend;
      s.backendReason = e.backend_reason;
      s.threads = e.shard_steps === false ? 1 : e.threads;
      s.seed = e.seed;
      // A resumed run counts only the ops that survived pruning; the supernet count stays the first one.
      if (!e.resumed || s.parameters === undefined) s.parameters = e.parameters;
      s.aliveParameters = e.resumed && e.parameters !== s.parameters ? e.parameters : undefined;
      s.stoppedAfter = undefined;
      s.epochs = e.epochs;
      s.stepsPerEpoch = e.steps_per_epoch;
      s.startedAt ??= e.time;
      if (e.resumed) s.resumed++;
      // A resumed run is active again: forget the previous ending.
      s.terminal = undefined;
      s.endedAt = undefined;
      break;
    case 'step':
      s.epoch = e.epoch;
      s.step = e.step;
      s.steps = e.steps;
      s.loss = e.loss;
      s.seconds = e.seconds;
      s.phase = e.phase;
      break;
    case 'epoch':
      s.epoch = e.epoch;
      s.epochsDone++;
      s.lastEpochDone = Math.max(s.lastEpochDone ?? 0, e.epoch);
      s.loss = e.train_loss;
      s.trainAcc = e.train_acc;
      s.validAcc = e.valid_acc;
      s.bestValidAcc = Math.max(s.bestValidAcc ?? -Infinity, e.valid_acc);
      s.opsLeft = e.ops_left;
      s.seconds = e.seconds;
      break;
    case 'pruned':
      s.pruned++;
      break;
    case 'genotype':
      s.genotype = e.genotype;
      if (e.final) s.final = true;
      break;
    case 'checkpoint':
      s.checkpoint = e.path;
      break;
    case 'finished':
      s.genotype = e.genotype;
      s.final = true;
      s.seconds = e.seconds;
      if (e.valid_acc !== undefined) s.validAcc = e.valid_acc;
      s.testAcc = e.test_acc;
      s.message = e.reason;
      s.terminal = 'finished';
      s.endedAt = e.time;
      break;
    case 'failed':
      s.message = e.message;
      s.terminal = 'failed';
      s.endedAt = e.time;
      break;
    case 'cancelled':
      if (e.checkpoint) s.checkpoint = e.checkpoint;
      s.stoppedAfter = e.epoch;
      s.terminal = 'cancelled';
      s.endedAt = e.time;
      break;
    case 'warning':
      // Keep the last few: a run that warns every step must not grow memory without bound.
      s.warnings.push(e.message);
      if (s.warnings.length > 20) s.warnings.shift();
      break;
    case 'alphas':
      break;
  }
  return s;
}

/** Folds a whole event list into a fresh summary. */
export function summarize(events: Iterable<RunEvent>): RunSummary {
  const s = emptySummary();
  for (const e of events) applyEvent(s, e);
  return s;
}

/** `0.8423` → `84.2%`. */
export function formatPercent(x: number | undefined): string | undefined {
  return x === undefined || !Number.isFinite(x) ? undefined : `${(x * 100).toFixed(1)}%`;
}

/** Seconds as `45s`, `3m 07s`, `1h 02m`. */
export function formatDuration(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Loss with 3 significant digits; NaN is shown as such (a diverged search is worth seeing). */
export function formatLoss(x: number | undefined): string | undefined {
  if (x === undefined) return undefined;
  return Number.isNaN(x) ? 'NaN' : x.toPrecision(3);
}

/**
 * The epoch counter a person reads. One convention in every view: `epoch 3/6` is the third of six
 * epochs, 1-based as in `step` and `epoch` events, the one in progress while running; a stopped
 * run says how many completed (`cancelled.epoch` counts them): `stopped after epoch 2/6`.
 */
export function formatEpoch(s: RunSummary): string | undefined {
  if (s.terminal === 'cancelled' && s.stoppedAfter !== undefined) return `stopped after epoch ${s.stoppedAfter}${s.epochs ? `/${s.epochs}` : ''}`;
  if (s.epoch === undefined) return s.epochs === undefined ? undefined : `starting (${s.epochs} epochs)`;
  return s.epochs === undefined ? `epoch ${s.epoch}` : `epoch ${Math.min(s.epoch, s.epochs)}/${s.epochs}`;
}

/** One line of key numbers: `epoch 3/6 · valid acc 84.2% · 12 ops left · 2m 14s` (test acc once finished). */
export function describeSummary(s: RunSummary, opts: { step?: boolean } = {}): string {
  const parts: string[] = [];
  const epoch = formatEpoch(s);
  if (epoch) parts.push(epoch);
  if (opts.step && s.step !== undefined && s.steps !== undefined) {
    parts.push(s.phase === 'derive' ? `deriving: edge probe ${s.step}` : `${s.phase === 'prune' ? 'pruning ' : 'step '}${s.step}/${s.steps}`);
  }
  if (opts.step && s.loss !== undefined) parts.push(`loss ${formatLoss(s.loss)}`);
  const acc = formatAccuracy(s);
  if (acc) parts.push(acc);
  if (s.opsLeft !== undefined) parts.push(`${s.opsLeft} ops left`);
  const time = formatDuration(s.seconds);
  if (time) parts.push(time);
  return parts.join(' · ');
}

/** The accuracy to quote, with its split named: `test acc 48.4%`, else `valid acc 55.2%`. */
export function formatAccuracy(s: RunSummary): string | undefined {
  const test = formatPercent(s.testAcc);
  if (test) return `test acc ${test}`;
  const valid = formatPercent(s.validAcc);
  return valid && `valid acc ${valid}`;
}

/**
 * The accuracies of a finished run for its notification, each with its split: live progress
 * shows validation accuracy, so a test accuracy must not read as a drop from it.
 */
export function describeResult(s: RunSummary): string {
  const parts = [['test acc', formatPercent(s.testAcc)], ['valid acc', formatPercent(s.validAcc)]].filter(([, v]) => v).map(([k, v]) => `${k} ${v}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * The log line of an event, with the numbers the command line prints (loss and accuracy per
 * epoch, both splits named); undefined for events too frequent to log (steps, α, pruned ops).
 * `s` is the summary with the event already folded in.
 */
export function describeEvent(e: RunEvent, s: RunSummary): string | undefined {
  const of = s.epochs ? `/${s.epochs}` : '';
  switch (e.type) {
    case 'started':
      return `${e.resumed ? 'resumed' : 'started'}: ${e.space} on ${e.backend}, ${(s.parameters ?? e.parameters).toLocaleString('en-US')} parameters${s.aliveParameters !== undefined ? ` (${s.aliveParameters.toLocaleString('en-US')} alive)` : ''}, ${e.epochs} epochs of ${e.steps_per_epoch} steps, seed ${e.seed}`;
    case 'epoch':
      return `epoch ${e.epoch}${of}: train loss ${formatLoss(e.train_loss)} acc ${formatPercent(e.train_acc)}, valid loss ${formatLoss(e.valid_loss)} acc ${formatPercent(e.valid_acc)}, ${e.ops_left} ops left, ${formatDuration(e.seconds)}`;
    case 'genotype':
      return `genotype derived at epoch ${e.epoch}${of}${e.final ? ' (final)' : ''}`;
    case 'checkpoint':
      return `checkpoint after epoch ${e.epoch}${of}`;
    case 'finished':
      return `finished in ${formatDuration(e.seconds)}${describeResult(s)}${e.reason ? `: ${e.reason}` : ''}`;
    case 'cancelled':
      return `stopped after epoch ${e.epoch}${of}${e.checkpoint ? `; resume from ${e.checkpoint}` : ''}`;
    case 'failed':
      return `failed: ${e.message}`;
    case 'warning':
      return e.message;
    case 'parent':
      if (e.stage === 'started') return `${e.resumed ? 'resumed' : 'started'} the full-precision parent: ${e.epochs} epochs`;
      if (e.stage === 'epoch') return `parent epoch ${e.epoch}/${e.epochs}: train loss ${formatLoss(e.loss) ?? '—'}, valid acc ${formatPercent(e.valid_acc) ?? '—'}`;
      return e.stage === 'finished' ? `parent finished after ${e.epoch} epochs, valid acc ${formatPercent(e.valid_acc) ?? '—'}` : undefined;
    default:
      return undefined;
  }
}
