/** The per-machine cache of backend measurements: where it lives, what it keeps, what it ignores. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendCachePath, fileProbeCache } from '../../../runtime/engine/backend-cache.js';

test('the cache file follows XDG_CACHE_HOME, can be named or turned off', () => {
  assert.equal(backendCachePath({ XDG_CACHE_HOME: '/c' }), join('/c', 'bnas-studio', 'backend-probes.json'));
  assert.equal(backendCachePath({ BNAS_BACKEND_CACHE: '/x/y.json' }), '/x/y.json');
  assert.equal(backendCachePath({ BNAS_BACKEND_CACHE: 'off' }), undefined);
  assert.equal(fileProbeCache(undefined), undefined);
});

test('a measurement is kept per machine and key; unreadable or invalid entries count as absent', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'bnas-cache-')), 'sub', 'probes.json');
  const cache = fileProbeCache(path);
  assert.ok(cache);
  assert.equal(cache.get('search abc'), undefined, 'no file yet');
  cache.set('search abc', { wasm: 12, tensorflow: 30 });
  assert.deepEqual(cache.get('search abc'), { wasm: 12, tensorflow: 30 });
  assert.equal(cache.get('search other'), undefined);
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const [key] = Object.keys(stored);
  assert.match(key, /^tfjs [\d.]+ · \d+ × .* · search abc$/, 'the key names the tfjs version and the processor');
  writeFileSync(path, JSON.stringify({ [key]: { wasm: -1 } }));
  assert.equal(cache.get('search abc'), undefined, 'a non-positive time is not trusted');
  writeFileSync(path, '{not json');
  assert.equal(cache.get('search abc'), undefined);
  cache.set('search abc', { wasm: 1, tensorflow: 2 });
  assert.deepEqual(cache.get('search abc'), { wasm: 1, tensorflow: 2 }, 'a corrupt file is replaced');
});
