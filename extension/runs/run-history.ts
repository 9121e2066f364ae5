/**
 * Run history: the runs found on disk (finished, cancelled, from earlier sessions) and the runs
 * another process runs (the `bnas` command line in a terminal, another window), which are followed
 * by re-reading their `events.jsonl`. Runs this window is running are left to the supervisor.
 * Plain Node: no `vscode`.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RUN_FILES, type RunEvent } from '../../runtime/protocol/index.js';
import { processAlive, readRunEvents, readRunHistory, stateFromDisk, type RunFolderCache, type RunOnDisk } from './run-folder.js';
import { newRun, type Run, type RunStore } from './run-store.js';
import { applyEvent } from './run-summary.js';

export class RunHistory {
  private readonly folderCache: RunFolderCache = new Map();

  constructor(private readonly store: RunStore) {}

  /** True while this window runs `run` or has it queued: its state is the supervisor's. */
  private static supervised(run: Run | undefined): boolean {
    return run !== undefined && (run.process !== undefined || run.state === 'queued');
  }

  /**
   * All events of a run, oldest first: from memory for runs this window ran or resumed, else read
   * from the run folder's `events.jsonl` (a finished run, or one from an earlier session).
   */
  async readEvents(runId: string): Promise<RunEvent[]> {
    const run = this.store.byId.get(resolve(runId));
    if (run?.events) return [...run.events];
    return readRunEvents(resolve(runId));
  }

  /**
   * Loads run history from each runs folder (on start and on refresh). Runs this window is
   * running keep their live state; runs deleted on disk disappear.
   */
  async load(runsFolders: readonly string[]): Promise<void> {
    const found: RunOnDisk[] = [];
    for (const folder of runsFolders) found.push(...(await readRunHistory(resolve(folder), undefined, this.folderCache)));
    const seen = new Set<string>();
    for (const disk of found) {
      const id = resolve(disk.dir);
      seen.add(id);
      const known = this.store.byId.get(id);
      if (RunHistory.supervised(known)) continue;
      const run: Run = {
        ...(known ?? newRun(id, disk.name, disk.meta?.createdAt ?? new Date(disk.mtimeMs).toISOString())),
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
      this.store.byId.set(id, run);
      this.store.notify(run, known ? 'updated' : 'added');
    }
    for (const dir of this.folderCache.keys()) if (!seen.has(resolve(dir))) this.folderCache.delete(dir);
    const roots = new Set(runsFolders.map((f) => resolve(f)));
    for (const [id, run] of this.store.byId) {
      if (seen.has(id) || RunHistory.supervised(run) || !roots.has(dirname(id))) continue;
      this.store.byId.delete(id);
      this.store.notify(run, 'removed');
    }
  }

  /** True while some run found on disk is being run by another process. */
  hasExternalRuns(): boolean {
    return [...this.store.byId.values()].some((r) => r.external && r.state === 'running');
  }

  /**
   * Follows runs that another process runs: re-reads their `events.jsonl` and forwards the events
   * added since the last look, so views of such a run stay live; notices when it ends or its
   * process is gone. Call it periodically while `hasExternalRuns()`.
   */
  async followExternal(): Promise<void> {
    for (const run of [...this.store.byId.values()]) {
      if (!run.external || run.state !== 'running') continue;
      const events = await readRunEvents(run.id);
      const fresh = events.slice(run.summary.events);
      run.events = events;
      for (const e of fresh) {
        applyEvent(run.summary, e);
        this.store.emit(run, e);
      }
      const { state, external } = stateFromDisk(run.summary, existsSync(join(run.id, RUN_FILES.result)), processAlive(run.pid));
      if (fresh.length > 0 || state !== run.state) {
        run.state = state;
        run.external = external;
        this.store.touch(run);
      }
    }
  }
}
