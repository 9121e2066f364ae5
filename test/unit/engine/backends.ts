/**
 * Switching the test process between backends; native TensorFlow is skipped with a reason where it
 * is not installed, and fails under BNAS_REQUIRE_NATIVE=1 (CI).
 */
import { initBackend } from '../../../runtime/engine/backend.js';

/**
 * Activates `name` ('cpu' | 'wasm' | 'node'); returns undefined when active, or why it is skipped.
 * Only the optional native backend may be skipped: cpu and wasm are dependencies and must load.
 */
export async function useBackend(name: 'cpu' | 'wasm' | 'node'): Promise<string | undefined> {
  if (name !== 'node') {
    await initBackend(name);
    return undefined;
  }
  try {
    await initBackend('node');
    return undefined;
  } catch (err) {
    const why = `native TensorFlow (@tensorflow/tfjs-node) does not load here: ${(err as Error).message.slice(0, 80)}`;
    // CI builds the native backend: there a skip would hide a broken backend.
    if (process.env.BNAS_REQUIRE_NATIVE === '1') throw new Error(`${why} (BNAS_REQUIRE_NATIVE=1)`);
    return why;
  }
}
