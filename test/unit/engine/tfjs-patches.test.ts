/**
 * The TF.js internals patched in runtime/engine/tfjs-patches.ts are those of one version: the
 * installed TensorFlow.js packages must be that version, and package.json must pin it exactly
 * (a caret range would let an install pick a version the patches were never read against).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { PATCHED_TFJS_VERSION } from '../../../runtime/engine/tfjs-patches.js';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(new URL(import.meta.url).pathname), '../../..');
const PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'];
const OPTIONAL = ['@tensorflow/tfjs-node'];

/** The installed version of a package, or undefined when it is not installed. */
function installed(name: string): string | undefined {
  let main: string;
  try {
    main = require.resolve(name);
  } catch {
    return undefined;
  }
  // Walk up from the entry point to the package's own package.json.
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (pkg.name === name) return pkg.version;
  }
  throw new Error(`no package.json of ${name} above ${main}`);
}

test('the installed TensorFlow.js packages are the version the patches are written against', () => {
  for (const name of PACKAGES) assert.equal(installed(name), PATCHED_TFJS_VERSION, `${name}: re-read runtime/engine/tfjs-patches.ts before changing the version`);
  for (const name of OPTIONAL) {
    const v = installed(name);
    if (v !== undefined) assert.equal(v, PATCHED_TFJS_VERSION, `${name}: re-read runtime/engine/tfjs-patches.ts before changing the version`);
  }
});

test('package.json and its lock pin that version exactly', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages[''];
  for (const manifest of [pkg, lock]) {
    const ranges = { ...manifest.dependencies, ...manifest.optionalDependencies };
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node']) {
      assert.equal(ranges[name], PATCHED_TFJS_VERSION, `${name} is pinned to ${PATCHED_TFJS_VERSION}`);
    }
  }
});
