/**
 * What every benchmark record carries besides its numbers, so a reader can tell how it was made
 * and make it again: the command line, the commit, the versions and the machine's load.
 *
 * A bench script writes its record with {@link writeRecord}; `bench/run-all.ts` stamps the same
 * block into records written by scripts that do not (yet) call it ({@link stampRecord}).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { join, relative } from 'node:path';

/** The 1-, 5- and 15-minute load averages now, as `uptime` prints them ("0.37 1.60 3.91"). */
export function loadAverage(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** The repository root (this file is in `bench/`). */
export const ROOT = join(import.meta.dirname, '..');

/** How, where and from what a record was made. */
export interface Provenance {
  /** The command line, runnable from the repository root. */
  readonly command: string;
  /** `git rev-parse HEAD`, or `unknown` outside a checkout. */
  readonly commit: string;
  /** Whether tracked files differed from the commit. */
  readonly dirty: boolean;
  /** ISO 8601 time the record was written. */
  readonly date: string;
  readonly versions: {
    readonly node: string;
    readonly tfjs?: string;
    readonly tfjsWasm?: string;
    readonly tfjsNode?: string;
    /** The TensorFlow.js backend the numbers were measured on, where the script knows it. */
    readonly backend?: string;
  };
  readonly machine: {
    readonly platform: string;
    readonly cpu: string;
    readonly cores: number;
    /** 1, 5 and 15 minute load averages when the record was written. */
    readonly loadavg: readonly number[];
  };
}

function git(...args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The version of an installed package, or undefined when it is not installed. */
function installed(name: string): string | undefined {
  const file = join(ROOT, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

/** This process's command line as one would type it at the repository root. */
export function currentCommand(): string {
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) || process.argv[1] : '';
  return ['node', ...process.execArgv, script, ...process.argv.slice(2)].filter((x) => x !== '').map(quote).join(' ');
}

/** Quotes an argument for a POSIX shell when it needs it. */
export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commit the process started from, read when this module loads: a long run writes its record
 * after other commits may have landed, and its numbers are the starting commit's.
 */
const START = { commit: git('rev-parse', 'HEAD') ?? 'unknown', dirty: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '' };

/**
 * The provenance of a record made now.
 * @param command the command line (default: this process's)
 * @param backend the backend the numbers were measured on, when there is one
 */
export function provenance(command = currentCommand(), backend?: string): Provenance {
  const cpu = cpus();
  return {
    command,
    commit: START.commit,
    dirty: START.dirty,
    date: new Date().toISOString(),
    versions: {
      node: process.version,
      tfjs: installed('@tensorflow/tfjs'),
      tfjsWasm: installed('@tensorflow/tfjs-backend-wasm'),
      tfjsNode: installed('@tensorflow/tfjs-node'),
      backend,
    },
    machine: { platform: platform(), cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
  };
}

/** Writes `data` as a JSON record with its provenance first. */
export function writeRecord(file: string, data: object, options: { command?: string; backend?: string } = {}): void {
  writeFileSync(file, JSON.stringify({ provenance: provenance(options.command, options.backend), ...data }, null, 2) + '\n');
}

/**
 * Adds a provenance block to a record another script wrote (replacing an older one), for scripts
 * that do not call {@link writeRecord} themselves.
 */
export function stampRecord(file: string, command: string, backend?: string): void {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const { provenance: _old, ...rest } = data;
  writeRecord(file, rest, { command, backend });
}
