/**
 * The backends a user may ask for (`--backend`, the `bnas.backend` setting), apart from the engine
 * so that the extension and commands which only check the option (the sweep coordinator) do not
 * load TensorFlow.js.
 */
export type BackendChoice = 'auto' | 'node' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node', 'webgpu', 'wasm', 'cpu'];
