/**
 * The run manager: starts `bnas search` runtime processes, queues them up to a concurrency limit,
 * validates what they say, and is the one source of run events for every view (runs tree,
 * progress, status bar, the run panel). Plain Node on purpose — no `vscode` import — so it is
 * unit-tested against a fake runtime process; the host facilities it needs are injected.
 *
 * Protocol (contract sections 5–6): the child is `cli.cjs search FILE --out DIR --json` forked with
 * Node IPC. Events arrive as IPC messages and/or JSON lines on stdout (the same objects as
 * `events.jsonl`; one channel is used per process, see `handleLine`); stop is
 * the IPC message `{type: 'cancel'}` (runtime writes a checkpoint, emits `cancelled`, exits 130),
 * then SIGTERM, then SIGKILL when the runtime does not stop in time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RUN_FILES, TERMINAL_EVENTS, makeEvent, parseRunEvent, type CancelledEvent, type FailedEvent, type RunEvent, type RunnerCommand } from '../../runtime/protocol/index.js';
import { Emitter, type Disposable, type Listener, type Subscribe } from './emitter.js';
import { LineSplitter, TailBuffer } from './line-splitter.js';
import {
  processAlive,
  stateFromDisk,
  createRunFolder,
  deleteRunFolder,
  readRunEvents,
  readRunHistory,
  spaceNameOf,
  writeMeta,
  type RunFolderCache,
  type RunMeta,
  type RunOnDisk,
} from './run-folder.js';
import { ACTIVE_STATES, RESUMABLE_STATES, applyEvent, emptySummary, type RunState, type RunSummary } from './run-summary.js';

/** The log the manager writes to; a VS Code `LogOutputChannel` fits this shape. */
export interface RunLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export interface RunManagerOptions {
  /** The bundled command line (`dist/cli.cjs`) or, in tests, a fake runtime speaking the same protocol. */
  readonly cliPath: string;
  /** Node binary; in an Electron host this is the host binary run with `ELECTRON_RUN_AS_NODE=1`. */
  readonly execPath?: string;
  /** Set `ELECTRON_RUN_AS_NODE=1` for the child; defaults to "the current process is Electron". */
  readonly electron?: boolean;
  readonly execArgv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly maxConcurrentRuns?: number;
  /**
   * After cancel is sent, wait this long before SIGTERM (the checkpoint may take a while). A
   * function is read at each stop, so a changed setting applies without a restart.
   */
  readonly stopTimeoutMs?: number | (() => number);
  /** After SIGTERM, wait this long before SIGKILL. */
  readonly killTimeoutMs?: number;
  /** Lines of stderr kept to explain a crash. */
  readonly stderrTailLines?: number;
  readonly log?: RunLog;
  readonly now?: () => Date;
}

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

export interface StartRunOptions {
  /** The `.bnas` file to search. */
  readonly file: string;
  /** Folder that holds run folders (`<workspace>/.bnas/runs`). */
  readonly runsFolder: string;
  /** `auto` (or undefined) lets the runtime choose. */
  readonly backend?: string;
  readonly seed?: number;
  /** Data-parallel threads of the search (`--threads`); undefined or 1: one. */
  readonly threads?: number;
}

export interface ResumeRunOptions {
  readonly backend?: string;
  readonly threads?: number;
}

interface Run {
  id: string;
  name: string;
  file?: string;
  state: RunState;
  external: boolean;
  summary: RunSummary;
  /** Every event of this run known in memory, oldest first (undefined: not loaded, read from disk). */
  events?: RunEvent[];
  child?: ChildProcess;
  pid?: number;
  failure?: RunFailure;
  resume: boolean;
  backend?: string;
  seed?: number;
  threads?: number;
  stopRequested: boolean;
  killedAfterTimeout: boolean;
  timers: NodeJS.Timeout[];
  dropped: number;
  /** `run-meta.json` was written for the current process. */
  metaWritten?: boolean;
  /** Where this process's events come from (chosen by the first valid event). */
  channel?: 'ipc' | 'stdout';
  updatedAt: number;
  createdAt: string;
  emitter?: Emitter<RunEvent>;
  exited?: Promise<void>;
}

