/**
 * Run folders on disk (docs/design.md, "The run folder"): naming, the launch metadata the extension adds, and
 * reading a run back (events, result, derived state). Plain Node: no `vscode`.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RUN_FILES, isGenotype, parseEventLines, type Genotype, type RunEvent } from '../../runtime/protocol/index.js';
import { summarize, type RunState, type RunSummary } from './run-summary.js';

/** Launch metadata (an extension-side addition to the run folder; the runtime ignores it). */
export interface RunMeta {
  /** Absolute path of the `.bnas` file the run was started from. */
  readonly file: string;
  readonly name: string;
  readonly createdAt: string;
  /** Process id of the latest runtime process (to tell a live run of another window from a dead one). */
  readonly pid?: number;
  readonly backend?: string;
  readonly seed?: number;
}

/** Parsed `result.json`: only the parts the extension reads; the rest is kept as is. */
export interface RunResult {
  readonly genotype?: Genotype;
  readonly raw: Record<string, unknown>;
}

/** A run as found on disk. */
export interface RunOnDisk {
  readonly dir: string;
  readonly name: string;
  readonly meta?: RunMeta;
  readonly summary: RunSummary;
  readonly result?: RunResult;
  readonly state: RunState;
  /** The run is alive in another process that this window does not own. */
  readonly external: boolean;
  /** Lines of `events.jsonl` that were not valid events (a torn last line after a kill, or garbage). */
  readonly invalidLines: number;
  /** Modification time of the folder's newest known file, for ordering. */
  readonly mtimeMs: number;
}

/** Turns a search-space name into a safe folder-name part (`My net/v2` → `my-net-v2`). */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return slug || 'search';
}

/** `2026-11-25T20:31:07.123Z` → `20261125-203107` (local time: it is what the user sees in the tree). */
export function timeStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * Picks a fresh folder `<root>/<name>-<time>` (with `-2`, `-3`… when two runs start in the same
 * second) and creates it, so two concurrent starts can never share a folder.
 */
