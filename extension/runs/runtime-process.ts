/**
 * Supervision of one `bnas search` runtime process: fork with Node IPC, read its events, stop it
 * step by step, and report how it ended. Plain Node (no `vscode`), unit-tested against a fake
 * runtime that speaks the same protocol.
 *
 * Protocol (docs/design.md, the CLI contract): the child is `cli.cjs search FILE --out DIR --json`
 * forked with an IPC channel, and sends its events there (the same objects as `events.jsonl`);
 * with IPC present it writes none to stdout, so stdout and stderr are only logged. Stop is the IPC
 * message `{type: 'cancel'}` (the runtime writes a checkpoint, emits `cancelled`, exits 130), then
 * SIGTERM, then SIGKILL when the runtime does not stop in time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { checkRunEvent, type RunEvent, type RunnerCommand } from '../../runtime/protocol/index.js';
import { LineSplitter, TailBuffer } from './line-splitter.js';

/** The log the run manager writes to; a VS Code `LogOutputChannel` fits this shape. */
export interface RunLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

/** How to start the runtime: the parts of the manager's options a process needs. */
export interface LaunchOptions {
  /** The bundled command line (`dist/cli.cjs`) or, in tests, a fake runtime speaking the same protocol. */
  readonly cliPath: string;
  /** Node binary; in an Electron host this is the host binary run with `ELECTRON_RUN_AS_NODE=1`. */
  readonly execPath?: string;
  /** Set `ELECTRON_RUN_AS_NODE=1` for the child; defaults to "the current process is Electron". */
  readonly electron?: boolean;
  readonly execArgv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Lines of stderr kept to explain a crash. */
  readonly stderrTailLines?: number;
}

/** How a runtime process ended. */
export interface ProcessExit {
  readonly code: number | null | undefined;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  readonly startError?: string;
  /** The last lines of stderr, to explain a crash. */
  readonly stderrTail: string[];
  /** The process ignored cancel and SIGTERM and was killed. */
  readonly killedAfterTimeout: boolean;
}

/** What the process reports to its owner. */
export interface ProcessHandlers {
  /** A validated event, in arrival order. */
  onEvent(event: RunEvent): void;
  /** A message that is not an event; `reason` says why. */
  onInvalid(reason: string, message: unknown): void;
  /** The process has exited and its pipes are drained; called once. */
  onExit(exit: ProcessExit): void;
}

const STDERR_TAIL_LINES = 30;

/** One runtime child process. */
export class RuntimeProcess {
  private child: ChildProcess | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private killed = false;
  /** Settles when the process has ended (or could not start). */
  readonly exited: Promise<void>;