const DEFAULTS = { maxConcurrentRuns: 1, stopTimeoutMs: 20_000, killTimeoutMs: 5_000, stderrTailLines: 30 };
/** Invalid messages logged in full per run; later ones are only counted (a flood must not flood the log). */
const INVALID_LOGGED = 5;

const silentLog: RunLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export class RunManager implements Disposable {
  private readonly runsById = new Map<string, Run>();
  private readonly folderCache: RunFolderCache = new Map();
  private readonly queue: Run[] = [];
  private readonly log: RunLog;
  private readonly now: () => Date;
  private maxConcurrent: number;
  private disposed = false;

  private readonly changes: Emitter<RunChange>;
  private readonly allEvents: Emitter<RunEventMessage>;

  /** Fires when a run is added, removed or changes state (not on every event: see `onDidEmit`). */
  readonly onDidChangeRuns: Subscribe<RunChange>;
  /** Every validated event of every run this manager runs, in arrival order. */
  readonly onDidEmit: Subscribe<RunEventMessage>;

  constructor(private readonly options: RunManagerOptions) {
    this.log = options.log ?? silentLog;
    this.now = options.now ?? (() => new Date());
    this.maxConcurrent = clampConcurrency(options.maxConcurrentRuns ?? DEFAULTS.maxConcurrentRuns);
    const onError = (e: unknown) => this.log.error(`A run listener failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    this.changes = new Emitter(onError);
    this.allEvents = new Emitter(onError);
    this.onDidChangeRuns = this.changes.event;
    this.onDidEmit = this.allEvents.event;
  }

  /** Every known run, newest first. */
  runs(): RunInfo[] {
    // Newest first by creation: stable while runs report progress (views must not reorder per event).
    return [...this.runsById.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map((r) => this.info(r));
  }

  get(id: string): RunInfo | undefined {
    const run = this.runsById.get(resolve(id));
    return run && this.info(run);
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
    const run = this.runsById.get(resolve(runId));
    if (!run) return { dispose: () => undefined };
    if (opts.replay && run.events) for (const e of [...run.events]) listener(e);
    run.emitter ??= new Emitter((e) => this.log.error(`A run listener failed: ${String(e)}`));
    return run.emitter.event(listener);
  }

  /**
   * All events of a run, oldest first: from memory for runs this window ran or resumed, else read
   * from the run folder's `events.jsonl` (a finished run, or one from an earlier session).
   */
  async readEvents(runId: string): Promise<RunEvent[]> {
    const run = this.runsById.get(resolve(runId));
    if (run?.events) return [...run.events];
    return readRunEvents(resolve(runId));
  }

  /**
   * Loads run history from each runs folder (on start and on refresh). Runs this manager is
   * running keep their live state; runs deleted on disk disappear.
   */
  async loadHistory(runsFolders: readonly string[]): Promise<void> {
    const found: RunOnDisk[] = [];
    for (const folder of runsFolders) found.push(...(await readRunHistory(resolve(folder), undefined, this.folderCache)));
    const seen = new Set<string>();
    for (const disk of found) {
      const id = resolve(disk.dir);
      seen.add(id);
      const live = this.runsById.get(id);
      if (live && (live.child || live.state === 'queued')) continue;
      const run: Run = {
        ...(live ?? newRun(id, disk.name, disk.meta?.createdAt ?? new Date(disk.mtimeMs).toISOString())),
        name: disk.name,
        file: disk.meta?.file,
        state: disk.state,
        external: disk.external,
        summary: disk.summary,
        events: undefined,
        pid: disk.external ? disk.meta?.pid : undefined,
        dropped: disk.invalidLines,
        updatedAt: disk.mtimeMs,
      };
      if (run.state === 'failed' && !run.failure && run.summary.message) run.failure = { message: run.summary.message, stderrTail: [] };
      this.runsById.set(id, run);
      this.changes.fire({ kind: live ? 'updated' : 'added', run: this.info(run) });
    }
    for (const dir of this.folderCache.keys()) if (!seen.has(resolve(dir))) this.folderCache.delete(dir);
    const roots = new Set(runsFolders.map((f) => resolve(f)));
    for (const [id, run] of this.runsById) {
      if (seen.has(id) || run.child || run.state === 'queued' || !roots.has(dirname(id))) continue;
      this.runsById.delete(id);
      this.changes.fire({ kind: 'removed', run: this.info(run) });
    }
  }

  /** True while some run found on disk is being run by another process. */
  hasExternalRuns(): boolean {
    return [...this.runsById.values()].some((r) => r.external && r.state === 'running');
  }

  /**
   * Follows runs that another process runs (the `bnas` command line in a terminal, another window):
   * re-reads their `events.jsonl` and forwards the events added since the last look, so views of
   * such a run stay live; notices when it ends or its process is gone. Call it periodically while
   * `hasExternalRuns()`.
   */
  async followExternal(): Promise<void> {
    for (const run of [...this.runsById.values()]) {
      if (!run.external || run.state !== 'running') continue;
      const events = await readRunEvents(run.id);
      const fresh = events.slice(run.summary.events);
      run.events = events;
      for (const e of fresh) {
        applyEvent(run.summary, e);
        run.emitter?.fire(e);
        if (this.allEvents.size > 0) this.allEvents.fire({ run: this.info(run), event: e });
      }
      const { state, external } = stateFromDisk(run.summary, existsSync(join(run.id, RUN_FILES.result)), processAlive(run.pid));
      if (fresh.length > 0 || state !== run.state) {
        run.state = state;
        run.external = external;
        this.touch(run);
      }
    }
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
    this.runsById.set(dir, run);
    this.enqueue(run);
    return this.info(run);
  }

  /**
   * Continues a cancelled, interrupted or failed run in its own folder with `--resume`.
   * @throws when the run is unknown, active, or not resumable.
   */
  async resume(runId: string, opts: ResumeRunOptions = {}): Promise<RunInfo> {
    if (this.disposed) throw new Error('The run manager has shut down; no new searches can start.');
    const run = this.runsById.get(resolve(runId));
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
    run.killedAfterTimeout = false;
    this.enqueue(run);
    return this.info(run);
  }

  /**
   * Stops a run: a queued run is dropped (its empty folder removed); a running one gets the IPC
   * cancel, then SIGTERM after `stopTimeoutMs`, then SIGKILL after `killTimeoutMs`. Resolves once
   * the signals are sent (watch `onDidChangeRuns` for the `cancelled` state).
   */
  async stop(runId: string): Promise<void> {
    const run = this.runsById.get(resolve(runId));
    if (!run) return;
    if (run.state === 'queued') {
      this.queue.splice(this.queue.indexOf(run), 1);
      this.fireQueuePositions();
      if (run.resume) {
        run.resume = false;
        run.state = run.summary.terminal ?? 'cancelled';
        this.touch(run);
      } else {
        this.runsById.delete(run.id);
        this.changes.fire({ kind: 'removed', run: this.info(run) });
        await deleteRunFolder(run.id).catch((e) => this.log.warn(`Could not remove ${run.id}: ${errorText(e)}`));
      }
      return;
    }
    const child = run.child;
    if (!child || run.stopRequested) return;
    run.stopRequested = true;
    run.state = 'stopping';
    this.touch(run);
    this.log.info(`[${run.name}] stop requested: sending cancel`);
    if (!this.sendCancel(run)) child.kill('SIGTERM');
    const configured = this.options.stopTimeoutMs;
    const stopMs = (typeof configured === 'function' ? configured() : configured) ?? DEFAULTS.stopTimeoutMs;
    const killMs = this.options.killTimeoutMs ?? DEFAULTS.killTimeoutMs;
    run.timers.push(
      setTimeout(() => {
        if (run.child !== child) return;
        this.log.warn(`[${run.name}] no exit ${stopMs} ms after cancel: sending SIGTERM`);
        child.kill('SIGTERM');
        run.timers.push(
          setTimeout(() => {
            if (run.child !== child) return;
            this.log.warn(`[${run.name}] still alive ${killMs} ms after SIGTERM: killing`);
            run.killedAfterTimeout = true;
            child.kill('SIGKILL');
          }, killMs),
        );
      }, stopMs),
    );
  }

  /** Removes a run that is not active, and its folder. */
  async delete(runId: string): Promise<void> {
    const run = this.runsById.get(resolve(runId));
    if (!run) return deleteRunFolder(resolve(runId));
    if (ACTIVE_STATES.has(run.state)) throw new Error(`${run.name} is ${run.state}; stop it before deleting it.`);
    await deleteRunFolder(run.id);
    this.runsById.delete(run.id);
    run.emitter?.dispose();
    this.changes.fire({ kind: 'removed', run: this.info(run) });
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
    for (const run of this.runsById.values()) {
      const child = run.child;
      if (!child) continue;
      run.stopRequested = true;
      this.sendCancel(run);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.killTimeoutMs ?? DEFAULTS.killTimeoutMs);
      // Do not keep a closing host alive only for this timer.
      timer.unref();
    }
    this.changes.dispose();
    this.allEvents.dispose();
  }

  /** Disposes and waits until every runtime process has exited (or `timeoutMs` passed). */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    const exits = [...this.runsById.values()].flatMap((r) => (r.exited ? [r.exited] : []));
    this.dispose();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exits), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  // ---- internals ----

  private enqueue(run: Run): void {
    run.state = 'queued';
    this.queue.push(run);
    this.touch(run, 'added');
    this.pump();
    this.fireQueuePositions();
  }

  private pump(): void {
    if (this.disposed) return;
    let busy = [...this.runsById.values()].filter((r) => r.child).length;
    while (busy < this.maxConcurrent && this.queue.length > 0) {
      this.launch(this.queue.shift() as Run);
      busy++;
    }
  }

  private fireQueuePositions(): void {
    for (const run of this.queue) this.changes.fire({ kind: 'updated', run: this.info(run) });
  }

  private launch(run: Run): void {
    const file = run.resume ? this.resumeFile(run) : (run.file as string);
    const args = ['search', file, '--out', run.id, '--json'];
    if (run.resume) args.push('--resume');
    if (run.backend && run.backend !== 'auto') args.push('--backend', run.backend);
    if (run.seed !== undefined && !run.resume) args.push('--seed', String(run.seed));
    if (run.threads !== undefined && run.threads > 1) args.push('--threads', String(run.threads));
    const electron = this.options.electron ?? process.versions.electron !== undefined;
    const env: Record<string, string | undefined> = { ...process.env, ...this.options.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    if (electron) env.ELECTRON_RUN_AS_NODE = '1';
    this.log.info(`[${run.name}] starting: ${this.options.cliPath} ${args.join(' ')}`);

    let child: ChildProcess;
    try {
      child = fork(this.options.cliPath, args, {
        execPath: this.options.execPath ?? process.execPath,
        execArgv: [...(this.options.execArgv ?? [])],
        cwd: dirname(file),
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
      });
    } catch (error) {
      this.finish(run, undefined, null, `Could not start the search runtime: ${errorText(error)}`, []);
      return;
    }
    run.child = child;
    run.pid = child.pid;
    run.channel = undefined;
    run.state = 'running';
    run.summary.terminal = undefined;
    run.metaWritten = false;
    this.touch(run);

    const stdout = new LineSplitter();
    const stderr = new TailBuffer(this.options.stderrTailLines ?? DEFAULTS.stderrTailLines);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      for (const line of stdout.push(chunk)) this.handleLine(run, line);
    });
    child.stderr?.on('data', (chunk: string) => {
      for (const line of stderr.push(chunk)) if (line.trim()) this.log.debug(`[${run.name}] ${line}`);
    });
    child.on('message', (message: unknown) => this.handleMessage(run, message));
    child.on('disconnect', () => this.log.debug(`[${run.name}] IPC channel closed`));

    let done = false;
    run.exited = new Promise<void>((resolveExit) => {
      child.on('error', (error) => {
        // Spawn failures (bad execPath) come here without a 'close'; later errors (e.g. a send
        // to an exited child) are only logged because 'close' will finish the run.
        this.log.error(`[${run.name}] runtime process error: ${errorText(error)}`);
        if (child.pid === undefined && !done) {
          done = true;
          this.finish(run, undefined, null, `Could not start the search runtime: ${errorText(error)}`, stderr.tail);
          resolveExit();
        }
      });
      // Settle once the process has exited AND both pipes are drained (so no event line is lost).
      // Not the 'close' event: Node 20 never emits it after the parent disconnected the IPC channel.
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let openPipes = [child.stdout, child.stderr].filter((p) => p !== null).length;
      const settle = () => {
        if (done || !exit || openPipes > 0) return;
        done = true;
        const last = stdout.end();
        if (last !== undefined) this.handleLine(run, last);
        stderr.end();
        if (stdout.overflowed) this.log.warn(`[${run.name}] dropped ${stdout.overflowed} characters of an over-long stdout line`);
        this.finish(run, exit.code, exit.signal, undefined, stderr.tail);
        resolveExit();
      };
      for (const pipe of [child.stdout, child.stderr]) {
        pipe?.on('close', () => {
          openPipes--;
          settle();
        });
      }
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        settle();
      });
    });
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

  private sendCancel(run: Run): boolean {
    const child = run.child;
    if (!child?.connected) return false;
    const command: RunnerCommand = { type: 'cancel' };
    try {
      child.send(command);
      return true;
    } catch (error) {
      this.log.warn(`[${run.name}] could not send cancel: ${errorText(error)}`);
      return false;
    }
  }

  /**
   * A stdout line. The runtime sends each event twice when it has IPC and `--json` (as a message
   * and as a line): the channel that delivers the first valid event is used for the whole run and
   * the other is ignored, so nothing is seen twice and a runtime with only one channel still works.
   */
  private handleLine(run: Run, line: string): void {
    if (line.trim() === '' || run.channel === 'ipc') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    this.accept(run, 'stdout', value, line);
  }

  /** An IPC message: an event (see `handleLine` for the channel choice) or something to drop. */
  private handleMessage(run: Run, message: unknown): void {
    if (run.channel === 'stdout') return;
    this.accept(run, 'ipc', message, undefined);
  }

  private accept(run: Run, channel: 'ipc' | 'stdout', value: unknown, raw: string | undefined): void {
    const event = parseRunEvent(value);
    if (!event) {
      run.dropped++;
      const shown = (raw ?? JSON.stringify(value) ?? String(value)).slice(0, 300);
      if (run.dropped <= INVALID_LOGGED) this.log.warn(`[${run.name}] dropped an invalid ${channel} message from the runtime: ${shown}`);
      else if (run.dropped === INVALID_LOGGED + 1) this.log.warn(`[${run.name}] more invalid messages; only counting them from now on`);
      return;
    }
    if (!run.channel) {
      run.channel = channel;
      this.log.debug(`[${run.name}] reading events from ${channel}`);
    }
    this.deliver(run, event);
  }

  private deliver(run: Run, event: RunEvent): void {
    if (!run.metaWritten) this.saveMeta(run);
    (run.events ??= []).push(event);
    applyEvent(run.summary, event);
    run.updatedAt = Date.now();
    if (event.type === 'failed') this.log.error(`[${run.name}] failed: ${event.message}`);
    else if (event.type === 'warning') this.log.warn(`[${run.name}] ${event.message}`);
    else if (event.type !== 'step' && event.type !== 'alphas' && event.type !== 'pruned') this.log.info(`[${run.name}] ${event.type}${'epoch' in event ? ` (epoch ${event.epoch})` : ''}`);
    if (TERMINAL_EVENTS.has(event.type) && run.child?.connected) {
      // Nothing more to send: closing the IPC channel lets a runtime that still listens for
      // commands exit on its own instead of waiting forever.
      run.child.disconnect();
    }
    run.emitter?.fire(event);
    if (this.allEvents.size > 0) this.allEvents.fire({ run: this.info(run), event });
  }

  /** Settles a run after its process ended: the state, a failure with the stderr tail, the next queued run. */
  private finish(run: Run, code: number | null | undefined, signal: NodeJS.Signals | null, startError: string | undefined, stderrTail: string[]): void {
    for (const t of run.timers.splice(0)) clearTimeout(t);
    run.child = undefined;
    const terminal = run.summary.terminal;
    const exit = signal ? `signal ${signal}` : `exit code ${code}`;
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
        const note = run.killedAfterTimeout
          ? 'The runtime did not stop in time and was killed; resume continues from the last epoch checkpoint.'
          : undefined;
        synthetic = makeEvent<CancelledEvent>({ type: 'cancelled', epoch: run.summary.epoch ?? 0 });
        if (note) this.log.warn(`[${run.name}] ${note}`);
      }
    } else if (terminal === 'failed') {
      run.state = 'failed';
      run.failure = { message: run.summary.message ?? 'The search failed.', stderrTail, exitCode: code, signal };
    } else {
      run.state = 'failed';
      const message = exitMessage(code, exit);
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
    this.log.info(`[${run.name}] ${run.state} (${exit})${run.dropped ? `, ${run.dropped} invalid messages dropped` : ''}`);
    run.resume = false;
    this.touch(run);
    this.pump();
    this.fireQueuePositions();
  }

  private touch(run: Run, kind: RunChange['kind'] = 'updated'): void {
    run.updatedAt = Date.now();
    if (!this.disposed) this.changes.fire({ kind, run: this.info(run) });
  }

  private saveMeta(run: Run): void {
    run.metaWritten = true;
    writeMeta(run.id, this.meta(run)).catch((e) => this.log.warn(`[${run.name}] could not write the run metadata: ${errorText(e)}`));
  }

  private meta(run: Run): RunMeta {
    return { file: run.file ?? '', name: run.name, createdAt: run.createdAt, pid: run.child?.pid, backend: run.backend, seed: run.seed };
  }

  private info(run: Run): RunInfo {
    const position = run.state === 'queued' ? this.queue.indexOf(run) : -1;
    return {
      id: run.id,
      dir: run.id,
      name: run.name,
      file: run.file || undefined,
      state: run.state,
      external: run.external,
      summary: run.summary,
      pid: run.child?.pid ?? run.pid,
      failure: run.failure,
      queuePosition: position >= 0 ? position : undefined,
      droppedMessages: run.dropped,
      updatedAt: run.updatedAt,
    };
  }
}

function newRun(id: string, name: string, createdAt: string): Run {
  return {
    id,
    name,
    state: 'queued',
    external: false,
    summary: emptySummary(),
    resume: false,
    stopRequested: false,
    killedAfterTimeout: false,
    timers: [],
    dropped: 0,
    updatedAt: Date.now(),
    createdAt,
  };
}

/**
 * What an exit without a terminal event means (contract section 5: 1 failed, 2 usage or I/O error,
 * for example an invalid space or a run folder it will not use).
 */
export function exitMessage(code: number | null | undefined, exit: string): string {
  if (code === 0) return 'The search runtime exited without a result (no finished event).';
  if (code === 1) return `The search could not run (${exit}).`;
  if (code === 2) return `The search runtime refused the command (${exit}).`;
  return `The search runtime stopped unexpectedly (${exit}).`;
}

/**
 * The stderr line that best explains a failure: the runtime's own `bnas search: …` message, else
 * the last line that names an error, else the last line.
 */
export function failureCause(stderrTail: readonly string[]): string | undefined {
  const line =
    stderrTail.findLast((l) => l.startsWith('bnas ')) ??
    stderrTail.findLast((l) => /error|exception|fatal|abort/i.test(l)) ??
    stderrTail.at(-1);
  return line?.trim();
}

function clampConcurrency(n: number): number {
  return Number.isFinite(n) ? Math.max(1, Math.min(16, Math.floor(n))) : 1;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
