/**
 * Switching the test process between backends; native TensorFlow and WebGPU are skipped with a
 * reason where they do not load, and fail under BNAS_REQUIRE_NATIVE=1 / BNAS_REQUIRE_WEBGPU=1 (CI).
 */
import { initBackend } from '../../../runtime/engine/backend.js';

/**
 * Activates `name`; returns undefined when active, or why it is skipped. Only the optional
 * backends may be skipped: cpu and wasm are dependencies and must load.
 */
export async function useBackend(name: 'cpu' | 'wasm' | 'node' | 'webgpu'): Promise<string | undefined> {
  if (name === 'cpu' || name === 'wasm') {
    await initBackend(name);
    return undefined;
  }
  try {
    await initBackend(name);
    return undefined;
  } catch (err) {
    const what = name === 'node' ? 'native TensorFlow (@tensorflow/tfjs-node)' : 'WebGPU';
    const why = `${what} does not load here: ${(err as Error).message.slice(0, 160)}`;
    // CI builds the native backend and sets up a WebGPU adapter: there a skip would hide a broken backend.
    const required = name === 'node' ? 'BNAS_REQUIRE_NATIVE' : 'BNAS_REQUIRE_WEBGPU';
    if (process.env[required] === '1') throw new Error(`${why} (${required}=1)`);
    return why;
  }
}
