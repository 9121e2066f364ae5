/**
 * Backend selection: forced choices, the auto fallback chain (native → wasm → cpu) with its
 * reason, and clear errors. Native TensorFlow cannot install here, so its success path is
 * exercised with a stand-in backend registered under the native name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { initBackend, type BackendChoice } from '../../../runtime/engine/backend.js';

const failNative = async (): Promise<string> => {
  throw new Error("Cannot find package '@tensorflow/tfjs-node'");
};

test('cpu and wasm can be forced; wasm reports SIMD', async () => {
  const cpu = await initBackend('cpu');
  assert.equal(cpu.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const wasm = await initBackend('wasm');
  assert.equal(wasm.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(wasm.simd, true, 'Node 20 runs wasm SIMD');
  assert.match(wasm.reason, /SIMD/);
});

test('auto falls back to wasm when native TensorFlow does not load, and says why', async () => {
  const info = await initBackend('auto', { loadNative: failNative });
  assert.equal(info.name, 'wasm');
  assert.equal(info.choice, 'auto');
  assert.match(info.reason, /native TensorFlow not available.*tfjs-node/);
});

test('auto falls back to cpu when wasm fails too', async () => {
  const info = await initBackend('auto', {
    loadNative: failNative,
    loadWasm: async () => {
      throw new Error('no WebAssembly');
    },
  });
  assert.equal(info.name, 'cpu');
  assert.match(info.reason, /wasm failed \(no WebAssembly\)/);
});

test('auto with the real loaders picks a working backend (native when installed)', async () => {
  const info = await initBackend('auto');
  assert.ok(['tensorflow', 'wasm'].includes(info.name), info.name);
  assert.equal(tf.getBackend(), info.name);
});

test('forced node gives a clear error naming the alternatives when it cannot load', async () => {
  await assert.rejects(initBackend('node', { loadNative: failNative }), /backend 'node' is unavailable.*--backend auto, wasm or cpu/);
});

test('auto prefers native TensorFlow when it loads', async () => {
  // Stand-in: register a cpu backend under the native backend's name, as tfjs-node would.
  const info = await initBackend('auto', {
    loadNative: async () => {
      if (!tf.findBackend('tensorflow')) tf.registerBackend('tensorflow', () => new MathBackendCPU(), 1);
      return '@tensorflow/tfjs-node';
    },
  });
  assert.equal(info.name, 'tensorflow');
  assert.match(info.reason, /native TensorFlow from @tensorflow\/tfjs-node/);
  tf.removeBackend('tensorflow');
  await initBackend('cpu');
});

test('an unknown choice is rejected with the allowed values', async () => {
  await assert.rejects(initBackend('gpu' as BackendChoice), /unknown backend 'gpu': use one of auto, node, wasm, cpu/);
});

test('auto without the optional native package says how to install it, not the resolver error', async (t) => {
  const present = await import('@tensorflow/tfjs-node' as string).then(
    () => true,
    () => false,
  );
  if (present) return t.skip('@tensorflow/tfjs-node is installed here');
  const info = await initBackend('auto');
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /native TensorFlow not available \(not installed; `npm install @tensorflow\/tfjs-node`/);
  assert.doesNotMatch(info.reason, /Cannot find package/);
});
