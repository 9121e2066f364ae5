// The quality benchmark's `--quick` path end to end through `bnas sweep` (built command line) on
// the synthetic data: one sweep per mode with the mode's --set overrides, the evaluations under one
// protocol file, and a record built from the sweep folders. One seed, two modes and one reference
// cell keep it to seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSweepFile } from '../../runtime/sweep/state.js';

const root = mkdtempSync(join(tmpdir(), 'bnas-quality-bench-'));
const bench = (...args: string[]) => spawnSync(process.execPath, ['--require', './scripts/polyfills.cjs', '--import', 'tsx', 'bench/quality/run.ts', ...args], { encoding: 'utf8', timeout: 300_000 });

test('quality --quick: one sweep per mode, evaluations under one protocol, the record built from the sweep folders', () => {
  assert.ok(existsSync(resolve('dist/cli.cjs')), 'run npm run build first');
  const sweeps = join(root, 'sweeps');
  const out = join(root, 'out');
  const r = bench('--quick', '--datasets', 'synthetic', '--seeds', '1', '--random', '1', '--mode-seeds', 'pc-darts=0,darts=1', '--references', 'darts-v2', '--sweeps', sweeps, '--out', out);
  assert.equal(r.status, 0, r.stderr);

  const record = JSON.parse(readFileSync(join(out, 'quality-quick.json'), 'utf8'));
  assert.equal(record.quick, true);
  const [result] = record.results;
  assert.equal(result.dataset, 'synthetic');
  assert.deepEqual(result.searches.map((s: { mode: string; seed: number }) => [s.mode, s.seed]), [['bnas', 1], ['darts', 1]]);

  // Each search of the record is its sweep's trial: genotype, wall and CPU seconds, evaluation.
  const bnas = readSweepFile(join(sweeps, 'synthetic-bnas'));
  const darts = readSweepFile(join(sweeps, 'synthetic-darts'));
  assert.ok(bnas && darts, 'both sweep folders hold a sweep.json');
  assert.ok(!existsSync(join(sweeps, 'synthetic-pc-darts')), 'a mode with 0 seeds runs no sweep');
  const protocol = join(sweeps, 'synthetic-protocol.bnas');
  for (const [s, rec] of [[bnas, result.searches[0]], [darts, result.searches[1]]] as const) {
    const [t] = s.trials;
    assert.equal(t.state, 'finished');
    assert.equal(s.options.protocol, protocol);
    assert.equal(s.options.epochs, 1);
    assert.deepEqual(rec.genotype, t.result!.genotype);
    assert.equal(rec.searchSeconds, t.result!.search_seconds);
    assert.equal(rec.cpuSeconds, t.result!.cpu_seconds);
    assert.ok(rec.cpuSeconds > 0);
    assert.equal(rec.testAcc, t.evaluation!.accuracy);
    assert.ok(rec.testAcc >= 0 && rec.testAcc <= 1);
    // The quick budget: 96 search images for 2 epochs.
    assert.match(readFileSync(join(sweeps, 'synthetic-bnas', t.space), 'utf8'), /train = 96/);
  }
  // DARTS mode is the space with pruning off and K = 1; this method's sweep is the space as written.
  assert.deepEqual(darts.trials[0].settings['pruning.criterion'], 'none');
  assert.deepEqual(darts.trials[0].settings['sampling.k'], '1');
  assert.equal(bnas.trials[0].settings['pruning.criterion'], undefined);
  // This method's sweep also trains the cells real-valued and one random cell per seed.
  assert.equal(bnas.options.float, true);
  assert.equal(result.searches[0].floatAcc, bnas.trials[0].evaluation!.float);
  assert.deepEqual(result.random.map((c: { testAcc: number }) => c.testAcc), bnas.trials[0].evaluation!.random);
  assert.equal(result.random.length, 1);
  assert.equal(darts.options.float, undefined);
  assert.deepEqual(result.references.map((c: { name: string }) => c.name), ['darts-v2']);
  assert.ok(typeof result.references[0].floatAcc === 'number', 'the quick budget trains the reference cells real-valued too');
  assert.equal(result.modes.find((m: { mode: string }) => m.mode === 'pc-darts').accuracy.n, 0);

  const md = readFileSync(join(out, 'quality-quick.md'), 'utf8');
  assert.match(md, /\| searched \(bnas, one cell per seed\) \| 1 \|/);
  assert.match(readFileSync(join(out, 'quality-quick-synthetic.svg'), 'utf8'), /<svg /);
  // --render writes the same tables from the record.
  const again = bench('--render', join(out, 'quality-quick.json'), '--out', join(root, 'render'));
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readFileSync(join(root, 'render', 'quality-quick.md'), 'utf8'), md);
});
