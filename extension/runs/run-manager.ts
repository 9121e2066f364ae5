/**
 * The run manager: the one source of runs and run events for every view (runs tree, progress,
 * status bar, the run panel). It supervises the runtime processes this window starts (the queue up
 * to a concurrency limit, start, resume, stop, how each ended; one process is a `RuntimeProcess`)
 * and keeps the run history (runs on disk and runs started elsewhere, `RunHistory`). Plain Node on
 * purpose — no `vscode` import — so it is unit-tested against a fake runtime process; the host
 * facilities it needs are injected.
 */
import { readFile } from 'node:fs/promises';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RUN_FILES, TERMINAL_EVENTS, makeEvent, type CancelledEvent, type FailedEvent, type RunEvent } from '../../runtime/protocol/index.js';
import type { Disposable, Listener, Subscribe } from './emitter.js';
import { createRunFolder, deleteRunFolder, readRunEvents, spaceNameOf, writeMeta, type RunMeta } from './run-folder.js';
import { RunHistory } from './run-history.js';
import { RunStore, newRun, type Run, type RunChange, type RunEventMessage, type RunInfo } from './run-store.js';
import { ACTIVE_STATES, RESUMABLE_STATES, applyEvent, describeEvent, emptySummary } from './run-summary.js';
import { RuntimeProcess, errorText, exitMessage, failureCause, type LaunchOptions, type ProcessExit, type RunLog } from './runtime-process.js';
import type { ThreadsChoice } from '../../runtime/protocol/threads.js';

export type { RunChange, RunEventMessage, RunFailure, RunInfo } from './run-store.js';
export { exitMessage, failureCause, type RunLog } from './runtime-process.js';

export interface RunManagerOptions extends LaunchOptions {
  readonly maxConcurrentRuns?: number;
  /**
   * After cancel is sent, wait this long before SIGTERM (the checkpoint may take a while). A
   * function is read at each stop, so a changed setting applies without a restart.
   */
  readonly stopTimeoutMs?: number | (() => number);
  /** After SIGTERM, wait this long before SIGKILL. */
  readonly killTimeoutMs?: number;
  readonly log?: RunLog;
  readonly now?: () => Date;
}

export interface StartRunOptions {
  /** The `.bnas` file to search. */
  readonly file: string;
  /** Folder that holds run folders (`<workspace>/.bnas/runs`). */
  readonly runsFolder: string;
  /** `auto` (or undefined) lets the runtime choose. */
  readonly backend?: string;
  readonly seed?: number;
  /** Data-parallel threads of the search (`--threads`); undefined or `auto`: the runtime measures. */
  readonly threads?: ThreadsChoice;
}

export interface ResumeRunOptions {
  readonly backend?: string;
  readonly threads?: ThreadsChoice;
}

const DEFAULTS = { maxConcurrentRuns: 1, stopTimeoutMs: 20_000, killTimeoutMs: 5_000 };
/** Invalid messages logged in full per run; later ones are only counted (a flood must not flood the log). */
const INVALID_LOGGED = 5;

