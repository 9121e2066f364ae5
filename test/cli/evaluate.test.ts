// `bnas evaluate --float --adapt` through the built command line: a published 4-node reference
// cell with ops outside a tiny 2-node space is adapted, trained binary and real-valued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve('dist/cli.cjs');
const root = mkdtempSync(join(tmpdir(), 'bnas-cli-eval-'));
const space = join(root, 'tiny.bnas');
writeFileSync(space, `search "tiny-eval" {
  data { source = synthetic, train = 64, split = 0.5, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, avg_pool_3x3, skip_connect, none]
  train { epochs = 3, batch = 16, warmup = 1, seed = 5 }
}
`);
const REF = resolve('bench/search/reference-cells/pc-darts-cifar.json');
const bnas = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });

test('evaluate --float --adapt --json: adapted reference cell, binary and float accuracies', () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const r = bnas('evaluate', REF, '--data', space, '--epochs', '1', '--float', '--adapt', '--json', '--backend', 'wasm', '--threads', '1');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(report).sort(), ['accuracy', 'epochs', 'float', 'parameters', 'random', 'seconds', 'substitutions']);
  for (const a of [report.accuracy, report.float]) assert.ok(a >= 0 && a <= 1, String(a));
  // The first two nodes of PC-DARTS's cells: normal sep3, skip, sep3, dil3; reduce sep5, max, sep5, sep5.
  const subs = (report.substitutions as { cell: string; from: string; to: string }[]).map((x) => `${x.cell} ${x.from}->${x.to}`);
  assert.deepEqual(subs.sort(), ['normal dil_conv_3x3->sep_conv_3x3', 'reduce max_pool_3x3->avg_pool_3x3', 'reduce sep_conv_5x5->sep_conv_3x3', 'reduce sep_conv_5x5->sep_conv_3x3', 'reduce sep_conv_5x5->sep_conv_3x3']);
});

test('evaluate --float (human output): both trainings and the gap are reported', () => {
  const r = bnas('evaluate', REF, '--data', space, '--epochs', '1', '--float', '--adapt', '--backend', 'wasm');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /adapted reduce cell: sep_conv_5x5 -> sep_conv_3x3/);
  assert.match(r.stderr, /dropped 2 node\(s\) beyond the space's nodes = 2/);
  assert.match(r.stderr, /genotype \(float\): test accuracy \d+\.\d\d%/);
  const m = /accuracy (\d+\.\d\d)%\nfloat \(real weights and activations\) (\d+\.\d\d)%, binary-vs-float gap (-?\d+\.\d\d) points/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Math.abs(Number(m[2]) - Number(m[1]) - Number(m[3])) < 0.02);
});

test('evaluate --threads 2: trains on two threads from the bundle (its replica module beside the CLI), the same accuracy twice; --threads 0 is a usage error', () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const run = () => bnas('evaluate', REF, '--data', space, '--epochs', '1', '--adapt', '--json', '--backend', 'wasm', '--threads', '2');
  const a = run();
  assert.equal(a.status, 0, a.stderr);
  const ra = JSON.parse(a.stdout);
  assert.equal(ra.threads, 2);
  assert.equal(JSON.parse(run().stdout).accuracy, ra.accuracy);
  const bad = bnas('evaluate', REF, '--data', space, '--threads', '0');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--threads: threads must be 'auto' or a whole number from 1 to 32/);
});

test('evaluate --repeats 2 --random 2: the first training is the single one, accuracy is the mean, the random cells are unchanged; the human output gives Welch\'s test', () => {
  const base = ['evaluate', REF, '--data', space, '--epochs', '1', '--adapt', '--random', '2', '--backend', 'wasm', '--threads', '1'];
  const single = bnas(...base, '--json');
  assert.equal(single.status, 0, single.stderr);
  const one = JSON.parse(single.stdout);
  assert.equal(one.accuracies, undefined, 'a single training reports no accuracies list');
  const twice = bnas(...base, '--json', '--repeats', '2');
  assert.equal(twice.status, 0, twice.stderr);
  const two = JSON.parse(twice.stdout);
  assert.equal(two.accuracies.length, 2);
  assert.equal(two.accuracies[0], one.accuracy, 'the first of the repeats is the training a single evaluation does');
  assert.notEqual(two.accuracies[1], two.accuracies[0], 'each training has its own initialisation and batch order');
  assert.ok(Math.abs(two.accuracy - (two.accuracies[0] + two.accuracies[1]) / 2) < 1e-12);
  assert.deepEqual(two.random, one.random);
  assert.match(twice.stderr, /genotype 2 epoch 1\/1:/);
  const human = bnas(...base, '--repeats', '2');
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /^accuracy \d+\.\d\d% ± \d+\.\d\d% over 2 trainings \(\d+\.\d\d%, \d+\.\d\d%\)$/m);
  assert.match(human.stdout, /^derived cells against the random cells: -?\d+\.\d\d points, Welch t = -?\d+\.\d\d, df = \d+\.\d, p = \d/m);
  const bad = bnas('evaluate', REF, '--data', space, '--repeats', '21');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--repeats must be at most 20/);
});

test('evaluate --journal: killed after its first training, the same command trains only the rest, reports what an uninterrupted run does, and removes the journal', async () => {
  const journal = join(root, 'journal');
  const args = ['evaluate', REF, '--data', space, '--epochs', '1', '--adapt', '--random', '2', '--json', '--backend', 'wasm', '--threads', '1'];
  const child = spawn(process.execPath, [CLI, ...args, '--journal', journal], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  await new Promise<void>((done) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/journal: 1 of 3 trainings done/.test(stderr)) done();
    });
    void exited.then(() => done());
  });
  child.kill('SIGTERM');
  assert.equal(await exited, 130, stderr);
  const files = readdirSync(journal).filter((f) => f.endsWith('.jsonl'));
  assert.equal(files.length, 1);
  const kept = readFileSync(join(journal, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { label: string });
  assert.deepEqual(kept.map((e) => e.label), ['genotype']);

  const resumed = bnas(...args, '--journal', journal);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr.split('\n')[0] ?? '', /^journal: 1 of 3 trainings done/, 'the resumed evaluation first says what the journal holds');
  assert.doesNotMatch(resumed.stderr, /genotype epoch/, 'the journaled training is not trained again');
  const whole = bnas(...args);
  assert.equal(whole.status, 0, whole.stderr);
  const [a, b] = [JSON.parse(resumed.stdout), JSON.parse(whole.stdout)];
  assert.equal(a.accuracy, b.accuracy);
  assert.deepEqual(a.random, b.random);
  assert.equal(existsSync(journal), false, 'the journal (and its folder, now empty) is removed once the evaluation has reported');
});
