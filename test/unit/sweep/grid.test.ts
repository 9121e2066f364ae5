// The grid of a sweep and the settings written into each trial's space: expansion order and ids,
// value splitting, key checking against the language schema, and the AST-placed edits (replace,
// add to a block, add a block) validated like any .bnas file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGrid, parseAxis, parseSeeds, splitValues } from '../../../runtime/sweep/grid.js';
import { applySettings, parseKey, SettingError } from '../../../runtime/sweep/overrides.js';
import { splitArgs } from '../../../runtime/sweep/slurm.js';
import { defaultParallelism } from '../../../runtime/sweep/local.js';

const SPACE = `# a comment that must survive
search "g" {
  data { source = synthetic, train = 64, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]
  sampling {
    k = 2 # partial channels
  }
  train { epochs = 3, batch = 16, seed = 5 }
}
`;

test('seeds: lists and ranges; anything else is refused', () => {
  assert.deepEqual(parseSeeds('1,2, 3'), [1, 2, 3]);
  assert.deepEqual(parseSeeds('4-6,9'), [4, 5, 6, 9]);
  assert.throws(() => parseSeeds('1,x'), SettingError);
  assert.throws(() => parseSeeds('1,1'), /repeats/);
  assert.throws(() => parseSeeds('5-2'), /bad range/);
});

test('values split on commas outside lists and quotes', () => {
  assert.deepEqual(splitValues('1,2'), ['1', '2']);
  assert.deepEqual(splitValues('[a, b],[c]'), ['[a, b]', '[c]']);
  assert.deepEqual(splitValues('"x,y",z'), ['"x,y"', 'z']);
});

test('keys are language paths checked against the schema, with a suggestion', () => {
  assert.deepEqual(parseKey('sampling.k'), { kind: 'sampling', name: undefined, attr: 'k' });
  assert.deepEqual(parseKey('ops'), { attr: 'ops' });
  assert.deepEqual(parseKey('optimizer.weights.lr'), { kind: 'optimizer', name: 'weights', attr: 'lr' });
  assert.throws(() => parseKey('sampling.kk'), /did you mean 'sampling.k'/);
  assert.throws(() => parseKey('optimizer.lr'), SettingError);
  assert.throws(() => parseAxis('sampling.k'), /key=value/);
  assert.throws(() => parseAxis('train.seed=1,2'), /--seeds/);
});

test('the grid: settings in order, seeds innermost, ids unique and safe as folder names', () => {
  const trials = expandGrid({ seeds: [1, 2], axes: [parseAxis('sampling.k=1,2'), parseAxis('pruning.criterion=alpha,performance')] });
  assert.equal(trials.length, 8);
  assert.deepEqual(trials.slice(0, 3).map((t) => t.id), ['k-1_criterion-alpha_seed-1', 'k-1_criterion-alpha_seed-2', 'k-1_criterion-performance_seed-1']);
  assert.equal(new Set(trials.map((t) => t.id)).size, 8);
  assert.deepEqual(expandGrid({ seeds: [3], axes: [] }).map((t) => [t.id, t.settings]), [['seed-3', []]]);
  // A key with one value is the same in every trial: it is set, not named.
  assert.deepEqual(expandGrid({ seeds: [3], axes: [parseAxis('sampling.k=1'), parseAxis('train.batch=8,16')] }).map((t) => [t.id, t.settings.length]), [['batch-8_seed-3', 2], ['batch-16_seed-3', 2]]);
  // Values that would be the same slug, and names a user writes with path characters.
  const odd = expandGrid({ seeds: [1], axes: [{ key: 'ops', values: ['[../x, y]', '[.. /x, y]'] }] });
  assert.equal(new Set(odd.map((t) => t.id)).size, 2);
  for (const t of odd) assert.match(t.id, /^[A-Za-z0-9._~-]+$/);
  assert.ok(odd.every((t) => !t.id.includes('..') || !t.id.includes('/')));
});

