// WebGPU end to end through the built command line: a tiny search and an evaluate with
// `--backend webgpu`, the adapter named in the output, and `auto`, which never takes a software
// adapter. Skipped without a WebGPU adapter, except under BNAS_REQUIRE_WEBGPU=1 (CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend, releaseBackend } from '../../runtime/engine/backend.js';
import { useBackend } from '../unit/engine/backends.js';
import { everyKindSpace } from '../cli/every-kind-space.js';

const CLI = resolve('dist/cli.cjs');
const root = mkdtempSync(join(tmpdir(), 'bnas-webgpu-'));
const space = join(root, 'tiny.bnas');
writeFileSync(space, everyKindSpace('tiny-webgpu', { train: 32, test: 16, batch: 8 }));
const bnas = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, BNAS_BACKEND_CACHE: 'off' } });

const missing = await useBackend('webgpu');
const adapter = missing ? undefined : (await initBackend('webgpu')).adapter;
await initBackend('cpu');
releaseBackend();

test('search and evaluate run on webgpu and name the adapter', { skip: missing }, () => {
  assert.ok(existsSync(CLI), 'run npm run build first');
  const out = join(root, 'run');
  const r = bnas('search', space, '--out', out, '--backend', 'webgpu');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /searching "tiny-webgpu" on webgpu \(WebGPU on [^)]+/);
  assert.doesNotMatch(r.stderr, /validation|Invalid/, 'no WebGPU validation error');
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  assert.equal(result.backend, 'webgpu');
  assert.equal(result.genotype.normal.length, 4);
  assert.ok(result.metrics.valid_acc >= 0 && result.metrics.valid_acc <= 1);
  const started = readFileSync(join(out, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'started');
  assert.match(started.backend_reason, /^WebGPU on /);

  const ev = bnas('evaluate', out, '--data', space, '--epochs', '1', '--json', '--backend', 'webgpu');
  assert.equal(ev.status, 0, ev.stderr);
  const report = JSON.parse(ev.stdout);
  assert.ok(report.accuracy >= 0 && report.accuracy <= 1);
});

test('auto does not take a software adapter', { skip: missing ?? (adapter?.software ? undefined : 'the adapter here is a hardware GPU') }, () => {
  const out = join(root, 'auto');
  const r = bnas('search', space, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const line = /searching "tiny-webgpu" on (\S+) \((.*)\): /.exec(r.stderr);
  assert.ok(line, r.stderr);
  assert.notEqual(line[1], 'webgpu', line[2]);
});
