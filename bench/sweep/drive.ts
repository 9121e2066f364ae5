/**
 * What the benchmarks that search share: they run their searches (and trainings) as `bnas sweep`
 * of the built command line (dist/cli.cjs), so trials run side by side with `--parallel`, on Slurm
 * with `--executor slurm`, and an interrupted benchmark continues its sweep folders when run
 * again with the same `--sweeps DIR`. The records are built from the folders' `sweep.json` and
 * run folders (README.md, the `bnas sweep` row).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { readSweepFile } from '../../runtime/sweep/state.js';
import type { SweepFile, Trial } from '../../runtime/sweep/schema.js';
import type { Setting } from '../../runtime/sweep/overrides.js';

export const CLI = resolve('dist/cli.cjs');

/** How the trials of a benchmark run: passed through to every `bnas sweep`. */
export interface SweepExecution {
  readonly backend: string;
  readonly threads: number;
  /** Trials at once; undefined: the sweep's default (cores and memory locally). */
  readonly parallel?: number;
  readonly executor: 'local' | 'slurm';
  readonly slurmArgs?: string;
}

/** Reads `--backend`, `--threads`, `--parallel`, `--executor` and `--slurm-args` of a benchmark's argv. */
export function executionOf(argv: readonly string[], defaults: { backend: string; threads: number; parallel?: number }): SweepExecution {
  const opt = (name: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined);
  const executor = opt('executor') ?? 'local';
  if (executor !== 'local' && executor !== 'slurm') throw new Error(`--executor must be local or slurm, got ${executor}`);
  const parallel = opt('parallel');
  return {
    backend: opt('backend') ?? defaults.backend,
    threads: Number(opt('threads') ?? defaults.threads),
    parallel: parallel === undefined ? defaults.parallel : Number(parallel),
    executor,
    slurmArgs: opt('slurm-args'),
  };
}

/** The `--seeds` text of consecutive seeds from `first`. */
export const seedRange = (first: number, n: number): string => (n === 1 ? String(first) : `${first}-${first + n - 1}`);

/** The command-line arguments of one `--set` per setting. */
export const setArgs = (settings: readonly Setting[]): string[] => settings.flatMap((s) => ['--set', `${s.key}=${s.value}`]);

/**
 * Runs `bnas sweep FILE --out DIR ARGS` (its progress on this process's stderr) and returns the
 * folder's `sweep.json`.
 * @throws when the sweep does not finish every trial (its summary names the failures)
 */
export function sweep(file: string, dir: string, args: readonly string[], x: SweepExecution): SweepFile {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const all = ['sweep', file, '--out', dir, ...args, '--backend', x.backend, '--threads', String(x.threads), '--executor', x.executor,
    ...(x.parallel === undefined ? [] : ['--parallel', String(x.parallel)]), ...(x.slurmArgs === undefined ? [] : ['--slurm-args', x.slurmArgs])];
  // The sweep's table goes to stdout: keep this process's stdout for the benchmark's own report.
  const r = spawnSync(process.execPath, [CLI, ...all], { stdio: ['ignore', 2, 2] });
  const s = readSweepFile(dir);
  if (r.status !== 0 || !s) throw new Error(`bnas ${all.join(' ')} exited ${r.status ?? r.signal}; see ${join(dir, 'summary.md')} (run the benchmark again with the same --sweeps to continue)`);
  return s;
}

/** The finished trials of `s` with these seeds, in the seeds' order. */
export function finishedTrials(s: SweepFile, seeds: readonly number[]): (Trial & { result: NonNullable<Trial['result']> })[] {
  return seeds.map((seed) => {
    const t = s.trials.find((x) => x.seed === seed && x.state === 'finished' && x.result);
    if (!t?.result) throw new Error(`the sweep of ${s.file} has no finished trial of seed ${seed}`);
    return t as Trial & { result: NonNullable<Trial['result']> };
  });
}

const execFileP = promisify(execFile);

/** Runs `bnas ARGS --json` and parses the JSON line it prints last. */
export async function bnasJson(args: readonly string[]): Promise<Record<string, unknown>> {
  const { stdout } = await execFileP(process.execPath, [CLI, ...args, '--json'], { maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as Record<string, unknown>;
}

/** Runs `jobs` at most `n` at a time, results in order. */
export async function pool<T>(jobs: readonly (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < jobs.length; i = next++) out[i] = await jobs[i]();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, jobs.length)) }, worker));
  return out;
}
