/**
 * The runs one window knows, as the run manager's two halves share them: process supervision
 * (runs this window starts, runtime-process.ts and run-manager.ts) and run history (runs on disk
 * and runs another process runs, run-history.ts). One record per run folder, and the change and
 * event notifications every view listens to. Plain Node: no `vscode`.
 */
import type { RunEvent } from '../../runtime/protocol/index.js';
import { Emitter, type Listener, type Subscribe } from './emitter.js';
import type { RuntimeProcess } from './runtime-process.js';
import { emptySummary, type RunState, type RunSummary } from './run-summary.js';
import type { ThreadsChoice } from '../../runtime/protocol/threads.js';

/** What a crash or failure looked like, for a clear error message with an "Open Log" action. */
export interface RunFailure {
  readonly message: string;
  readonly stderrTail: readonly string[];
  readonly exitCode?: number | null;
  readonly signal?: string | null;
}

/** A read-only view of one run, as views show it. `id` is the absolute run folder. */
export interface RunInfo {
  readonly id: string;
  readonly dir: string;
  readonly name: string;
  /** The `.bnas` file the run was started from, when known. */
  readonly file?: string;
  readonly state: RunState;
  /** Running in a process this window does not own (another VS Code window or a terminal). */
  readonly external: boolean;
  readonly summary: Readonly<RunSummary>;
  readonly pid?: number;
  readonly failure?: RunFailure;
  /** Position in the queue (0 = next), for queued runs. */
  readonly queuePosition?: number;
  /** Invalid messages from the runtime that were dropped. */
  readonly droppedMessages: number;
  /** Last known change, ms since epoch (ordering in views). */
  readonly updatedAt: number;
}

export interface RunChange {
  readonly kind: 'added' | 'updated' | 'removed';
  readonly run: RunInfo;
}

export interface RunEventMessage {
  readonly run: RunInfo;
  readonly event: RunEvent;
}

/** The mutable record of one run. */
export interface Run {
  id: string;
  name: string;
  file?: string;
  state: RunState;
  external: boolean;
  summary: RunSummary;
  /** Every event of this run known in memory, oldest first (undefined: not loaded, read from disk). */
  events?: RunEvent[];
  /** The runtime process working on the run, while there is one in this window. */
  process?: RuntimeProcess;
  pid?: number;
  failure?: RunFailure;
  resume: boolean;
  backend?: string;
  seed?: number;
  threads?: ThreadsChoice;
  stopRequested: boolean;
  dropped: number;
  /** `run-meta.json` was written for the current process. */
  metaWritten?: boolean;
  updatedAt: number;
  createdAt: string;
  emitter?: Emitter<RunEvent>;
}

export function newRun(id: string, name: string, createdAt: string): Run {
  return {
    id,
    name,
    state: 'queued',
    external: false,
    summary: emptySummary(),
    resume: false,
    stopRequested: false,
    dropped: 0,
    updatedAt: Date.now(),
    createdAt,
  };
}

/** The runs by id and the notifications about them. */
export class RunStore {
  readonly byId = new Map<string, Run>();
  private readonly changes: Emitter<RunChange>;
  private readonly allEvents: Emitter<RunEventMessage>;
  /** Fires when a run is added, removed or changes state (not on every event: see `onDidEmit`). */
  readonly onDidChangeRuns: Subscribe<RunChange>;
  /** Every validated event of every run, in arrival order. */
  readonly onDidEmit: Subscribe<RunEventMessage>;
  private closed = false;

  /** @param queuePosition where a queued run waits (0 = next), or -1. */
  constructor(
    private readonly onListenerError: (error: unknown) => void,
    private readonly queuePosition: (run: Run) => number,
  ) {
    this.changes = new Emitter(onListenerError);
    this.allEvents = new Emitter(onListenerError);
    this.onDidChangeRuns = this.changes.event;
    this.onDidEmit = this.allEvents.event;
  }

  /** Tells the views that `run` was added, changed or removed. */
  notify(run: Run, kind: RunChange['kind'] = 'updated'): void {
    if (!this.closed) this.changes.fire({ kind, run: this.info(run) });
  }

  /** Marks `run` as changed now and tells the views. */
  touch(run: Run, kind: RunChange['kind'] = 'updated'): void {
    run.updatedAt = Date.now();
    this.notify(run, kind);
  }

  /** Delivers an event of `run` to the listeners of that run and of all runs. */
  emit(run: Run, event: RunEvent): void {
    run.emitter?.fire(event);
    if (this.allEvents.size > 0) this.allEvents.fire({ run: this.info(run), event });
  }

  /** Subscribes to the events of one run (see `RunManager.onEvent`). */
  listen(run: Run, listener: Listener<RunEvent>): { dispose(): void } {
    run.emitter ??= new Emitter(this.onListenerError);
    return run.emitter.event(listener);
  }

  info(run: Run): RunInfo {
    const position = run.state === 'queued' ? this.queuePosition(run) : -1;
    return {
      id: run.id,
      dir: run.id,
      name: run.name,
      file: run.file || undefined,
      state: run.state,
      external: run.external,
      summary: run.summary,
      pid: run.process?.pid ?? run.pid,
      failure: run.failure,
      queuePosition: position >= 0 ? position : undefined,
      droppedMessages: run.dropped,
      updatedAt: run.updatedAt,
    };
  }

  /** Stops every notification (the manager is disposed). */
  close(): void {
    this.closed = true;
    this.changes.dispose();
    this.allEvents.dispose();
  }
}
