// `bnas sweep --executor slurm` on a real one-node Slurm cluster (scripts/slurm/cluster.sh: Debian's
// slurmctld, slurmd and munge, started as root without systemd). A sweep of three seeds runs as a
// job array; one trial is cancelled through `bnas sweep --cancel`; one task is killed mid-run with
// `scancel` of its array task, as a pre-emption would, and must be resubmitted and resume from its
// checkpoint to the genotype of a plain `bnas search` of its seed. Running the command again
// finishes the cancelled trial. Then the cluster and every process it started are stopped.
// Run by `npm run test:slurm` (CI installs the packages first); not part of `npm test`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { interruptWhen, sweepSpace } from '../cli/sweep-fixture.js';
import { parseSweepEvent, parseSweepFile, type SweepEvent } from '../../runtime/sweep/schema.js';

const CLI = resolve('dist/cli.cjs');
const CLUSTER = resolve('scripts/slurm/cluster.sh');
const root = mkdtempSync(join(tmpdir(), 'bnas-slurm-test-'));
// Its own folder under the temporary folder: cluster.sh opens it to the munge user.
const clusterDir = mkdtempSync(join(tmpdir(), 'bnas-slurm-cluster-'));
// Epochs long enough (about a second each) that a task seen at its first epoch, through squeue
// polls a second apart, still has most of its work ahead when `scancel` reaches it.
const SPACE = sweepSpace('sweep-slurm', 12, 960);
const bnas = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
const genotypeOf = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')).genotype;
let recorded: { name: string; pid: number }[] = [];

before(() => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  assert.equal(process.getuid?.(), 0, 'the Slurm test starts daemons as root');
  const r = spawnSync('bash', [CLUSTER, 'start', clusterDir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `cluster.sh start: ${r.stderr}`);
  const m = /^export SLURM_CONF=(.+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  process.env.SLURM_CONF = m[1];
  recorded = readFileSync(join(clusterDir, 'pids'), 'utf8').trim().split('\n').map((l) => ({ name: l.split(' ')[0], pid: Number(l.split(' ')[1]) }));
  assert.deepEqual(recorded.map((p) => p.name), ['munged', 'slurmctld', 'slurmd']);
});

after(() => {
  const r = spawnSync('bash', [CLUSTER, 'stop', clusterDir], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `cluster.sh stop: ${r.stderr}`);
  for (const p of recorded) {
    const alive = existsSync(`/proc/${p.pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p.pid}/stat`, 'utf8'));
    assert.ok(!alive, `${p.name} (${p.pid}) still runs after cluster.sh stop`);
  }
  assert.ok(!existsSync(join(clusterDir, 'pids')));
});

