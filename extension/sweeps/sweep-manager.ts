/**
 * The sweeps of the workspace: sweep folders found in the runs folders (a folder holding
 * `sweep.json`), and the `bnas sweep` processes this window starts. One process per sweep, the
 * CLI runs the trials itself (docs/design.md, the CLI contract): the extension only starts it with
 * `--json`, reads its events from stdout, re-reads `sweep.json` as trials move on, and stops it
 * with SIGINT (the CLI checkpoints every running trial and exits 130). Resuming is running the
 * same command again, built from the options `sweep.json` stores. Plain Node (no `vscode`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { TrialProgress } from '../../runtime/protocol/sweep-view.js';
import { parseSweepEvent, parseSweepFile, type SweepEvent, type SweepFile } from '../../runtime/sweep/schema.js';
import { resumeRequest, sweepArgs, type SweepRequest } from '../commands/sweep-args.js';
import { Emitter, type Disposable, type Listener } from '../runs/emitter.js';
import { LineSplitter, TailBuffer } from '../runs/line-splitter.js';
import type { RunLog } from '../runs/runtime-process.js';

/** The file that makes a folder a sweep folder. */
export const SWEEP_FILE = 'sweep.json';

/** One sweep as views show it; `dir` (absolute) is its id. */
export interface SweepInfo {
  readonly dir: string;
  readonly name: string;
  /** The parsed `sweep.json`; undefined until the CLI has written it. */
  readonly sweep?: SweepFile;
  /** A `bnas sweep` process of this window works on it now. */
  readonly running: boolean;
  /** Why the last process of this window ended badly (exit code and the stderr line that explains it). */
  readonly failure?: string;
  /** The last finished epoch of each trial running in a process of this window, by trial id. */
  readonly progress?: Readonly<Record<string, TrialProgress>>;
}

export interface SweepManagerOptions {
  /** The bundled command line (`dist/cli.cjs`) or, in tests, a fake speaking the same protocol. */
  readonly cliPath: string;
  readonly execPath?: string;
  /** Run the child as plain Node inside an Electron host (`ELECTRON_RUN_AS_NODE=1`). */
  readonly electron?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log: RunLog;
}

interface Sweep {
  dir: string;
  sweep?: SweepFile;
  child?: ChildProcess;
  failure?: string;
  progress?: Map<string, TrialProgress>;
  reading?: Promise<void>;
  again?: boolean;
}

export class SweepManager implements Disposable {
  private readonly byDir = new Map<string, Sweep>();
  private readonly changes = new Emitter<SweepInfo>();
  private readonly events = new Map<string, Emitter<SweepEvent>>();

  /** Fires when a sweep is added, removed or its `sweep.json` or process changed. */
  readonly onDidChange = (l: Listener<SweepInfo>) => this.changes.event(l);

  constructor(private readonly options: SweepManagerOptions) {}

  /** Every known sweep, newest first. */
  sweeps(): SweepInfo[] {
    return [...this.byDir.values()].sort((a, b) => (b.sweep?.created ?? '').localeCompare(a.sweep?.created ?? '') || b.dir.localeCompare(a.dir)).map((s) => this.info(s));
  }

  get(dir: string): SweepInfo | undefined {
    const s = this.byDir.get(resolve(dir));
    return s && this.info(s);
  }

  /** The sweep whose `trials/` folder holds the run folder `runDir`, if any. */
  sweepOfRun(runDir: string): SweepInfo | undefined {
    const dir = resolve(runDir, '..', '..');
    return basename(resolve(runDir, '..')) === 'trials' ? this.get(dir) : undefined;
  }

  /** Subscribes to the live events of one sweep (those of processes this window runs). */
  onEvent(dir: string, listener: Listener<SweepEvent>): Disposable {
    const key = resolve(dir);
    let e = this.events.get(key);
    if (!e) this.events.set(key, (e = new Emitter<SweepEvent>()));
    return e.event(listener);
  }

  private info(s: Sweep): SweepInfo {
    return { dir: s.dir, name: basename(s.dir), sweep: s.sweep, running: s.child !== undefined, failure: s.failure, progress: Object.fromEntries(s.progress ?? []) };
  }

  /** Finds the sweep folders directly under each runs folder; sweeps gone from disk are dropped. */
  async load(runsFolders: readonly string[]): Promise<void> {
    const seen = new Set<string>();
    for (const root of runsFolders) {
      let names: string[];
      try {
        names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
      } catch {
        continue; // no runs folder yet
      }
      for (const name of names) {
        const dir = resolve(root, name);
        const sweep = await readSweep(dir);
        if (!sweep) continue;
        seen.add(dir);
        const known = this.byDir.get(dir);
        if (known) {
          known.sweep = sweep;
          this.changes.fire(this.info(known));
        } else {
          const s: Sweep = { dir, sweep };
          this.byDir.set(dir, s);
          this.changes.fire(this.info(s));
        }
      }
    }
    const roots = new Set(runsFolders.map((f) => resolve(f)));
    for (const [dir, s] of this.byDir) {
      if (seen.has(dir) || s.child || !roots.has(resolve(dir, '..'))) continue;
      this.byDir.delete(dir);
      this.changes.fire({ ...this.info(s), sweep: undefined });
    }
  }

  /** Re-reads `sweep.json` of sweeps another process runs (the CLI in a terminal); call it periodically. */
  async followOutside(): Promise<void> {
    for (const s of this.byDir.values()) if (!s.child && s.sweep?.state === 'running') await this.reread(s);
  }

  /** True when some sweep on disk says it is running and no process of this window runs it. */
  hasOutsideSweeps(): boolean {
    return [...this.byDir.values()].some((s) => !s.child && s.sweep?.state === 'running');
  }

