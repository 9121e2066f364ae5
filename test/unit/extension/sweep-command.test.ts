/**
 * BNAS: Run Sweep without VS Code: the `bnas sweep` command line built from what the user chose
 * or from a sweep file, the resume command rebuilt from `sweep.json`, and the sweep manager
 * against a fake CLI (start, live events, cancel by SIGINT, resume with the same command).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseSeedsInput, requestFromSweepText, resumeRequest, sweepArgs, sweepFolderName, sweepKeys } from '../../../extension/commands/sweep-args.js';
import { SweepManager } from '../../../extension/sweeps/sweep-manager.js';
import type { SweepEvent, SweepFile } from '../../../runtime/sweep/schema.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('sweep command arguments', () => {
  it('builds the CLI arguments, one argv entry per value', () => {
    const args = sweepArgs({
      file: '/w/q.bnas', out: '/w/.bnas/runs/q-sweep', seeds: [1, 2, 3],
      set: [{ key: 'sampling.k', values: ['2', '4'] }, { key: 'data.path', values: ['"a b; rm -rf /"'] }],
      evaluate: true, epochs: 3, executor: 'slurm', parallel: 2, retries: 1, backend: 'wasm', threads: 2, slurmArgs: '--partition=gpu --time=1:00:00',
    });
    assert.deepEqual(args, [
      'sweep', '/w/q.bnas', '--out', '/w/.bnas/runs/q-sweep', '--json', '--seeds', '1,2,3',
      '--set', 'sampling.k=2,4', '--set', 'data.path="a b; rm -rf /"', '--evaluate', '--epochs', '3',
      '--executor', 'slurm', '--parallel', '2', '--retries', '1', '--backend', 'wasm', '--threads', '2',
      '--slurm-args', '--partition=gpu --time=1:00:00',
    ]);
  });

  it('leaves out what is the CLI default', () => {
    assert.deepEqual(sweepArgs({ file: 'f', out: 'o', seeds: [], set: [], executor: 'local', backend: 'auto', threads: 1, slurmArgs: 'x', epochs: 4 }), ['sweep', 'f', '--out', 'o', '--json']);
    // The local executor retries too (resuming a failed trial).
    assert.deepEqual(sweepArgs({ file: 'f', out: 'o', seeds: [], set: [], executor: 'local', retries: 1 }), ['sweep', 'f', '--out', 'o', '--json', '--retries', '1']);
    assert.deepEqual(sweepArgs({ file: 'f', out: 'o', seeds: [5], set: [], random: 3, epochs: 2 }), ['sweep', 'f', '--out', 'o', '--json', '--seeds', '5', '--random', '3', '--epochs', '2']);
    // The random cells' rule goes with random cells only.
    assert.deepEqual(sweepArgs({ file: 'f', out: 'o', seeds: [], set: [], random: 2, randomRule: 'uniform' }), ['sweep', 'f', '--out', 'o', '--json', '--random', '2', '--random-rule', 'uniform']);
    assert.deepEqual(sweepArgs({ file: 'f', out: 'o', seeds: [], set: [], randomRule: 'uniform' }), ['sweep', 'f', '--out', 'o', '--json']);
  });

  it('resumes a sweep of random cells under the rule they were drawn by', () => {
    const sweep = {
      format: 1, file: '/w/q.bnas', space: 'q', created: '', updated: '', state: 'cancelled', trials: [],
      options: { seeds: [1], set: [], evaluate: true, random: 2, random_rule: 'uniform', executor: 'local', parallel: 1, backend: 'auto', retries: 0 },
    } satisfies SweepFile;
    const args = sweepArgs(resumeRequest(sweep, '/w/s'));
    assert.deepEqual(args.slice(args.indexOf('--random'), args.indexOf('--random') + 4), ['--random', '2', '--random-rule', 'uniform']);
  });

  it('resumes with the options sweep.json stored', () => {
    const sweep = {
      format: 1, file: '/w/q.bnas', space: 'q', created: '', updated: '', state: 'cancelled', trials: [],
      options: { seeds: [1, 2], set: [{ key: 'pruning.criterion', values: ['performance', 'magnitude'] }], evaluate: false, random: 0, executor: 'local', parallel: 2, backend: 'wasm', retries: 2 },
    } satisfies SweepFile;
    assert.deepEqual(sweepArgs(resumeRequest(sweep, '/w/s')), [
      'sweep', '/w/q.bnas', '--out', '/w/s', '--json', '--seeds', '1,2', '--set', 'pruning.criterion=performance,magnitude', '--parallel', '2', '--retries', '2', '--backend', 'wasm',
    ]);
  });

  it('parses seeds and ranges, and says what is wrong', () => {
    assert.deepEqual(parseSeedsInput('1, 3-5'), [1, 3, 4, 5]);
    assert.match(parseSeedsInput('1,x') as string, /'x' is not a whole number/);
    assert.match(parseSeedsInput('2,2') as string, /repeated/);
    assert.match(parseSeedsInput('') as string, /at least one/);
  });

  it('reads a sweep file and an earlier sweep.json', () => {
    assert.deepEqual(requestFromSweepText('{"seeds":[1,2],"set":{"sampling.k":[2,4],"pruning.criterion":"magnitude"},"parallel":2}'), {
      seeds: [1, 2], set: [{ key: 'sampling.k', values: ['2', '4'] }, { key: 'pruning.criterion', values: ['magnitude'] }],
      evaluate: false, epochs: undefined, random: undefined, parallel: 2, threads: undefined, executor: undefined, backend: undefined, slurmArgs: undefined,
    });
    assert.equal((requestFromSweepText('{"random":2,"random_rule":"uniform"}') as { randomRule?: string }).randomRule, 'uniform');
    assert.match(requestFromSweepText('{"random":2,"random_rule":"fair"}') as string, /"random_rule" must be "caps" or "uniform"/);
    assert.match(requestFromSweepText('{"seeds":["a"]}') as string, /whole numbers/);
    assert.match(requestFromSweepText('{"executor":"ssh"}') as string, /local.*slurm/);
    assert.match(requestFromSweepText('nope') as string, /not JSON/);
  });

  it('offers the language keys for --set, without train.seed', () => {
    const keys = sweepKeys().map((k) => k.key);
    for (const k of ['sampling.k', 'pruning.criterion', 'optimizer.weights.lr', 'ops']) assert.ok(keys.includes(k), k);
    assert.ok(!keys.includes('train.seed'));
    assert.ok(sweepKeys().find((k) => k.key === 'pruning.criterion')!.choices.length > 1);
  });

  it('names a sweep folder after its space', () => {
    assert.match(sweepFolderName('My net/v2', new Date(2026, 0, 2, 3, 4, 5)), /^my-net-v2-sweep-20260102-030405$/);
  });
});

describe('sweep manager', () => {
  const root = mkdtempSync(join(tmpdir(), 'bnas-sweep-ui-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const cli = join(import.meta.dirname, 'fixtures', 'fake-sweep.mjs');

  it('starts the sweep, follows its events and sweep.json, cancels with SIGINT and resumes with the same command', async () => {
    const m = new SweepManager({ cliPath: cli, electron: false, log: silent });
    const dir = join(root, 'q-sweep');
    const events: SweepEvent[] = [];
    m.onEvent(dir, (e) => events.push(e));
    const states: string[] = [];
    m.onDidChange((s) => states.push(`${s.running}:${s.sweep?.state ?? '-'}`));
    await m.start({ file: '/w/q.bnas', out: dir, seeds: [1, 2], set: [{ key: 'sampling.k', values: ['2,4'] }] });
    assert.equal(m.get(dir)?.running, true);
    while (!events.some((e) => e.type === 'trial-progress') || m.get(dir)?.sweep?.trials.length !== 2) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events.map((e) => e.type), ['sweep-started', 'trial-started', 'trial-progress'], 'a line that is no event is dropped');
    // An epoch is not in sweep.json: the manager keeps it for the views while the trial runs.
    assert.deepEqual(m.get(dir)?.progress, { 'seed-1': { epoch: 2, epochs: 6, valid_acc: 0.552 } });
    const argv = JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8')) as string[];
    assert.deepEqual(argv, ['sweep', '/w/q.bnas', '--out', dir, '--json', '--seeds', '1,2', '--set', 'sampling.k=2,4']);
    assert.equal(m.cancel(dir), true);
    while (m.get(dir)?.running || m.get(dir)?.sweep?.state !== 'cancelled') await new Promise((r) => setTimeout(r, 20));
    assert.equal(events.at(-1)?.type, 'sweep-cancelled');
    assert.equal(m.get(dir)?.failure, undefined, 'exit 130 is a cancel, not a failure');
    assert.equal(m.cancel(dir), false, 'nothing left to cancel');
    assert.deepEqual(m.get(dir)?.progress, {}, 'no progress once the process has ended');

    // The manager finds it on disk as any other window would, and resumes from sweep.json's options.
    const other = new SweepManager({ cliPath: cli, electron: false, log: silent });
    await other.load([root]);
    assert.deepEqual(other.sweeps().map((s) => s.name), ['q-sweep']);
    await other.resume(dir);
    const read = () => JSON.parse(readFileSync(join(dir, 'argv.json'), 'utf8')) as string[];
    while (read().length === argv.length) await new Promise((r) => setTimeout(r, 20));
    const again = read();
    assert.deepEqual(again, ['sweep', '/w/q.bnas', '--out', dir, '--json', '--seeds', '1,2', '--parallel', '2', '--retries', '2', '--backend', 'wasm']);
    other.cancel(dir);
    while (other.get(dir)?.running) await new Promise((r) => setTimeout(r, 20));
    assert.ok(states.includes('true:running') && states.at(-1) === 'false:cancelled', states.join(' '));
    m.dispose();
    other.dispose();
  });
});