test('a sweep as a Slurm job array: one trial cancelled, one task killed mid-run and resumed to the plain search genotype, none lost', async () => {
  const file = join(root, 'space.bnas');
  writeFileSync(file, SPACE);
  const dir = join(root, 'sweep');
  const args = ['sweep', file, '--out', dir, '--seeds', '1,2,3', '--executor', 'slurm', '--backend', 'wasm', '--json'];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const events: SweepEvent[] = [];
  let killed: string | undefined;
  let cancelAsked = false;
  let partial = '';
  const code = await new Promise<number | null>((done) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const e = parseSweepEvent(JSON.parse(line));
        assert.ok(e, line);
        events.push(e);
        if (e.type === 'trial-started' && e.trial === 'seed-2' && !cancelAsked) {
          cancelAsked = true;
          const c = bnas('sweep', '--cancel', 'seed-2', '--out', dir);
          assert.equal(c.status, 0, c.stderr);
        }
        // Kill seed-1's array task after its first epoch: it has a checkpoint and work left.
        if (e.type === 'trial-progress' && e.trial === 'seed-1' && !killed) {
          const started = events.find((x) => x.type === 'trial-started' && x.trial === 'seed-1');
          killed = started?.type === 'trial-started' ? started.slurm_job : undefined;
          assert.ok(killed, 'the started event names the Slurm job');
          const s = spawnSync('scancel', [killed], { encoding: 'utf8' });
          assert.equal(s.status, 0, s.stderr);
        }
      }
    });
    child.on('close', (c) => done(c));
  });
  assert.equal(code, 0, stderr);
  assert.ok(killed, 'seed-1 reported an epoch');
  const of = (trial: string, type: SweepEvent['type']) => events.filter((e) => 'trial' in e && e.trial === trial && e.type === type);

  // The killed task was resubmitted once and resumed from its checkpoint.
  assert.equal(of('seed-1', 'trial-retry').length, 1);
  const starts = of('seed-1', 'trial-started');
  assert.equal(starts.length, 2);
  assert.ok(starts[1].type === 'trial-started' && starts[1].resume && starts[1].attempt === 2 && starts[1].slurm_job !== killed);
  assert.equal(of('seed-1', 'trial-finished').length, 1);
  assert.equal(of('seed-2', 'trial-cancelled').length, 1);
  assert.equal(of('seed-3', 'trial-finished').length, 1);

  const sweep = parseSweepFile(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')));
  assert.ok(sweep);
  assert.deepEqual(sweep.trials.map((t) => [t.id, t.state]), [['seed-1', 'finished'], ['seed-2', 'cancelled'], ['seed-3', 'finished']]);
  assert.equal(sweep.trials[0].attempts, 2);

  // Same genotype as a plain local search of the seed, after the kill and the resume.
  const plain = bnas('search', file, '--out', join(root, 'plain-1'), '--seed', '1', '--backend', 'wasm', '--threads', '1');
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(genotypeOf(join(dir, 'trials', 'seed-1')), genotypeOf(join(root, 'plain-1')));

  // The same command again: only the cancelled trial runs, and finishes.
  const again = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, env: process.env });
  assert.equal(again.status, 0, again.stderr);
  const ev2 = again.stdout.trim().split('\n').map((l) => parseSweepEvent(JSON.parse(l)));
  assert.deepEqual(ev2.filter((e) => e?.type === 'trial-started').map((e) => e && 'trial' in e && e.trial), ['seed-2']);
  const end = parseSweepFile(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')));
  assert.ok(end?.trials.every((t) => t.state === 'finished'), 'no trial lost');
  const squeue = spawnSync('squeue', ['-h'], { encoding: 'utf8' });
  assert.equal(squeue.stdout.trim(), '', 'no job left in the queue');
});

test('Slurm: a failing trial is resubmitted --retries times, then reported with its stderr tail', () => {
  const file = join(root, 'space.bnas');
  const empty = mkdtempSync(join(tmpdir(), 'bnas-slurm-empty-'));
  const dir = join(root, 'failing');
  const r = bnas('sweep', file, '--out', dir, '--seeds', '4', '--set', `data.source=idx`, '--set', `data.path=${JSON.stringify(empty)}`, '--executor', 'slurm', '--retries', '1', '--backend', 'wasm', '--json');
  assert.equal(r.status, 1, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => parseSweepEvent(JSON.parse(l)));
  assert.equal(events.filter((e) => e?.type === 'trial-retry').length, 1);
  const failed = events.find((e) => e?.type === 'trial-failed');
  assert.ok(failed?.type === 'trial-failed' && failed.exit_code === 1 && /bnas search: /.test(failed.error), JSON.stringify(failed));
  const sweep = parseSweepFile(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')));
  assert.deepEqual(sweep?.trials.map((t) => [t.state, t.attempts]), [['failed', 2]]);
});

test('Slurm: Ctrl-C cancels every task (they checkpoint) and exits 130, leaving no job behind', async () => {
  const file = join(root, 'space.bnas');
  const dir = join(root, 'interrupted');
  const { code, stderr } = await interruptWhen(['sweep', file, '--out', dir, '--seeds', '5,6', '--executor', 'slurm', '--backend', 'wasm', '--json'], (out) => out.includes('"trial-progress"'));
  assert.equal(code, 130, stderr);
  assert.equal(spawnSync('squeue', ['-h'], { encoding: 'utf8' }).stdout.trim(), '', 'no job left in the queue');
  const sweep = parseSweepFile(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')));
  assert.equal(sweep?.state, 'cancelled');
  for (const t of sweep?.trials ?? []) {
    assert.equal(t.state, 'cancelled', t.id);
    if (t.started) assert.ok(existsSync(join(dir, t.run, 'checkpoint')), `${t.id} checkpointed`);
  }
  assert.ok(sweep?.trials.some((t) => t.started), 'at least one task ran before Ctrl-C');
});
