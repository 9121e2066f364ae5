/**
 * Backend selection. `auto` prefers native TensorFlow (tfjs-node-gpu, then tfjs-node: optional
 * dependencies that need a download at install time, so they are often absent), then wasm with
 * SIMD, then the pure-JS cpu backend. A forced choice that cannot load is an error that says
 * what is allowed.
 */
import * as tf from '@tensorflow/tfjs';
import { installGradNeeds, useSharedSaves, useZeroCopyIdentity } from './tfjs-patches.js';
import { installSimdKernels } from './simd.js';

/** What the user may ask for (`--backend`). */
export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];

/** The backend in use and why it was chosen (reported to the user). */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow` (native), `wasm` or `cpu`. */
  readonly name: string;
  readonly choice: BackendChoice;
  readonly reason: string;
  /** wasm only: whether SIMD is on. */
  readonly simd?: boolean;
}

/** Test seams: how the optional native package and the wasm package are loaded. */
export interface BackendLoaders {
  /** Loads a native package (registers the `tensorflow` backend) and returns its name. */
  readonly loadNative?: () => Promise<string>;
  /** Loads the wasm backend package (registers `wasm`). */
  readonly loadWasm?: () => Promise<void>;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function loadNativeDefault(): Promise<string> {
  const failures: string[] = [];
  let installed = false;
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier: the packages are optional and have no types when absent.
      await import(pkg);
      return pkg;
    } catch (err) {
      installed ||= !isNotFound(err);
      failures.push(`${pkg}: ${firstLine(err)}`);
    }
  }
  // Absent packages are the normal case (they are optional): say how to get them, not the
  // resolver's paths. A package that is there but fails to load keeps its error.
  if (!installed) throw new Error('not installed; `npm install @tensorflow/tfjs-node` where the runtime runs gives a faster backend');
  throw new Error(failures.join('; '));
}

async function loadWasmDefault(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
}

/** True when a dynamic import failed because the package is absent (not because it failed to load). */
function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(firstLine(err));
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

async function activate(name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

async function tryNative(loaders: BackendLoaders): Promise<BackendInfo> {
  const pkg = await (loaders.loadNative ?? loadNativeDefault)();
  await activate('tensorflow');
  return { name: 'tensorflow', choice: 'node', reason: `native TensorFlow from ${pkg}` };
}

async function tryWasm(loaders: BackendLoaders): Promise<BackendInfo> {
  await (loaders.loadWasm ?? loadWasmDefault)();
  await activate('wasm');
  useZeroCopyIdentity(true);
  useSharedSaves(true);
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const kernels = installSimdKernels();
  const engine = kernels.used ? '' : ` (engine SIMD kernels off: ${kernels.reason})`;
  return { name: 'wasm', choice: 'wasm', reason: `WebAssembly${simd ? ' with SIMD' : ' without SIMD (slower)'}, one thread${engine}`, simd };
}

async function useCpu(): Promise<BackendInfo> {
  await activate('cpu');
  useSharedSaves(true);
  return { name: 'cpu', choice: 'cpu', reason: 'pure-JS cpu backend (slowest; a correctness fallback)' };
}

/**
 * Selects and activates a TensorFlow.js backend.
 * @param choice `auto` (native → wasm → cpu), or a forced `node`, `wasm`, `cpu`
 * @returns the backend in use and why; for `auto`, the reason says what was skipped
 * @throws when a forced backend cannot load, naming the allowed choices
 */
export async function initBackend(choice: BackendChoice = 'auto', loaders: BackendLoaders = {}): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`unknown backend '${String(choice)}': use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  // Before any gradient runs, so the first one already skips what it does not differentiate.
  installGradNeeds();
  if (choice === 'cpu') return useCpu();
  if (choice === 'node') {
    try {
      return await tryNative(loaders);
    } catch (err) {
      throw new Error(
        `backend 'node' is unavailable: ${firstLine(err)}. Install @tensorflow/tfjs-node (its install ` +
          `downloads libtensorflow, so it needs internet) or use --backend auto, wasm or cpu.`,
      );
    }
  }
  if (choice === 'wasm') {
    try {
      return await tryWasm(loaders);
    } catch (err) {
      throw new Error(`backend 'wasm' is unavailable: ${firstLine(err)}. Use --backend auto or cpu.`);
    }
  }
  const skipped: string[] = [];
  try {
    const info = await tryNative(loaders);
    return { ...info, choice: 'auto' };
  } catch (err) {
    skipped.push(`native TensorFlow not available (${firstLine(err)})`);
  }
  try {
    const info = await tryWasm(loaders);
    return { ...info, choice: 'auto', reason: `${info.reason}; ${skipped.join('; ')}` };
  } catch (err) {
    skipped.push(`wasm failed (${firstLine(err)})`);
  }
  const info = await useCpu();
  return { ...info, choice: 'auto', reason: `${info.reason}; ${skipped.join('; ')}` };
}