  /** Starts `bnas sweep` for the request (a new folder, or an existing one to continue it). */
  async start(request: SweepRequest): Promise<SweepInfo> {
    const dir = resolve(request.out);
    const existing = this.byDir.get(dir);
    if (existing?.child) throw new Error(`the sweep ${basename(dir)} is already running`);
    await mkdir(dir, { recursive: true });
    const s: Sweep = existing ?? { dir };
    s.failure = undefined;
    this.byDir.set(dir, s);
    const args = [this.options.cliPath, ...sweepArgs({ ...request, out: dir })];
    const env: Record<string, string | undefined> = { ...process.env, ...this.options.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    if (this.options.electron ?? process.versions.electron !== undefined) env.ELECTRON_RUN_AS_NODE = '1';
    const log = this.options.log;
    log.info(`[sweep ${basename(dir)}] starting: ${args.join(' ')}`);
    const child = spawn(this.options.execPath ?? process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    s.child = child;
    const stdout = new LineSplitter();
    const stderr = new TailBuffer(30);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      for (const line of stdout.push(chunk)) this.line(s, line);
    });
    child.stderr?.on('data', (chunk: string) => {
      for (const line of stderr.push(chunk)) if (line.trim()) log.debug(`[sweep ${basename(dir)}] ${line}`);
    });
    child.on('error', (e) => {
      log.error(`[sweep ${basename(dir)}] could not start: ${e.message}`);
      s.failure = `could not start bnas sweep: ${e.message}`;
    });
    child.on('close', (code, signal) => {
      const rest = stdout.end();
      if (rest) this.line(s, rest);
      stderr.end();
      s.child = undefined;
      s.progress?.clear();
      log.info(`[sweep ${basename(dir)}] exited (${signal ?? code})`);
      // 0 all finished, 1 some trials failed (each says why in sweep.json), 130 cancelled.
      if (code !== 0 && code !== 1 && code !== 130 && !s.failure) {
        const cause = stderr.tail.findLast((l) => l.startsWith('bnas ')) ?? stderr.tail.at(-1);
        s.failure = `bnas sweep exited with ${signal ?? code}${cause ? `: ${cause.trim()}` : ''}`;
      }
      void this.reread(s);
    });
    this.changes.fire(this.info(s));
    return this.info(s);
  }

  /** Continues a sweep: the same command again, from the options its `sweep.json` stores. */
  async resume(dir: string): Promise<SweepInfo> {
    const sweep = await readSweep(resolve(dir));
    if (!sweep) throw new Error(`${dir} holds no readable ${SWEEP_FILE}`);
    return this.start(resumeRequest(sweep, resolve(dir)));
  }

  /**
   * Cancels a sweep this window runs: SIGINT, as Ctrl-C in a terminal (every running trial
   * checkpoints, so a resume loses nothing). A second cancel sends SIGTERM, which the CLI treats
   * the same, for a process that missed the first.
   * @returns false when no process of this window runs it.
   */
  cancel(dir: string): boolean {
    const s = this.byDir.get(resolve(dir));
    const child = s?.child;
    if (!s || !child) return false;
    const signal = (child as ChildProcess & { bnasCancelled?: boolean }).bnasCancelled ? 'SIGTERM' : 'SIGINT';
    (child as ChildProcess & { bnasCancelled?: boolean }).bnasCancelled = true;
    this.options.log.info(`[sweep ${basename(s.dir)}] cancel: ${signal}`);
    child.kill(signal);
    return true;
  }

  private line(s: Sweep, line: string): void {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.options.log.debug(`[sweep ${basename(s.dir)}] ${line}`);
      return;
    }
    const event = parseSweepEvent(raw);
    if (!event) {
      this.options.log.warn(`[sweep ${basename(s.dir)}] ignored a line that is no sweep event: ${line.slice(0, 200)}`);
      return;
    }
    this.events.get(s.dir)?.fire(event);
    if (event.type === 'trial-progress') {
      // Not in sweep.json (an epoch is no change of state): kept here while the trial runs.
      (s.progress ??= new Map()).set(event.trial, { epoch: event.epoch, epochs: event.epochs, valid_acc: event.valid_acc });
      this.changes.fire(this.info(s));
      return;
    }
    if (event.type === 'trial-finished' || event.type === 'trial-failed' || event.type === 'trial-cancelled') s.progress?.delete(event.trial);
    // The CLI rewrites sweep.json before it reports a change: re-read it for the whole picture.
    void this.reread(s);
  }

  /**
   * Re-reads `sweep.json`, one read at a time (a read asked for meanwhile runs once after). Each
   * read that finds the file is reported, so listeners see every state the file passed through.
   */
  private reread(s: Sweep): Promise<void> {
    if (s.reading) {
      s.again = true;
      return s.reading;
    }
    s.reading = (async () => {
      do {
        s.again = false;
        const sweep = await readSweep(s.dir);
        if (sweep) {
          s.sweep = sweep;
          if (s.again) this.changes.fire(this.info(s));
        }
      } while (s.again);
      s.reading = undefined;
      this.changes.fire(this.info(s));
    })();
    return s.reading;
  }

  /** Stops every sweep this window runs (the window closes): each checkpoints its trials. */
  dispose(): void {
    for (const s of this.byDir.values()) s.child?.kill('SIGINT');
    this.changes.dispose();
    for (const e of this.events.values()) e.dispose();
  }
}

/** `DIR/sweep.json` parsed, or undefined (absent, torn, or not a sweep file of this format). */
export async function readSweep(dir: string): Promise<SweepFile | undefined> {
  try {
    return parseSweepFile(JSON.parse(await readFile(join(dir, SWEEP_FILE), 'utf8')));
  } catch {
    return undefined; // not a sweep folder, or written right now: the next read sees it
  }
}
