// End to end through the built command line (npm test builds first): search, export, evaluate,
// bad input, and cancel over IPC + resume. A tiny space keeps each run to seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseRunEvent, type RunEvent } from '../../runtime/protocol/events.js';
import { parseGenotypeDarts } from '../../runtime/protocol/genotype-format.js';

const CLI = resolve('dist/cli.cjs');
const root = mkdtempSync(join(tmpdir(), 'bnas-cli-'));
const TINY = `search "tiny-cli" {
  data { source = synthetic, train = 96, split = 0.5, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]
  sampling { k = 2 }
  pruning { criterion = alpha, start = 1, every = 1 }
  train { epochs = 3, batch = 16, warmup = 1, seed = 5 }
}
`;
const space = join(root, 'tiny.bnas');
writeFileSync(space, TINY);
const bnas = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });

test('search --json: JSON events on stdout, a complete run folder, cells printed; export in three formats', () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const out = join(root, 'run');
  const r = bnas('search', space, '--out', out, '--json', '--backend', 'wasm');
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => parseRunEvent(JSON.parse(l)));
  assert.ok(events.every((e) => e !== undefined));
  assert.deepEqual([events[0]?.type, events.at(-1)?.type], ['started', 'finished']);
  assert.equal(readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').length, events.length);
  for (const f of ['space.bnas', 'result.json', 'normal.mmd', 'reduce.mmd']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(readFileSync(join(out, 'space.bnas'), 'utf8'), TINY);
  assert.match(r.stderr, /normal cell:\n {2}node 0 ← /);

  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  // Each cell's parameter-free share, in result.json and in the summary.
  const free = (cell: 'normal' | 'reduce') =>
    result.genotype[cell].filter(([op, input]: [string, number]) => ['max_pool_3x3', 'none'].includes(op) || (op === 'skip_connect' && (cell === 'normal' || input >= 2))).length;
  assert.deepEqual(result.param_free, { normal: free('normal') / 4, reduce: free('reduce') / 4 });
  assert.ok(r.stderr.includes(`parameter-free edges (pool, skip, none): normal ${free('normal')} of 4, reduction ${free('reduce')} of 4\n`), r.stderr);
  assert.equal(/warning: the .* mostly parameter-free/.test(r.stderr), free('normal') > 2 || free('reduce') > 2);
  const json = bnas('export', out, '--format', 'json');
  assert.equal(json.status, 0);
  assert.deepEqual(JSON.parse(json.stdout), result.genotype);
  const darts = bnas('export', out, '--format', 'darts');
  assert.equal(darts.status, 0);
  assert.deepEqual(parseGenotypeDarts(darts.stdout).genotype, result.genotype);
  const mmd = bnas('export', out, '--format', 'mermaid');
  assert.equal(mmd.status, 0);
  assert.match(mmd.stdout, /^%% normal cell\nflowchart LR\n/);
  assert.equal(mmd.stdout.split('flowchart LR').length, 3);
  assert.ok(mmd.stdout.includes(readFileSync(join(out, 'normal.mmd'), 'utf8')));
  assert.equal(bnas('export', out, '--format', 'yaml').status, 2);
  assert.equal(bnas('export', join(root, 'nowhere'), '--format', 'json').status, 2);

  const ev = bnas('evaluate', out, '--data', space, '--epochs', '1', '--random', '1', '--json', '--backend', 'wasm', '--threads', '1');
  assert.equal(ev.status, 0, ev.stderr);
  const report = JSON.parse(ev.stdout);
  assert.deepEqual(Object.keys(report).sort(), ['accuracy', 'epochs', 'parameters', 'random', 'random_caps', 'random_cells', 'random_rule', 'seconds']);
  assert.equal(report.random_rule, 'caps');
  assert.ok(report.accuracy >= 0 && report.accuracy <= 1);
  assert.equal(report.random.length, 1);
  assert.equal(report.epochs, 1);
});

test('search (human output): the summary names the run folder, how to export it and how to check its cell against random cells', () => {
  const out = join(root, 'human');
  const r = bnas('search', space, '--out', out, '--backend', 'wasm');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`run folder: ${out} (bnas export ${out} --format darts|json|mermaid|pytorch)\n`), r.stderr);
  assert.ok(r.stderr.includes(`bnas evaluate ${out} --data ${space} --random 4\n`), r.stderr);
});

