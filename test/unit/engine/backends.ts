/** Switching the test process between backends; native TensorFlow is skipped with a reason. */
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
    return `native TensorFlow (@tensorflow/tfjs-node) does not load here: ${(err as Error).message.slice(0, 80)}`;
  }
}
