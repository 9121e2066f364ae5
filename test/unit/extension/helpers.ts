/** Shared helpers of the run manager tests: temp folders, fake runs, waiting on manager events. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunManager, type RunInfo, type RunLog, type RunManagerOptions } from '../../../extension/runs/run-manager.js';
import type { RunState } from '../../../extension/runs/run-summary.js';

export const FAKE_RUNTIME = fileURLToPath(new URL('./fixtures/fake-runtime.mjs', import.meta.url));

export function tempDir(prefix = 'bnas-ext-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a `.bnas` file whose `# fake:` line tells the fake runtime what to do. */
export function fakeSpace(dir: string, name: string, behaviour: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.bnas`);
  writeFileSync(file, `# fake: ${JSON.stringify(behaviour)}\nsearch "${name}" {\n  train { epochs = 2 }\n}\n`);
  return file;
}

/** A log that remembers what was written (tests assert on warnings). */
export class MemoryLog implements RunLog {
  readonly lines: string[] = [];
  info = (m: string) => void this.lines.push(`info ${m}`);
  warn = (m: string) => void this.lines.push(`warn ${m}`);
  error = (m: string) => void this.lines.push(`error ${m}`);
  debug = (m: string) => void this.lines.push(`debug ${m}`);
}

export function makeManager(opts: Partial<RunManagerOptions> = {}): { manager: RunManager; log: MemoryLog } {
  const log = new MemoryLog();
  const manager = new RunManager({ cliPath: FAKE_RUNTIME, log, stopTimeoutMs: 5_000, killTimeoutMs: 2_000, ...opts });
  return { manager, log };
}

/** Resolves when run `id` reaches one of `states` (checked now, then on each change); rejects after `ms`. */
export function waitForState(manager: RunManager, id: string, states: RunState[], ms = 15_000): Promise<RunInfo> {
  return new Promise((resolve, reject) => {
    const now = manager.get(id);
    if (now && states.includes(now.state)) return resolve(now);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`run ${id} did not reach ${states.join('/')} within ${ms} ms (now ${manager.get(id)?.state})`));
    }, ms);
    const sub = manager.onDidChangeRuns((change) => {
      if (change.run.id === id && states.includes(change.run.state)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(change.run);
      }
    });
  });
}

/** Resolves on the first event of run `id` with this type. */
export function waitForEvent(manager: RunManager, id: string, type: string, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${type} event from ${id} within ${ms} ms`));
    }, ms);
    const sub = manager.onEvent(
      id,
      (e) => {
        if (e.type === type) {
          clearTimeout(timer);
          queueMicrotask(() => sub.dispose());
          resolve();
        }
      },
      { replay: true },
    );
  });
}
