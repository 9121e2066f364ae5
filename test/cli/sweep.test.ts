// `bnas sweep` with the local executor, end to end through the built command line: the grid, a
// failing trial reported with its stderr tail while the others finish, trials equal to plain
// searches, finished trials skipped on a re-run, and Ctrl-C (SIGINT) cancelling every trial with
// a checkpoint, then the same command resuming them. Tiny spaces keep each search to seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { interruptWhen, sweepSpace } from './sweep-fixture.js';
import { parseSweepEvent, parseSweepFile, type SweepEvent } from '../../runtime/sweep/schema.js';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import { CELL_KINDS } from '../../runtime/protocol/genotype.js';
import { obeysCaps } from '../../runtime/supernet/random-cells.js';

const CLI = resolve('dist/cli.cjs');
const root = mkdtempSync(join(tmpdir(), 'bnas-sweep-'));
const space = (epochs: number, train?: number) => sweepSpace('sweep-cli', epochs, train);
const bnas = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
const events = (stdout: string): SweepEvent[] => stdout.trim().split('\n').filter(Boolean).map((l) => {
  const e = parseSweepEvent(JSON.parse(l));
  assert.ok(e, `not a sweep event: ${l}`);
  return e;
});
const sweepFile = (dir: string) => {
  const s = parseSweepFile(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')));
  assert.ok(s, 'sweep.json parses with its schema');
  return s;
};
const genotypeOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')).genotype;

test('grid of seeds × settings: a failing trial is reported with its stderr tail, the others finish and equal plain searches; a re-run skips finished trials', () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const file = join(root, 'grid.bnas');
  writeFileSync(file, space(3));
  // An existing folder without IDX files: the space validates, the idx trials fail when loading data.
  const empty = join(root, 'empty-idx');
  mkdirSync(empty);
  const dir = join(root, 'grid');
  const args = ['sweep', file, '--out', dir, '--seeds', '1,2', '--set', 'data.source=synthetic,idx', '--set', `data.path=${JSON.stringify(empty)}`, '--parallel', '2', '--backend', 'wasm', '--json'];
  const r = bnas(...args);
  assert.equal(r.status, 1, r.stderr);
  const ev = events(r.stdout);
  assert.equal(ev[0].type, 'sweep-started');
  assert.equal(ev.at(-1)?.type, 'sweep-finished');
  const failed = ev.filter((e) => e.type === 'trial-failed');
  assert.deepEqual(failed.map((e) => e.trial).sort(), ['source-idx_seed-1', 'source-idx_seed-2']);
  for (const e of failed) assert.ok(e.type === 'trial-failed' && e.exit_code === 1 && /bnas search: /.test(e.error), JSON.stringify(e));
  assert.equal(ev.filter((e) => e.type === 'trial-finished').length, 2);
  assert.equal(ev.filter((e) => e.type === 'trial-progress').length, 2 * 3, 'one progress event per epoch of each finished trial');

  const sweep = sweepFile(dir);
  assert.equal(sweep.state, 'failed');
  assert.deepEqual(sweep.trials.map((t) => [t.id, t.seed, t.state]), [
    ['source-synthetic_seed-1', 1, 'finished'],
    ['source-synthetic_seed-2', 2, 'finished'],
    ['source-idx_seed-1', 1, 'failed'],
    ['source-idx_seed-2', 2, 'failed'],
  ]);
  const ok = sweep.trials[1];
  assert.deepEqual(ok.settings, { 'data.source': 'synthetic', 'data.path': JSON.stringify(empty) });
  assert.match(readFileSync(join(dir, ok.space), 'utf8'), /data \{ source = synthetic, train = 96, split = 0.5, test = 32, image = 8, path = "/);
  assert.ok(ok.result && ok.result.param_free_share >= 0 && ok.result.param_free_share <= 1 && ok.result.parameters! > 0);
  // The search's own CPU time and peak memory, as its result.json records them.
  const metrics = JSON.parse(readFileSync(join(dir, ok.run, 'result.json'), 'utf8')).metrics;
  assert.ok(ok.result.cpu_seconds! > 0 && ok.result.peak_rss_mb! > 0, JSON.stringify(ok.result));
  assert.equal(ok.result.cpu_seconds, metrics.cpu_seconds);
  assert.equal(ok.result.peak_rss_mb, metrics.peak_rss_mb);
  const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
  for (const t of sweep.trials) assert.ok(summary.includes(`| ${t.id} |`), t.id);
  assert.match(summary, /## source-idx_seed-1 failed \(exit 1\)/);
  assert.match(r.stderr, /source-idx_seed-2 failed \(exit 1\):\n {2}/, 'the table and error tails go to stderr with --json');
  assert.equal(readFileSync(join(dir, 'sweep-events.jsonl'), 'utf8'), r.stdout);

  // A trial is the plain search of its seed: same genotype.
  const plain = bnas('search', file, '--out', join(root, 'plain-2'), '--seed', '2', '--backend', 'wasm', '--threads', '1');
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(genotypeOf(join(dir, ok.run)), genotypeOf(join(root, 'plain-2')));

  // The same command again: finished trials are skipped, failed ones run (and fail) again.
  const again = bnas(...args);
  assert.equal(again.status, 1, again.stderr);
  const ev2 = events(again.stdout);
  assert.ok(ev2[0].type === 'sweep-started' && ev2[0].skipped === 2);
  assert.deepEqual(ev2.filter((e) => e.type === 'trial-started').map((e) => e.trial).sort(), failed.map((e) => e.trial).sort());
  assert.deepEqual(sweepFile(dir).trials.slice(0, 2), sweep.trials.slice(0, 2));
});

test('Ctrl-C cancels every running trial with a checkpoint and exits 130; the same command resumes them to the plain search genotype', async () => {
  const file = join(root, 'long.bnas');
  // Longer epochs, so that the trials still have work left when the interrupt reaches them.
  writeFileSync(file, space(6, 480));
  const dir = join(root, 'long');
  const args = ['sweep', file, '--out', dir, '--seeds', '1,2', '--parallel', '2', '--backend', 'wasm', '--json'];
  // Both trials running and one past its first epoch: interrupt.
  const { code, stdout, stderr } = await interruptWhen(args, (out) => out.includes('"trial-progress"') && (out.match(/"trial-started"/g) ?? []).length === 2);
  assert.equal(code, 130, stderr);
  const ev = events(stdout);
  assert.equal(ev.at(-1)?.type, 'sweep-cancelled');
  assert.equal(ev.filter((e) => e.type === 'trial-cancelled').length, 2);
  const sweep = sweepFile(dir);
  assert.equal(sweep.state, 'cancelled');
  for (const t of sweep.trials) {
    assert.equal(t.state, 'cancelled');
    assert.ok(existsSync(join(dir, t.run, 'checkpoint')), `${t.id} checkpointed`);
    assert.ok(!existsSync(join(dir, t.run, 'result.json')));
  }
  // CPU seconds until the interrupt, as checkpointed: the resumed search adds its own to them.
  const cpuBefore = new Map(sweep.trials.map((t) => [t.id, JSON.parse(readFileSync(join(dir, t.run, 'checkpoint', 'state.json'), 'utf8')).state.cpuSeconds as number]));
  for (const [id, cpu] of cpuBefore) assert.ok(cpu > 0, `${id} checkpointed its CPU seconds`);

  const r = bnas(...args);
  assert.equal(r.status, 0, r.stderr);
  const ev2 = events(r.stdout);
  const starts = ev2.filter((e) => e.type === 'trial-started');
  assert.equal(starts.length, 2);
  assert.ok(starts.every((e) => e.type === 'trial-started' && e.resume), 'both trials continue from their checkpoints');
  const done = sweepFile(dir);
  assert.equal(done.state, 'finished');
  assert.ok(done.trials.every((t) => t.state === 'finished' && t.attempts === 2));
  for (const t of done.trials) assert.ok(t.result!.cpu_seconds! > cpuBefore.get(t.id)!, `${t.id}: ${t.result!.cpu_seconds} CPU s counts the part before the interrupt (${cpuBefore.get(t.id)})`);

  const plain = bnas('search', file, '--out', join(root, 'plain-long-1'), '--seed', '1', '--backend', 'wasm', '--threads', '1');
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(genotypeOf(join(dir, 'trials', 'seed-1')), genotypeOf(join(root, 'plain-long-1')));
});

test('usage errors: unknown keys, invalid values and a folder of another sweep exit 2 before running anything', () => {
  const file = join(root, 'grid.bnas');
  const bad = bnas('sweep', file, '--out', join(root, 'bad'), '--set', 'sampling.kk=1');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /did you mean 'sampling.k'/);
  const invalid = bnas('sweep', file, '--out', join(root, 'bad'), '--set', 'sampling.k=3');
  assert.equal(invalid.status, 2);
  assert.match(invalid.stderr, /sampling.k=3 is invalid/);
  const float = bnas('sweep', file, '--out', join(root, 'bad'), '--float');
  assert.equal(float.status, 2);
  assert.match(float.stderr, /--float .*give it with --evaluate/);
  assert.ok(!existsSync(join(root, 'bad', 'sweep.json')));
  writeFileSync(join(root, 'other.bnas'), space(3));
  const other = bnas('sweep', join(root, 'other.bnas'), '--out', join(root, 'grid'));
  assert.equal(other.status, 2);
  assert.match(other.stderr, /holds a sweep of/);
  assert.equal(bnas('sweep', '--cancel', 'nope', '--out', join(root, 'grid')).status, 2);
});

test('--evaluate --random: each finished search is trained from scratch (bnas evaluate) into an evaluation record, its random cells under the trial\'s derivation caps', () => {
  const file = join(root, 'eval.bnas');
  writeFileSync(file, space(2));
  const dir = join(root, 'eval');
  const r = bnas('sweep', file, '--out', dir, '--seeds', '3', '--set', 'derive.max_param_free=1', '--evaluate', '--epochs', '1', '--random', '2', '--backend', 'wasm', '--json');
  assert.equal(r.status, 0, r.stderr);
  const phases = events(r.stdout).filter((e) => e.type === 'trial-started').map((e) => e.type === 'trial-started' && e.phase);
  assert.deepEqual(phases, ['search', 'evaluate']);
  const [trial] = sweepFile(dir).trials;
  assert.equal(trial.evaluation_file, join('evaluations', 'seed-3.json'));
  const record = JSON.parse(readFileSync(join(dir, trial.evaluation_file!), 'utf8'));
  assert.ok(record.accuracy >= 0 && record.accuracy <= 1 && record.random.length === 2 && record.epochs === 1);
  assert.deepEqual(trial.evaluation, record);
  // The trial's evaluation kept its journal in the run folder while it ran (a resumed sweep trains only the rest) and removed it when it reported.
  assert.ok(existsSync(join(dir, trial.run, 'evaluations')), 'the trial\'s evaluation kept no journal in its run folder');
  assert.equal(existsSync(join(dir, trial.run, 'evaluations', '.partial')), false, 'the finished evaluation left its journal');
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /\| trial \| settings \| seed \| state \| valid \| test \| eval \| random \|/);

  // The random cells obey the trial's cap of one parameter-free op a cell (the default is 2).
  assert.equal(sweepFile(dir).options.random_rule, 'caps');
  assert.equal(record.random_rule, 'caps');
  assert.equal(record.random_caps.max_param_free, 1);
  const trialSpace = loadSearchSpace(readFileSync(join(dir, trial.space), 'utf8')).space!;
  assert.equal(record.random_cells.length, 2);
  for (const g of record.random_cells) for (const k of CELL_KINDS) assert.ok(obeysCaps(g[k], k, trialSpace, { maxParamFree: 1 }), JSON.stringify(g));
  // bnas evaluate of the run folder under the unset file takes the caps the run derived under, not the file's.
  const again = bnas('evaluate', join(dir, trial.run), '--data', file, '--epochs', '1', '--random', '1', '--seed', '3', '--backend', 'wasm', '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout.trim().split('\n').at(-1)!).random_caps.max_param_free, 1);
  // Random cells drawn under one rule are not pooled with another's; a bad rule is a usage error.
  const mixed = bnas('sweep', file, '--out', dir, '--seeds', '3', '--set', 'derive.max_param_free=1', '--random', '2', '--random-rule', 'uniform', '--backend', 'wasm');
  assert.equal(mixed.status, 2);
  assert.match(mixed.stderr, /random cells drawn under --random-rule caps/);
  assert.equal(bnas('sweep', file, '--out', join(root, 'eval-bad'), '--random', '1', '--random-rule', 'fair').status, 2);
  assert.equal(bnas('evaluate', join(dir, trial.run), '--data', file, '--random-rule', 'uniform').status, 2);
});

test('--protocol: evaluations train under the protocol file, not the swept space; the summary sets the evaluated cells against the random ones', () => {
  const file = join(root, 'proto-space.bnas');
  writeFileSync(file, space(2));
  // The same ops with wider cells: a network of another size.
  const protocol = join(root, 'protocol.bnas');
  writeFileSync(protocol, space(2).replace('channels = 4', 'channels = 6'));
  const dir = join(root, 'proto');
  const r = bnas('sweep', file, '--out', dir, '--seeds', '3,4', '--evaluate', '--epochs', '1', '--random', '1', '--random-rule', 'uniform', '--protocol', protocol, '--backend', 'wasm', '--json');
  assert.equal(r.status, 0, r.stderr);
  const sweep = sweepFile(dir);
  assert.equal(sweep.options.protocol, protocol);
  assert.equal(sweep.options.random_rule, 'uniform');
  for (const t of sweep.trials) assert.equal(t.evaluation?.random_rule, 'uniform');
  const params = (data: string, run: string) => {
    const e = bnas('evaluate', join(dir, run), '--data', data, '--epochs', '1', '--seed', '3', '--backend', 'wasm', '--json');
    assert.equal(e.status, 0, e.stderr);
    return JSON.parse(e.stdout.trim().split('\n').at(-1)!).parameters as number;
  };
  const [first] = sweep.trials;
  assert.equal(first.evaluation?.parameters, params(protocol, first.run));
  assert.notEqual(first.evaluation?.parameters, params(file, first.run), "the protocol's network differs from the swept space's");
  const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(summary, /evaluated cells [\d.]+% ± [\d.]+% \(n = 2\) against uniform random cells [\d.]+% ± [\d.]+% \(n = 2\): [+-][\d.]+ points/);

  // A protocol that lacks an op of the space, or one given without --evaluate: usage errors, nothing run.
  const narrow = join(root, 'narrow.bnas');
  writeFileSync(narrow, space(2).replace('ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]', 'ops = [max_pool_3x3, skip_connect, none]'));
  const lacking = bnas('sweep', file, '--out', join(root, 'proto-bad'), '--evaluate', '--protocol', narrow, '--backend', 'wasm');
  assert.equal(lacking.status, 2);
  assert.match(lacking.stderr, /lacks the op\(s\) sep_conv_3x3/);
  assert.ok(!existsSync(join(root, 'proto-bad', 'sweep.json')));
  assert.equal(bnas('sweep', file, '--out', join(root, 'proto-bad'), '--protocol', protocol).status, 2);
  // Evaluations already made under the protocol are not mixed with evaluations under another.
  const mixed = bnas('sweep', file, '--out', dir, '--seeds', '3,4', '--evaluate', '--epochs', '1', '--backend', 'wasm');
  assert.equal(mixed.status, 2);
  assert.match(mixed.stderr, /holds evaluations under the protocol/);
});

test('--retries with the local executor: a trial whose process is killed runs again, resuming from its checkpoint, to the plain search genotype', async () => {
  const file = join(root, 'retry.bnas');
  writeFileSync(file, space(6, 480));
  const dir = join(root, 'retry');
  const child = spawn(process.execPath, [CLI, 'sweep', file, '--out', dir, '--seeds', '1', '--retries', '1', '--backend', 'wasm', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    // After the second epoch (the first checkpoint is written by then), kill the trial's own process.
    const ev = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => parseSweepEvent(JSON.parse(l)));
    const started = ev.find((e) => e?.type === 'trial-started');
    if (!killed && started?.type === 'trial-started' && started.pid && ev.filter((e) => e?.type === 'trial-progress').length >= 2) {
      killed = true;
      process.kill(started.pid, 'SIGKILL');
    }
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.ok(killed, 'the trial was killed mid-search');
  assert.equal(code, 0, stderr);
  const ev = events(stdout);
  const retry = ev.find((e) => e.type === 'trial-retry');
  assert.ok(retry?.type === 'trial-retry' && retry.attempt === 2 && /failed \(exit 1\)/.test(retry.reason), JSON.stringify(retry));
  const starts = ev.filter((e) => e.type === 'trial-started');
  assert.deepEqual(starts.map((e) => e.type === 'trial-started' && [e.attempt, e.resume]), [[1, false], [2, true]]);
  const sweep = sweepFile(dir);
  assert.equal(sweep.state, 'finished');
  assert.equal(sweep.trials[0]?.attempts, 2);
  const plain = bnas('search', file, '--out', join(root, 'plain-retry-1'), '--seed', '1', '--backend', 'wasm', '--threads', '1');
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(genotypeOf(join(dir, 'trials', 'seed-1')), genotypeOf(join(root, 'plain-retry-1')));
});