export async function createRunFolder(root: string, spaceName: string, now: Date): Promise<string> {
  await mkdir(root, { recursive: true });
  const base = `${slugify(spaceName)}-${timeStamp(now)}`;
  for (let i = 1; ; i++) {
    const dir = join(root, i === 1 ? base : `${base}-${i}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * The space name after `search` in a `.bnas` text, without running the language (activation must
 * stay light). Falls back to undefined when the header is malformed; validation reports that.
 */
export function spaceNameOf(text: string): string | undefined {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(#|\/\/).*$/gm, '');
  const m = /\bsearch\s+(?:"((?:[^"\\]|\\.)*)"|([A-Za-z][\w-]*))/.exec(withoutComments);
  return m ? (m[1] ?? m[2]) : undefined;
}

export async function writeMeta(dir: string, meta: RunMeta): Promise<void> {
  await writeFile(join(dir, RUN_FILES.meta), JSON.stringify(meta, null, 2) + '\n');
}

export async function readMeta(dir: string): Promise<RunMeta | undefined> {
  try {
    const o = JSON.parse(await readFile(join(dir, RUN_FILES.meta), 'utf8')) as Partial<RunMeta>;
    return typeof o.file === 'string' && typeof o.name === 'string' && typeof o.createdAt === 'string'
      ? (o as RunMeta)
      : undefined;
  } catch {
    // Missing or unreadable metadata: the run was made by the command line, not by the extension.
    return undefined;
  }
}

/**
 * Reads the validated events of a run folder (`events.jsonl`), oldest first. A missing file gives
 * no events. This is how views read a finished run.
 */
export async function readRunEvents(dir: string): Promise<RunEvent[]> {
  return (await readEventsFile(dir)).events;
}

async function readEventsFile(dir: string): Promise<{ events: RunEvent[]; invalid: number }> {
  let text: string;
  try {
    text = await readFile(join(dir, RUN_FILES.events), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], invalid: 0 };
    throw error;
  }
  return parseEventLines(text);
}

export async function readResult(dir: string): Promise<RunResult | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, RUN_FILES.result), 'utf8'));
  } catch {
    // No result (run not ended) or a torn write: the events still tell the state.
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  return { genotype: isGenotype(o.genotype) ? o.genotype : undefined, raw: o };
}

/** True when a process with this id exists (signal 0 only checks). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Derives a run's state from what is on disk: the terminal event when there is one; a
 * `result.json` without one counts as finished; no ending and a live recorded pid means another
 * window runs it; otherwise the run was interrupted.
 */
export function stateFromDisk(summary: RunSummary, hasResult: boolean, pidAlive: boolean): { state: RunState; external: boolean } {
  if (summary.terminal) return { state: summary.terminal, external: false };
  if (hasResult) return { state: 'finished', external: false };
  if (pidAlive) return { state: 'running', external: true };
  return { state: 'interrupted', external: false };
}

/**
 * What reading a run folder's files gave, kept between history loads while the files are
 * unchanged. The summary, not the events: a workspace may hold hundreds of long runs.
 */
interface FolderFiles {
  readonly summary: RunSummary;
  readonly invalid: number;
  readonly meta?: RunMeta;
  readonly result?: RunResult;
}

/**
 * Parsed run folders by path, reused while their files' sizes and times are unchanged: the
 * history is re-read whenever a run starts or ends, and parsing every old `events.jsonl` again
 * would cost the extension host time for nothing.
 */
export type RunFolderCache = Map<string, { readonly key: string; readonly files: FolderFiles }>;

/** Reads one run folder; undefined when the folder is not a run folder. */
export async function readRunFolder(
  dir: string,
  isAlive: (pid: number | undefined) => boolean = processAlive,
  cache?: RunFolderCache,
): Promise<RunOnDisk | undefined> {
  const stats = await Promise.all(
    [RUN_FILES.events, RUN_FILES.meta, RUN_FILES.result, RUN_FILES.space].map((f) =>
      stat(join(dir, f)).then(
        (st) => st,
        () => undefined, // missing file: not part of this run (yet)
      ),
    ),
  );
  if (stats.every((st) => st === undefined)) return undefined;
  const key = stats.map((st) => (st ? `${st.size}:${st.mtimeMs}` : '-')).join('|');
  let files = cache?.get(dir)?.key === key ? cache.get(dir)?.files : undefined;
  if (!files) {
    const [{ events, invalid }, meta, result] = await Promise.all([readEventsFile(dir), readMeta(dir), readResult(dir)]);
    const folded = summarize(events);
    if (!folded.genotype && result?.genotype) {
      folded.genotype = result.genotype;
      folded.final = true;
    }
    files = { summary: folded, invalid, meta, result };
    cache?.set(dir, { key, files });
  }
  const { invalid, meta, result } = files;
  // A copy: the manager folds later events of a followed run into its summary.
  const summary = structuredClone(files.summary);
  const { state, external } = stateFromDisk(summary, result !== undefined, isAlive(meta?.pid));
  const mtimeMs = Math.max(0, ...stats.slice(0, 3).map((st) => st?.mtimeMs ?? 0));
  return { dir, name: meta?.name ?? basename(dir), meta, summary, result, state, external, invalidLines: invalid, mtimeMs };
}

/** Reads every run folder directly under `root`, newest first. A missing root gives no runs. */
export async function readRunHistory(root: string, isAlive?: (pid: number | undefined) => boolean, cache?: RunFolderCache): Promise<RunOnDisk[]> {
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const runs = await Promise.all(names.map((n) => readRunFolder(join(root, n), isAlive, cache)));
  return runs.filter((r): r is RunOnDisk => r !== undefined).sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** Deletes a run folder (the caller confirms with the user first). */
export async function deleteRunFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
