// `bnas export RUN --format pytorch` and `bnas evaluate --save DIR` through the built command line:
// the Python file of a run folder, its errors, and a trained network saved with the file that loads
// it (its parameter count is `parameters` of --json; with PyTorch, the weights load strictly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSafetensors } from '../../runtime/export/weights.js';
import { findTorchPython, needs, torchCheck } from '../unit/export/python.js';

const CLI = resolve('dist/cli.cjs');
const root = mkdtempSync(join(tmpdir(), 'bnas-cli-export-'));
const run = join(root, 'run');
mkdirSync(run);
writeFileSync(join(run, 'space.bnas'), `search "tiny-export" {
  data { source = synthetic, train = 64, split = 0.5, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, avg_pool_3x3, skip_connect, none]
  train { epochs = 2, batch = 16, warmup = 1, seed = 5 }
}
`);
const genotype = { normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['avg_pool_3x3', 2], ['sep_conv_3x3', 0]], normal_concat: [2, 3], reduce: [['avg_pool_3x3', 0], ['sep_conv_3x3', 1], ['skip_connect', 2], ['none', 1]], reduce_concat: [2, 3] };
writeFileSync(join(run, 'result.json'), JSON.stringify({ genotype }));
const bnas = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });

test('export --format pytorch: the file of a run folder, printed or written with --out', () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const printed = bnas('export', run, '--format', 'pytorch');
  assert.equal(printed.status, 0, printed.stderr);
  assert.match(printed.stdout, /^"""The derived binary network/);
  assert.match(printed.stdout, /^INPUT_SHAPE = \(3, 8, 8\)/m);
  assert.match(printed.stdout, /^SPACE_NAME = "tiny-export"$/m);
  const file = join(root, 'model.py');
  const written = bnas('export', run, '--format', 'pytorch', '--out', file);
  assert.equal(written.status, 0, written.stderr);
  assert.equal(written.stdout, '');
  assert.equal(readFileSync(file, 'utf8'), printed.stdout);
});

test('export --format pytorch: an op neither in the space nor built in is exit 1; --out without pytorch is a usage error', () => {
  const bad = join(root, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'space.bnas'), readFileSync(join(run, 'space.bnas')));
  writeFileSync(join(bad, 'result.json'), JSON.stringify({ genotype: { ...genotype, normal: [['no_such_op', 0], ...genotype.normal.slice(1)] } }));
  const r = bnas('export', bad, '--format', 'pytorch');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown op 'no_such_op'/);
  const usage = bnas('export', run, '--format', 'json', '--out', join(root, 'x.json'));
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--out and --data go with --format pytorch/);
});

test('evaluate --save DIR --json: parameters reported, weights and model.py saved and loadable', async (t) => {
  const save = join(root, 'trained');
  const r = bnas('evaluate', run, '--data', join(run, 'space.bnas'), '--epochs', '1', '--json', '--save', save, '--backend', 'wasm');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { parameters: number };
  assert.ok(Number.isInteger(report.parameters) && report.parameters > 0, String(report.parameters));
  const { tensors, metadata } = readSafetensors(join(save, 'weights.safetensors'));
  const trainable = tensors.filter((x) => !/\.running(Mean|Var)$/.test(x.name)).reduce((n, x) => n + x.data.length, 0);
  assert.equal(trainable, report.parameters);
  assert.deepEqual(JSON.parse(metadata.genotype), genotype);
  assert.ok(tensors.every((x) => x.data.every(Number.isFinite)));
  assert.ok(existsSync(join(save, 'model.py')));
  const python = findTorchPython();
  if (!needs(t, python, 'PyTorch')) return;
  const out = torchCheck(python, 'count', join(save, 'model.py'), join(save, 'weights.safetensors'));
  assert.equal(out.parameters, report.parameters);
});