  /**
   * Forks the runtime with `args` in `cwd`. A failure to start is reported through `onExit` with
   * `startError`, never thrown.
   * @param name prefixes every log line of this process.
   */
  constructor(options: LaunchOptions, args: readonly string[], cwd: string, private readonly name: string, private readonly log: RunLog, private readonly handlers: ProcessHandlers) {
    const electron = options.electron ?? process.versions.electron !== undefined;
    const env: Record<string, string | undefined> = { ...process.env, ...options.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    if (electron) env.ELECTRON_RUN_AS_NODE = '1';
    log.info(`[${name}] starting: ${options.cliPath} ${args.join(' ')}`);
    const stderr = new TailBuffer(options.stderrTailLines ?? STDERR_TAIL_LINES);
    let child: ChildProcess;
    try {
      child = fork(options.cliPath, [...args], {
        execPath: options.execPath ?? process.execPath,
        execArgv: [...(options.execArgv ?? [])],
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
      });
    } catch (error) {
      this.exited = Promise.resolve();
      queueMicrotask(() => this.end({ code: undefined, signal: null, startError: `Could not start the search runtime: ${errorText(error)}`, stderrTail: [] }));
      return;
    }
    this.child = child;
    this.exited = this.supervise(child, stderr);
  }

  /** Process id, while the process runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private supervise(child: ChildProcess, stderr: TailBuffer): Promise<void> {
    // With IPC the runtime sends no events to stdout: whatever it prints there is logged.
    const stdout = new LineSplitter();
    const logLines = (lines: readonly string[]) => {
      for (const line of lines) if (line.trim()) this.log.debug(`[${this.name}] ${line}`);
    };
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => logLines(stdout.push(chunk)));
    child.stderr?.on('data', (chunk: string) => logLines(stderr.push(chunk)));
    child.on('message', (message: unknown) => {
      const checked = checkRunEvent(message);
      if (checked.ok) this.handlers.onEvent(checked.value);
      else this.handlers.onInvalid(checked.reason, message);
    });
    child.on('disconnect', () => this.log.debug(`[${this.name}] IPC channel closed`));

    return new Promise<void>((resolveExit) => {
      let done = false;
      child.on('error', (error) => {
        // Spawn failures (bad execPath) come here without an exit; later errors (e.g. a send
        // to an exited child) are only logged because the exit will end the run.
        this.log.error(`[${this.name}] runtime process error: ${errorText(error)}`);
        if (child.pid === undefined && !done) {
          done = true;
          this.end({ code: undefined, signal: null, startError: `Could not start the search runtime: ${errorText(error)}`, stderrTail: stderr.tail });
          resolveExit();
        }
      });
      // Settle once the process has exited AND both pipes are drained (so no output is lost).
      // Not the 'close' event: Node 20 never emits it after the parent disconnected the IPC channel.
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let openPipes = [child.stdout, child.stderr].filter((p) => p !== null).length;
      const settle = () => {
        if (done || !exit || openPipes > 0) return;
        done = true;
        logLines([stdout.end() ?? '']);
        stderr.end();
        this.end({ code: exit.code, signal: exit.signal, stderrTail: stderr.tail });
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

  private end(exit: Omit<ProcessExit, 'killedAfterTimeout'>): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
    this.child = undefined;
    this.handlers.onExit({ ...exit, killedAfterTimeout: this.killed });
  }

  /**
   * Nothing more to send after a terminal event: closing the IPC channel lets a runtime that still
   * listens for commands exit on its own instead of waiting forever.
   */
  closeChannel(): void {
    if (this.child?.connected) this.child.disconnect();
  }

  /**
   * Stops the process: the IPC cancel now, SIGTERM after `stopMs`, SIGKILL `killMs` after that.
   * @returns false when a stop was already under way or the process has ended.
   */
  stop(stopMs: number, killMs: number): boolean {
    const child = this.child;
    if (!child || this.stopping) return false;
    this.stopping = true;
    this.log.info(`[${this.name}] stop requested: sending cancel`);
    if (!this.sendCancel()) child.kill('SIGTERM');
    this.timers.push(
      setTimeout(() => {
        if (this.child !== child) return;
        this.log.warn(`[${this.name}] no exit ${stopMs} ms after cancel: sending SIGTERM`);
        child.kill('SIGTERM');
        this.timers.push(
          setTimeout(() => {
            if (this.child !== child) return;
            this.log.warn(`[${this.name}] still alive ${killMs} ms after SIGTERM: killing`);
            this.killed = true;
            child.kill('SIGKILL');
          }, killMs),
        );
      }, stopMs),
    );
    return true;
  }

  /**
   * Ends the process at once (the window is closing): cancel and SIGTERM now (the runtime
   * checkpoints on either), SIGKILL after `killMs`.
   */
  terminate(killMs: number): void {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    this.sendCancel();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    // Do not keep a closing host alive only for this timer.
    timer.unref();
  }

  private sendCancel(): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    const command: RunnerCommand = { type: 'cancel' };
    try {
      child.send(command);
      return true;
    } catch (error) {
      this.log.warn(`[${this.name}] could not send cancel: ${errorText(error)}`);
      return false;
    }
  }
}

/**
 * What an exit without a terminal event means (the CLI contract in docs/design.md: 1 failed,
 * 2 usage or I/O error, for example an invalid space or a run folder it will not use).
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

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
