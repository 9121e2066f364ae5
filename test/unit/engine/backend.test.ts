/**
 * Backend selection: forced choices, the auto fallback chain (native → wasm → cpu) with its
 * reason, and clear errors. Native TensorFlow cannot install here, so its success path is
 * exercised with a stand-in backend registered under the native name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { initBackend, nativeLoader, type BackendChoice } from '../../../runtime/engine/backend.js';

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

test('auto with the real loaders picks a working backend', async () => {
  const info = await initBackend('auto');
  assert.ok(['tensorflow', 'wasm'].includes(info.name), info.name);
  assert.equal(tf.getBackend(), info.name);
});

test('forced node gives a clear error naming the alternatives when it cannot load', async () => {
  await assert.rejects(initBackend('node', { loadNative: failNative }), /backend 'node' is unavailable.*--backend auto, wasm or cpu/);
});

/** Registers a stand-in for the native backend unless the real one is there; returns a remover. */
function standInNative(): { load: () => Promise<string>; remove: () => void } {
  const real = Boolean(tf.findBackend('tensorflow'));
  return {
    load: async () => {
      if (!tf.findBackend('tensorflow')) tf.registerBackend('tensorflow', () => new MathBackendCPU(), 1);
      return '@tensorflow/tfjs-node';
    },
    remove: () => {
      if (!real) tf.removeBackend('tensorflow');
    },
  };
}

/** A probe whose time depends on the active backend, counting its runs. */
function probeTaking(ms: Record<string, number>) {
  const probe = { label: 'a stand-in step', key: 'k', runs: 0, run: async () => (probe.runs++, ms[tf.getBackend()]) };
  return probe;
}

test('auto with native and wasm both loading: the faster on the probe runs, and the reason gives both times', async () => {
  const native = standInNative();
  try {
    const fastNative = await initBackend('auto', { loadNative: native.load }, probeTaking({ tensorflow: 5, wasm: 50 }));
    assert.equal(fastNative.name, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.match(fastNative.reason, /measured faster: 5\.0 ms against 50 ms on wasm for a stand-in step/);
    const fastWasm = await initBackend('auto', { loadNative: native.load }, probeTaking({ tensorflow: 500, wasm: 50 }));
    assert.equal(fastWasm.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(fastWasm.reason, /measured faster: 50 ms against 500 ms on native TensorFlow/);
  } finally {
    native.remove();
    await initBackend('cpu');
  }
});

test('auto without a probe takes wasm over native, and a cached measurement is not repeated', async () => {
  const native = standInNative();
  try {
    const plain = await initBackend('auto', { loadNative: native.load });
    assert.equal(plain.name, 'wasm');
    assert.match(plain.reason, /native TensorFlow also loads, not measured/);
    const store = new Map<string, Record<string, number>>();
    const cache = { get: (k: string) => store.get(k), set: (k: string, v: Record<string, number>) => void store.set(k, v) };
    const first = probeTaking({ tensorflow: 5, wasm: 50 });
    await initBackend('auto', { loadNative: native.load }, first, cache);
    assert.equal(first.runs, 4, 'a warm-up and a timed run on each backend');
    assert.deepEqual(store.get('k'), { tensorflow: 5, wasm: 50 });
    const again = probeTaking({ tensorflow: 500, wasm: 50 });
    const info = await initBackend('auto', { loadNative: native.load }, again, cache);
    assert.equal(again.runs, 0);
    assert.equal(info.name, 'tensorflow', 'the remembered measurement decides');
    assert.match(info.reason, /measured earlier on this machine/);
  } finally {
    native.remove();
    await initBackend('cpu');
  }
});

test('an unknown choice is rejected with the allowed values', async () => {
  await assert.rejects(initBackend('gpu' as BackendChoice), /unknown backend 'gpu': use one of auto, node, webgpu, wasm, cpu/);
});

test('auto without the optional native package says how to install it, not the resolver error', async () => {
  const absent = nativeLoader(async (pkg) => {
    throw Object.assign(new Error(`Cannot find package '${pkg}' imported from /x`), { code: 'ERR_MODULE_NOT_FOUND' });
  });
  const info = await initBackend('auto', { loadNative: absent });
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /native TensorFlow not available \(not installed; `npm install @tensorflow\/tfjs-node`/);
  assert.doesNotMatch(info.reason, /Cannot find package/);
});

/** A stand-in WebGPU loader: the adapter Dawn would report, and a cpu backend registered as `webgpu`. */
function standInWebgpu(software: boolean) {
  const adapter = { vendor: software ? 'mesa' : 'nvidia', architecture: software ? 'software' : 'ampere', description: software ? 'llvmpipe' : 'NVIDIA RTX A2000', software };
  return {
    loadWebgpu: async () => ({
      adapter,
      loadBackend: async () => {
        if (!tf.findBackend('webgpu')) tf.registerBackend('webgpu', () => new MathBackendCPU(), 0);
      },
    }),
    gpuDriverLikely: () => true,
  };
}

test('auto takes a hardware GPU adapter (without a probe) and names it; it never takes a software adapter', async () => {
  try {
    const gpu = await initBackend('auto', { loadNative: failNative, ...standInWebgpu(false) });
    assert.equal(gpu.name, 'webgpu');
    assert.equal(gpu.adapter?.software, false);
    assert.match(gpu.reason, /^WebGPU on nvidia ampere \(NVIDIA RTX A2000\); wasm also loads, not measured/);
    const soft = await initBackend('auto', { loadNative: failNative, ...standInWebgpu(true) });
    assert.equal(soft.name, 'wasm');
    assert.match(soft.reason, /no WebGPU \(only mesa software \(llvmpipe\), a software adapter, which auto does not use\)/);
    const none = await initBackend('auto', { loadNative: failNative, ...standInWebgpu(false), gpuDriverLikely: () => false });
    assert.equal(none.name, 'wasm');
    assert.match(none.reason, /no WebGPU \(no GPU driver found\)/);
    const forced = await initBackend('webgpu', standInWebgpu(true));
    assert.equal(forced.name, 'webgpu');
    assert.match(forced.reason, /^WebGPU on mesa software \(llvmpipe\), a software adapter$/);
  } finally {
    if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
    await initBackend('cpu');
  }
});

test('auto times a hardware GPU with the other backends on the probe', async () => {
  try {
    const info = await initBackend('auto', { loadNative: failNative, ...standInWebgpu(false) }, probeTaking({ webgpu: 5, wasm: 50 }));
    assert.equal(info.name, 'webgpu');
    assert.match(info.reason, /measured faster: 5\.0 ms against 50 ms on wasm/);
    const slow = await initBackend('auto', { loadNative: failNative, ...standInWebgpu(false) }, probeTaking({ webgpu: 500, wasm: 50 }));
    assert.equal(slow.name, 'wasm');
    assert.match(slow.reason, /measured faster: 50 ms against 500 ms on WebGPU/);
  } finally {
    if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
    await initBackend('cpu');
  }
});

test('forced webgpu without the packages says what it needs', async () => {
  const absent = async () => {
    throw Object.assign(new Error("Cannot find package 'webgpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
  };
  await assert.rejects(initBackend('webgpu', { loadWebgpu: absent }), /backend 'webgpu' is unavailable: not installed \(the optional packages webgpu and @tensorflow\/tfjs-backend-webgpu\)/);
});
