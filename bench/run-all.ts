/**
 * Runs the benchmarks of the headline manifest (bench/headlines.ts), one after the other (a shared
 * machine: never in parallel), then regenerates the tables (bench/table.ts).
 *
 *   npm run bench:full             make every record again (each headline row's command), then
 *                                  the README table, bench/README.md and bench/results.md
 *   npm run bench:full -- --only engine-step,validation   just these records (ids in headlines.ts)
 *   npm run bench:full -- --list   print the commands, run nothing
 *   npm run bench                  the short form of every benchmark script, to check that each
 *                                  still runs; writes only to a scratch folder, records untouched
 *
 * A record whose prerequisites are missing (PyTorch for the peer benchmark, Chromium for the
 * webview benchmark, `npm run build`) is reported as skipped with the reason; records made by
 * another tool (`manual` in the manifest) are listed, not run. Every record made here carries its
 * provenance (bench/record.ts): the command, commit, versions and machine load.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { commandOf, NODE, RECORDS, type Need, type RecordSpec } from './headlines.js';
import { quote, ROOT, stampRecord } from './record.js';
import { generate } from './table.js';

/** What happened to one record. */
export interface Outcome {
  readonly id: string;
  readonly status: 'ran' | 'skipped' | 'failed' | 'manual';
  readonly seconds?: number;
  readonly reason?: string;
}

const NEEDS: Readonly<Record<Need, () => string | undefined>> = {
  build: () => (existsSync(join(ROOT, 'dist', 'cli.cjs')) ? undefined : 'dist/ is not built (npm run build)'),
  torch: () => (spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0 ? undefined : 'PyTorch missing (apt-get install -y --no-install-recommends python3-torch)'),
  chromium: () => (['/usr/bin/chromium', '/usr/bin/chromium-browser'].some(existsSync) || process.env.CHROME_PATH ? undefined : 'Chromium missing (apt-get install -y chromium)'),
};

/** Why a record cannot be made here, or undefined. */
export function missing(r: RecordSpec): string | undefined {
  for (const n of r.needs ?? []) {
    const why = NEEDS[n]();
    if (why) return why;
  }
  return undefined;
}

/** Arguments with the scratch folder filled in. */
export function withOut(args: readonly string[], out: string): string[] {
  return args.map((a) => a.replaceAll('{out}', out));
}

function runNode(args: readonly string[]): { ok: boolean; seconds: number; reason?: string } {
  process.stderr.write(`\n== ${NODE} ${args.map(quote).join(' ')}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', './scripts/polyfills.cjs', '--import', 'tsx', ...args], { cwd: ROOT, stdio: 'inherit' });
  const seconds = (performance.now() - t0) / 1000;
  return r.status === 0 ? { ok: true, seconds } : { ok: false, seconds, reason: `exit ${r.status ?? r.signal}` };
}

/** Makes one record: runs its command, moves its outputs, stamps its provenance. */
function record(r: RecordSpec): Outcome {
  if (!r.args) return { id: r.id, status: 'manual', reason: r.manual };
  const why = missing(r);
  if (why) return { id: r.id, status: 'skipped', reason: why };
  const out = mkdtempSync(join(tmpdir(), 'bnas-bench-'));
  try {
    const args = withOut(r.args, out);
    const run = runNode(args);
    if (!run.ok) return { id: r.id, status: 'failed', seconds: run.seconds, reason: run.reason };
    for (const [name, to] of Object.entries(r.outputs ?? {})) renameOrCopy(join(out, name), join(ROOT, to));
    // The command as a newcomer runs it, with the scratch folder named as such.
    stampRecord(join(ROOT, r.file), commandOf(r), r.backend);
    return { id: r.id, status: 'ran', seconds: run.seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function renameOrCopy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    renameSync(from, to);
  } catch {
    // Another file system (the scratch folder on tmpfs): copy instead.
    copyFileSync(from, to);
  }
}

/** The short form of every script that has one (one per script), in a scratch folder. */
function quick(records: readonly RecordSpec[]): Outcome[] {
  const out = mkdtempSync(join(tmpdir(), 'bnas-bench-quick-'));
  mkdirSync(join(ROOT, 'bench', '.tmp'), { recursive: true });
  try {
    return records.filter((r) => r.quick).map((r) => {
      const why = missing(r);
      if (why) return { id: r.id, status: 'skipped', reason: why };
      const run = runNode(withOut(r.quick ?? [], out));
      return { id: r.id, status: run.ok ? 'ran' : 'failed', seconds: run.seconds, reason: run.reason };
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** A status table of the outcomes. */
export function statusTable(outcomes: readonly Outcome[]): string {
  return [
    '| record | status | seconds | note |',
    '|---|---|---|---|',
    ...outcomes.map((o) => `| ${o.id} | ${o.status} | ${o.seconds === undefined ? '' : o.seconds.toFixed(0)} | ${o.reason ?? ''} |`),
    '',
  ].join('\n');
}

function main(): void {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--only');
  const only = at >= 0 ? (argv[at + 1] ?? '').split(',') : undefined;
  for (const id of only ?? []) {
    if (!RECORDS.some((r) => r.id === id)) throw new Error(`--only: unknown record '${id}'; records: ${RECORDS.map((r) => r.id).join(', ')}`);
  }
  const chosen = RECORDS.filter((r) => !only || only.includes(r.id));
  if (argv.includes('--list')) {
    for (const r of chosen) process.stdout.write(`${r.id}  (~${r.minutes} min)\n  ${commandOf(r)}\n`);
    return;
  }
  if (!argv.includes('--full')) {
    const outcomes = quick(chosen);
    process.stdout.write(statusTable(outcomes));
    if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
    return;
  }
  const minutes = chosen.filter((r) => r.args).reduce((a, r) => a + r.minutes, 0);
  process.stderr.write(`bench:full: ${chosen.length} records, about ${minutes} minutes on an idle 2-core machine\n`);
  const outcomes = chosen.map(record);
  for (const [file, text] of generate()) writeFileSync(join(ROOT, file), text);
  process.stdout.write(statusTable(outcomes));
  if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
}

if (import.meta.filename === process.argv[1]) main();
