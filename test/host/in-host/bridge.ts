// The in-host side of the harness protocol (see ../protocol.ts): send messages to the harness,
// ask it for UI actions and wait for its replies.
import { existsSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_ENV, MARKER, QUICK_PICK_CLOSED, type HostMessage, type UiReply, type UiRequest } from '../protocol.js';

/** Sends one message to the harness through the console. */
export function send(msg: HostMessage): void {
  console.log(MARKER + JSON.stringify(msg));
}

let nextId = 1;

type UiAction = UiRequest extends infer R ? (R extends UiRequest ? Omit<R, 'kind' | 'id'> : never) : never;

/**
 * Asks the harness to perform a UI action in the browser and resolves with its reply detail.
 * Rejects when the harness reports a failure or does not answer within the timeout.
 */
export async function ui(action: UiAction): Promise<string> {
  const dir = process.env[CONTROL_ENV];
  if (!dir) throw new Error(`${CONTROL_ENV} is not set: UI actions need the code-server harness (test/host/run.ts)`);
  const id = nextId++;
  const file = join(dir, `ui-${id}.json`);
  const timeoutMs = (action.timeoutMs ?? 30_000) + 15_000;
  send({ kind: 'ui', id, ...action } as UiRequest);
  const reply = await waitFor(() => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as UiReply) : undefined), {
    timeoutMs,
    what: `the harness to perform ${JSON.stringify(action)}`,
    watchDir: dir,
  });
  if (!reply.ok) throw new Error(`UI action failed: ${reply.detail}`);
  return reply.detail;
}

/**
 * Runs `command` from the palette, chooses `picks` in the quick picks it opens, in order, and then
 * runs `then` (a further step in the same quick input, such as accepting a save dialog). A quick
 * input that the workbench closed under the test (focus moved to a loading webview or a
 * notification) is opened again from the start, at most twice; a missing entry fails at once.
 */
export async function paletteThenPick<T>(command: string, picks: readonly string[], then?: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ui({ action: 'palette', label: command });
      for (const label of picks) await ui({ action: 'pick', label });
      return await then?.();
    } catch (e) {
      if (attempt >= 3 || !String(e).includes(QUICK_PICK_CLOSED)) throw e;
      send({ kind: 'note', text: `${command}: ${String(e)}; opening it again` });
      await ui({ action: 'key', key: 'Escape' });
    }
  }
}

/** Options of `waitFor`. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Described in the timeout error: "timed out after N ms waiting for WHAT". */
  readonly what: string;
  /** Re-check as soon as something changes in this folder (polling still runs as a fallback). */
  readonly watchDir?: string;
  readonly pollMs?: number;
}

/**
 * Resolves with the first non-undefined value of `probe`, re-checked on file changes in
 * `watchDir` and every `pollMs`; rejects with a clear message after `timeoutMs`. For conditions
 * that have no event of their own (files written by another process, UI state).
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, o: WaitOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let lastError: unknown;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let watcher: ReturnType<typeof watch> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      done = true;
      watcher?.close();
      clearTimeout(timer);
      fn();
    };
    const check = async () => {
      if (done) return;
      try {
        const v = await probe();
        if (v !== undefined && !done) return finish(() => resolve(v));
      } catch (e) {
        lastError = e;
      }
      if (done) return;
      if (Date.now() > deadline) {
        const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        return finish(() => reject(new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what}${why}`)));
      }
      clearTimeout(timer);
      timer = setTimeout(check, o.pollMs ?? 250);
    };
    if (o.watchDir && existsSync(o.watchDir)) {
      try {
        watcher = watch(o.watchDir, { recursive: false }, () => void check());
      } catch {
        watcher = undefined; // polling alone still works
      }
    }
    void check();
  });
}