test('--threads 2 --unsharded-steps: the steps on one thread, pruning and measurements on two (the started event says so); with auto it is a usage error', () => {
  const out = join(root, 'unsharded');
  const r = bnas('search', space, '--out', out, '--json', '--backend', 'wasm', '--threads', '2', '--unsharded-steps');
  assert.equal(r.status, 0, r.stderr);
  const started = parseRunEvent(JSON.parse(r.stdout.split('\n')[0]));
  assert.ok(started?.type === 'started' && started.threads === 2 && started.shard_steps === false, r.stdout.split('\n')[0]);
  const usage = bnas('search', space, '--out', join(root, 'unsharded-auto'), '--unsharded-steps');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--unsharded-steps needs --threads N/);
});

test('an invalid space prints diagnostics, exits 1 and leaves no run folder', () => {
  const bad = join(root, 'bad.bnas');
  writeFileSync(bad, 'search "bad" {\n  ops = [sep_conv_3x3, sep_conv_9x9]\n}\n');
  const out = join(root, 'bad-run');
  const r = bnas('search', bad, '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.bnas:2:\d+: error /);
  assert.ok(!existsSync(out));
  assert.equal(bnas('search', bad).status, 2, '--out is required');
});

test('truncated data: a clear message naming the file, exit 1, no run folder', () => {
  const data = join(root, 'idx');
  mkdirSync(data);
  const header = (magic: number, dims: number[]) => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return b;
  };
  // Headers promise 100 images of 8×8 but the files hold only 10 bytes of pixels.
  writeFileSync(join(data, 'train-images-idx3-ubyte'), Buffer.concat([header(2051, [100, 8, 8]), Buffer.alloc(10)]));
  writeFileSync(join(data, 'train-labels-idx1-ubyte'), Buffer.concat([header(2049, [100]), Buffer.alloc(100)]));
  writeFileSync(join(data, 't10k-images-idx3-ubyte'), Buffer.concat([header(2051, [10, 8, 8]), Buffer.alloc(640)]));
  writeFileSync(join(data, 't10k-labels-idx1-ubyte'), Buffer.concat([header(2049, [10]), Buffer.alloc(10)]));
  const file = join(root, 'idx.bnas');
  writeFileSync(file, TINY.replace('source = synthetic, train = 96', `source = idx, path = "${data}", train = 40`).replace('test = 32', 'test = 10'));
  const out = join(root, 'idx-run');
  const r = bnas('search', file, '--out', out, '--backend', 'cpu');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /train-images-idx3-ubyte/);
  assert.ok(!existsSync(out));
});

/**
 * Forks `bnas search` on the tiny space with IPC, calls `onEvent` with the child and each event
 * it sends, and resolves with the exit code.
 */
function forkSearch(out: string, onEvent: (child: ChildProcess, e: RunEvent) => void): Promise<number | null> {
  const child = fork(CLI, ['search', space, '--out', out, '--backend', 'wasm'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  return new Promise((done) => {
    child.on('message', (m) => {
      const e = parseRunEvent(m);
      if (e) onEvent(child, e);
    });
    child.on('exit', (c) => done(c));
  });
}

/** The last event written to a run folder's events.jsonl. */
const lastEventType = (out: string) => JSON.parse(readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').at(-1)!).type;

test('a parent that closes the IPC channel mid-search stops it with a checkpoint (exit 130); after finished it does not', async () => {
  const out = join(root, 'orphan');
  const code = await forkSearch(out, (child, e) => e.type === 'epoch' && child.connected && child.disconnect());
  assert.equal(code, 130);
  assert.equal(lastEventType(out), 'cancelled');
  assert.ok(existsSync(join(out, 'checkpoint', 'state.json')));

  // The extension closes the channel itself once a terminal event arrived: the run stays finished.
  const done = join(root, 'closed-after-finish');
  const finishedCode = await forkSearch(done, (child, e) => e.type === 'finished' && child.connected && child.disconnect());
  assert.equal(finishedCode, 0);
  assert.ok(existsSync(join(done, 'result.json')));
});

test('cancel over IPC writes a checkpoint and exits 130; --resume finishes', async () => {
  const out = join(root, 'ipc');
  const code = await forkSearch(out, (child, e) => e.type === 'epoch' && child.send({ type: 'cancel' }));
  assert.equal(code, 130);
  assert.equal(lastEventType(out), 'cancelled');
  assert.ok(existsSync(join(out, 'checkpoint', 'state.json')));
  const again = bnas('search', space, '--out', out);
  assert.equal(again.status, 2, 'an unfinished run is not overwritten without --resume');
  assert.match(again.stderr, /--resume/);
  const resumed = bnas('search', space, '--out', out, '--resume', '--backend', 'wasm');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(existsSync(join(out, 'result.json')));
});