test('settings replace a written value in place, keeping comments and layout', () => {
  const { text, space } = applySettings(SPACE, [{ key: 'sampling.k', value: '1' }], '/tmp/g.bnas');
  assert.equal(space.sampling.k, 1);
  assert.equal(text, SPACE.replace('k = 2 # partial', 'k = 1 # partial'));
});

test('two settings of a block the file lacks land in one new block', () => {
  const { text, space } = applySettings(SPACE, [{ key: 'derive.max_param_free', value: '8' }, { key: 'derive.max_inner_edges', value: '0' }], '/tmp/g.bnas');
  assert.equal(text.match(/derive \{/g)?.length, 1);
  assert.equal(space.derive?.maxInnerEdges, 0);
  assert.equal(space.derive?.maxParamFree, undefined);
});

test('settings add a missing attribute to its block, and a missing block to the search', () => {
  const { text, space } = applySettings(SPACE, [{ key: 'train.warmup', value: '0' }, { key: 'pruning.criterion', value: 'alpha' }, { key: 'optimizer.weights.lr', value: '0.01' }], '/tmp/g.bnas');
  assert.match(text, /train \{ epochs = 3, batch = 16, seed = 5, warmup = 0 \}/);
  assert.match(text, /\n {2}pruning \{ criterion = alpha \}/);
  assert.match(text, /\n {2}optimizer weights \{ lr = 0.01 \}/);
  assert.equal(space.train.warmup, 0);
  assert.equal(space.pruning.criterion, 'alpha');
  assert.ok(text.startsWith('# a comment that must survive'));
});

test('a value the language rejects names the setting; the swept file must be valid', () => {
  assert.throws(() => applySettings(SPACE, [{ key: 'sampling.k', value: 'lots' }], '/tmp/g.bnas'), /sampling.k=lots is invalid/);
  assert.throws(() => applySettings(SPACE, [{ key: 'sampling.k', value: '3' }], '/tmp/g.bnas'), /invalid/);
  assert.throws(() => applySettings(SPACE.replace('k = 2', 'k = '), [], '/tmp/g.bnas'), /has errors/);
});

test('a relative data path is made absolute, so the trial copy reads the same files; missing files are found up front', () => {
  const root = mkdtempSync(join(tmpdir(), 'bnas-grid-'));
  mkdirSync(join(root, 'data', 'x'), { recursive: true });
  const idx = SPACE.replace('source = synthetic, train = 64', 'source = idx, path = "data/x", train = 64');
  const { text } = applySettings(idx, [], join(root, 'g.bnas'));
  assert.ok(text.includes(`path = ${JSON.stringify(join(root, 'data', 'x'))}`), text);
  assert.throws(() => applySettings(idx, [{ key: 'data.path', value: '"nowhere"' }], join(root, 'g.bnas')), /does not exist/);
});

test('--slurm-args split like a shell: quotes group, nothing is expanded', () => {
  assert.deepEqual(splitArgs('--partition=gpu  --time 2:00:00'), ['--partition=gpu', '--time', '2:00:00']);
  assert.deepEqual(splitArgs(`--comment="a b" --x='$HOME'`), ['--comment=a b', '--x=$HOME']);
  assert.deepEqual(splitArgs(''), []);
});

test('default local parallelism: one trial per core, fewer when free memory holds fewer supernets', () => {
  const { space } = applySettings(SPACE, [], '/tmp/g.bnas');
  assert.equal(defaultParallelism([space], 64_000, 4), 4);
  assert.equal(defaultParallelism([space], 400, 4), 1);
  const big = applySettings(SPACE, [{ key: 'supernet.channels', value: '64' }, { key: 'data.image', value: '32' }, { key: 'train.batch', value: '256' }], '/tmp/g.bnas').space;
  assert.ok(defaultParallelism([space, big], 8_000, 16) < defaultParallelism([space], 8_000, 16), 'the largest trial sets the size');
});