const silentLog: RunLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export class RunManager implements Disposable {
  private readonly store: RunStore;
  private readonly history: RunHistory;
  private readonly queue: Run[] = [];
  private readonly log: RunLog;
  private readonly now: () => Date;
  private maxConcurrent: number;
  private disposed = false;

  /** Fires when a run is added, removed or changes state (not on every event: see `onDidEmit`). */
  readonly onDidChangeRuns: Subscribe<RunChange>;
  /** Every validated event of every run this manager knows, in arrival order. */
  readonly onDidEmit: Subscribe<RunEventMessage>;

  constructor(private readonly options: RunManagerOptions) {
    this.log = options.log ?? silentLog;
    this.now = options.now ?? (() => new Date());
    this.maxConcurrent = clampConcurrency(options.maxConcurrentRuns ?? DEFAULTS.maxConcurrentRuns);
    const onError = (e: unknown) => this.log.error(`A run listener failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    this.store = new RunStore(onError, (run) => this.queue.indexOf(run));
    this.history = new RunHistory(this.store);
    this.onDidChangeRuns = this.store.onDidChangeRuns;
    this.onDidEmit = this.store.onDidEmit;
  }

  /** Every known run, newest first. */
  runs(): RunInfo[] {
    // Newest first by creation: stable while runs report progress (views must not reorder per event).
    return [...this.store.byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map((r) => this.store.info(r));
  }

  get(id: string): RunInfo | undefined {
    const run = this.store.byId.get(resolve(id));
    return run && this.store.info(run);
  }

  /** Runs waiting for a slot or working now. */
  activeRuns(): RunInfo[] {
    return this.runs().filter((r) => ACTIVE_STATES.has(r.state) && !r.external);
  }

  get maxConcurrentRuns(): number {
    return this.maxConcurrent;
  }

  /** Changes the concurrency limit (setting change); queued runs start when slots open. */
  setMaxConcurrentRuns(n: number): void {
    this.maxConcurrent = clampConcurrency(n);
    this.pump();
  }

  /**
   * Subscribes to the events of one run. With `replay`, the events already known are delivered
   * first, synchronously, so a panel opened mid-run misses nothing and sees nothing twice.
   */
  onEvent(runId: string, listener: Listener<RunEvent>, opts: { replay?: boolean } = {}): Disposable {
    const run = this.store.byId.get(resolve(runId));
    if (!run) return { dispose: () => undefined };
    if (opts.replay && run.events) for (const e of [...run.events]) listener(e);
    return this.store.listen(run, listener);
  }

  /** All events of a run, oldest first (see `RunHistory.readEvents`). */
  readEvents(runId: string): Promise<RunEvent[]> {
    return this.history.readEvents(runId);
  }

  /** Loads run history from each runs folder (see `RunHistory.load`). */
  loadHistory(runsFolders: readonly string[]): Promise<void> {
    return this.history.load(runsFolders);
  }

  /** True while some run found on disk is being run by another process. */
  hasExternalRuns(): boolean {
    return this.history.hasExternalRuns();
  }

  /** Follows runs that another process runs (see `RunHistory.followExternal`). */
  followExternal(): Promise<void> {
    return this.history.followExternal();
  }

  /**
   * Starts a search (or queues it when `maxConcurrentRuns` runs are active). The run folder is
   * created at once, so the run has its final id even while queued.
   * @throws when the file does not exist or the manager is disposed.
   */
  async start(opts: StartRunOptions): Promise<RunInfo> {
    if (this.disposed) throw new Error('The run manager has shut down; no new searches can start.');
    const file = resolve(opts.file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new Error(`Cannot read the search space file ${file}. Save it to disk and try again.`);
    }
    const spaceName = spaceNameOf(text) ?? 'search';
    const createdAt = this.now();
    const dir = await createRunFolder(resolve(opts.runsFolder), spaceName, createdAt);
    const run = newRun(dir, dir.slice(dirname(dir).length + 1), createdAt.toISOString());
    run.file = file;
    run.backend = opts.backend;
    run.seed = opts.seed;
    run.threads = opts.threads;
    run.events = [];
    // The folder stays empty until the runtime has started: `bnas search` refuses a non-empty
    // folder that holds no run. `run-meta.json` is written with the first event.
    this.store.byId.set(dir, run);
    this.enqueue(run);
    return this.store.info(run);
  }

  /**
   * Continues a cancelled, interrupted or failed run in its own folder with `--resume`.
   * @throws when the run is unknown, active, or not resumable.
   */
  async resume(runId: string, opts: ResumeRunOptions = {}): Promise<RunInfo> {
    if (this.disposed) throw new Error('The run manager has shut down; no new searches can start.');
    const run = this.store.byId.get(resolve(runId));
    if (!run) throw new Error(`No run at ${runId}.`);
    if (run.external) throw new Error(`${run.name} is running in another window or terminal; stop it there first.`);
    if (!RESUMABLE_STATES.has(run.state)) {
      throw new Error(`${run.name} is ${run.state}; only cancelled, interrupted or failed runs can be resumed.`);
    }
    // Keep the earlier events in memory so a view of the resumed run shows the whole history.
    run.events = await readRunEvents(run.id);
    run.summary = emptySummary();
    for (const e of run.events) applyEvent(run.summary, e);
    run.resume = true;
    run.backend = opts.backend ?? run.backend;
    run.threads = opts.threads ?? run.threads;
    run.failure = undefined;
    run.stopRequested = false;
    this.enqueue(run);
    return this.store.info(run);
  }

  /**
   * Stops a run: a queued run is dropped (its empty folder removed); a running one gets the IPC
   * cancel, then SIGTERM after `stopTimeoutMs`, then SIGKILL after `killTimeoutMs`. Resolves once
   * the signals are sent (watch `onDidChangeRuns` for the `cancelled` state).
   */
  async stop(runId: string): Promise<void> {
    const run = this.store.byId.get(resolve(runId));
    if (!run) return;
    if (run.state === 'queued') {
      this.queue.splice(this.queue.indexOf(run), 1);
      this.fireQueuePositions();
      if (run.resume) {
        run.resume = false;
        run.state = run.summary.terminal ?? 'cancelled';
        this.store.touch(run);
      } else {
        this.store.byId.delete(run.id);
        this.store.notify(run, 'removed');
        await deleteRunFolder(run.id).catch((e) => this.log.warn(`Could not remove ${run.id}: ${errorText(e)}`));
      }
      return;
    }
    if (!run.process || run.stopRequested) return;
    run.stopRequested = true;
    run.state = 'stopping';
    this.store.touch(run);
    const configured = this.options.stopTimeoutMs;
    const stopMs = (typeof configured === 'function' ? configured() : configured) ?? DEFAULTS.stopTimeoutMs;
    run.process.stop(stopMs, this.options.killTimeoutMs ?? DEFAULTS.killTimeoutMs);
  }

  /** Removes a run that is not active, and its folder. */
  async delete(runId: string): Promise<void> {
    const run = this.store.byId.get(resolve(runId));
    if (!run) return deleteRunFolder(resolve(runId));
    if (ACTIVE_STATES.has(run.state)) throw new Error(`${run.name} is ${run.state}; stop it before deleting it.`);
    await deleteRunFolder(run.id);
    this.store.byId.delete(run.id);
    run.emitter?.dispose();
    this.store.notify(run, 'removed');
  }

  /**
   * Ends everything at once (window closing): queued runs are dropped, running ones get cancel and
   * SIGTERM now (the runtime checkpoints on either) and SIGKILL after `killTimeoutMs`.
   * `shutdown()` does the same and waits for the processes.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const run of this.queue.splice(0)) {
      if (!run.resume) deleteRunFolder(run.id).catch(() => undefined /* best effort while closing */);
    }
    for (const run of this.store.byId.values()) {
      if (!run.process) continue;
      run.stopRequested = true;
      run.process.terminate(this.options.killTimeoutMs ?? DEFAULTS.killTimeoutMs);
    }
    this.store.close();
  }

  /** Disposes and waits until every runtime process has exited (or `timeoutMs` passed). */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    const exits = [...this.store.byId.values()].flatMap((r) => (r.process ? [r.process.exited] : []));
    this.dispose();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exits), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  // ---- internals ----

  private enqueue(run: Run): void {
    run.state = 'queued';
    this.queue.push(run);
    this.store.touch(run, 'added');
    this.pump();
    this.fireQueuePositions();
  }

  private pump(): void {
    if (this.disposed) return;
    let busy = [...this.store.byId.values()].filter((r) => r.process).length;
    while (busy < this.maxConcurrent && this.queue.length > 0) {
      this.launch(this.queue.shift() as Run);
      busy++;
    }
  }

  private fireQueuePositions(): void {
    for (const run of this.queue) this.store.notify(run);
  }

  private launch(run: Run): void {
    const file = run.resume ? this.resumeFile(run) : (run.file as string);
    const args = ['search', file, '--out', run.id, '--json'];
    if (run.resume) args.push('--resume');
    if (run.backend && run.backend !== 'auto') args.push('--backend', run.backend);
    if (run.seed !== undefined && !run.resume) args.push('--seed', String(run.seed));
    if (run.threads !== undefined && run.threads !== 'auto') args.push('--threads', String(run.threads));
    run.state = 'running';
    run.summary.terminal = undefined;
    run.metaWritten = false;
    run.process = new RuntimeProcess(this.options, args, dirname(file), run.name, this.log, {
      onEvent: (event) => this.deliver(run, event),
      onInvalid: (reason, message) => this.dropInvalid(run, reason, message),
      onExit: (exit) => this.finish(run, exit),
    });
    run.pid = run.process.pid;
    this.store.touch(run);
  }

  private resumeFile(run: Run): string {
    // The original file keeps relative data paths valid, but the runtime resumes only the exact
    // text searched: when the original was edited since, the folder's copy is the one to use.
    const saved = join(run.id, RUN_FILES.space);
    if (run.file && existsSync(run.file)) {
      if (!existsSync(saved)) return run.file;
      try {
        if (readFileSync(run.file, 'utf8') === readFileSync(saved, 'utf8')) return run.file;
      } catch (e) {
        this.log.warn(`[${run.name}] could not compare ${run.file} with ${saved}: ${errorText(e)}`);
      }
    }
    return saved;
  }

  private dropInvalid(run: Run, reason: string, message: unknown): void {
    run.dropped++;
    const shown = (JSON.stringify(message) ?? String(message)).slice(0, 300);
    if (run.dropped <= INVALID_LOGGED) this.log.warn(`[${run.name}] dropped an invalid message from the runtime (${reason}): ${shown}`);
    else if (run.dropped === INVALID_LOGGED + 1) this.log.warn(`[${run.name}] more invalid messages; only counting them from now on`);
  }

  private deliver(run: Run, event: RunEvent): void {
    if (!run.metaWritten) this.saveMeta(run);
    (run.events ??= []).push(event);
    applyEvent(run.summary, event);
    run.updatedAt = Date.now();
    const line = describeEvent(event, run.summary);
    if (line !== undefined) {
      if (event.type === 'failed') this.log.error(`[${run.name}] ${line}`);
      else if (event.type === 'warning') this.log.warn(`[${run.name}] ${line}`);
      else this.log.info(`[${run.name}] ${line}`);
    }
    if (TERMINAL_EVENTS.has(event.type)) run.process?.closeChannel();
    this.store.emit(run, event);
  }

  /** Settles a run after its process ended: the state, a failure with the stderr tail, the next queued run. */
  private finish(run: Run, exit: ProcessExit): void {
    run.process = undefined;
    const { code, signal, startError, stderrTail } = exit;
    const terminal = run.summary.terminal;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    let synthetic: RunEvent | undefined;
    if (startError) {
      run.state = 'failed';
      run.failure = { message: startError, stderrTail, exitCode: code, signal };
      synthetic = makeEvent<FailedEvent>({ type: 'failed', message: startError });
    } else if (terminal === 'finished') {
      run.state = 'finished';
    } else if (terminal === 'cancelled' || code === 130 || (run.stopRequested && !terminal)) {
      run.state = 'cancelled';
      if (terminal !== 'cancelled') {
        synthetic = makeEvent<CancelledEvent>({ type: 'cancelled', epoch: run.summary.lastEpochDone ?? 0 });
        if (exit.killedAfterTimeout) this.log.warn(`[${run.name}] The runtime did not stop in time and was killed; resume continues from the last epoch checkpoint.`);
      }
    } else if (terminal === 'failed') {
      run.state = 'failed';
      run.failure = { message: run.summary.message ?? 'The search failed.', stderrTail, exitCode: code, signal };
    } else {
      run.state = 'failed';
      const message = exitMessage(code, how);
      run.failure = { message, stderrTail, exitCode: code, signal };
      const cause = failureCause(stderrTail);
      synthetic = makeEvent<FailedEvent>({ type: 'failed', message: cause ? `${message} ${cause}` : message });
    }
    if (!run.metaWritten && !synthetic) this.saveMeta(run);
    if (synthetic) {
      // Record the ending in the run folder too, so history after a restart shows the same state.
      // Synchronous: one short line, once per run, and the state below must match the disk.
      try {
        appendFileSync(join(run.id, RUN_FILES.events), JSON.stringify(synthetic) + '\n');
      } catch (e) {
        this.log.warn(`[${run.name}] could not record the ending: ${errorText(e)}`);
      }
      this.deliver(run, synthetic);
    }
    if (run.failure) this.log.error(`[${run.name}] ${run.failure.message}${stderrTail.length ? `\n  stderr:\n  ${stderrTail.join('\n  ')}` : ''}`);
    this.log.info(`[${run.name}] ${run.state} (${how})${run.dropped ? `, ${run.dropped} invalid messages dropped` : ''}`);
    run.resume = false;
    this.store.touch(run);
    this.pump();
    this.fireQueuePositions();
  }

  private saveMeta(run: Run): void {
    run.metaWritten = true;
    writeMeta(run.id, this.meta(run)).catch((e) => this.log.warn(`[${run.name}] could not write the run metadata: ${errorText(e)}`));
  }

  private meta(run: Run): RunMeta {
    return { file: run.file ?? '', name: run.name, createdAt: run.createdAt, pid: run.process?.pid, backend: run.backend, seed: run.seed };
  }
}

function clampConcurrency(n: number): number {
  return Number.isFinite(n) ? Math.max(1, Math.min(16, Math.floor(n))) : 1;
}
