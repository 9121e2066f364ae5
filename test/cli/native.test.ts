// The native backend (@tensorflow/tfjs-node) end to end through the built command line: a search,
// an evaluate, and `auto` choosing by measurement when native and wasm both load. The package is
// optional; where it does not load these tests are skipped, except under BNAS_REQUIRE_NATIVE=1
// (CI builds it, scripts/native/tfjs-node-offline.sh), where its absence fails them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { everyKindSpace } from './every-kind-space.js';

const CLI = resolve('dist/cli.cjs');
const root = mkdtempSync(join(tmpdir(), 'bnas-native-'));
const space = join(root, 'tiny.bnas');
writeFileSync(space, everyKindSpace('tiny-native', { train: 96, test: 32, batch: 16 }));
const cache = join(root, 'backend-probes.json');
const bnas = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, BNAS_BACKEND_CACHE: cache } });

function nativeMissing(): string | undefined {
  try {
    createRequire(import.meta.url)('@tensorflow/tfjs-node');
    return undefined;
  } catch (err) {
    const why = `@tensorflow/tfjs-node does not load: ${(err as Error).message.split('\n')[0]}`;
    if (process.env.BNAS_REQUIRE_NATIVE === '1') throw new Error(`${why} (BNAS_REQUIRE_NATIVE=1)`);
    return why;
  }
}
const missing = nativeMissing();

test('search and evaluate run on the native backend', { skip: missing }, () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const out = join(root, 'run');
  const r = bnas('search', space, '--out', out, '--backend', 'node');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /searching "tiny-native" on tensorflow \(native TensorFlow from @tensorflow\/tfjs-node/);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assert.equal(result.backend, 'tensorflow');
  assert.equal(result.genotype.normal.length, 4);
  assert.ok(result.metrics.valid_acc >= 0 && result.metrics.valid_acc <= 1);

  const ev = bnas('evaluate', out, '--data', space, '--epochs', '1', '--json', '--backend', 'node');
  assert.equal(ev.status, 0, ev.stderr);
  const report = JSON.parse(ev.stdout);
  assert.ok(report.accuracy >= 0 && report.accuracy <= 1);
});

test('auto with native and wasm both present measures both on the work and says which won', { skip: missing }, () => {
  const out = join(root, 'auto');
  const r = bnas('search', space, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const line = /searching "tiny-native" on (wasm|tensorflow) \((.*)\): /.exec(r.stderr);
  assert.ok(line, r.stderr);
  assert.match(line[2], /measured faster: [\d.]+ ms against [\d.]+ ms on (wasm|native TensorFlow) for a supernet weight step of this space/);
  const remembered = JSON.parse(readFileSync(cache, 'utf8')) as Record<string, Record<string, number>>;
  const entry = Object.entries(remembered).find(([k]) => k.includes(' · search '));
  assert.ok(entry, 'the measurement is cached');
  assert.deepEqual(Object.keys(entry[1]).sort(), ['tensorflow', 'wasm']);
  const winner = entry[1].tensorflow < entry[1].wasm ? 'tensorflow' : 'wasm';
  assert.equal(line[1], winner);

  const again = bnas('search', space, '--out', join(root, 'auto-again'));
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`on ${winner} \\(.*measured earlier on this machine`));
});
