/**
 * Backend selection (docs/design.md, "Backends and kernels"). `auto` loads native TensorFlow
 * (tfjs-node-gpu, then tfjs-node: optional dependencies that need a download at install time) and
 * wasm with SIMD; when both load and the caller passes a probe of its work, the faster one on that
 * work runs, by measurement (cached per machine, see backend-cache.ts), else wasm. The pure-JS cpu
 * backend is the last resort. A forced choice that cannot load is an error that says what is
 * allowed.
 */
import * as tf from '@tensorflow/tfjs';
import { installGradNeeds, useSharedSaves, useZeroCopyIdentity } from './tfjs-patches.js';
import { installSimdKernels } from './simd.js';

import { BACKEND_CHOICES, type BackendChoice } from './backend-choice.js';

/** What the user may ask for (`--backend`). */
export { BACKEND_CHOICES, type BackendChoice };

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

/** A sample of the caller's work that `auto` times on each backend that loads. */
export interface BackendProbe {
  /** What is measured, for the reason shown to the user (e.g. "a supernet weight step"). */
  readonly label: string;
  /** Identifies the work's shape for the cache (same key, same answer on this machine). */
  readonly key: string;
  /** Runs the work once on the active backend, tidily; returns its wall time in ms. */
  run(): number;
}

/** Remembers measured choices across processes (a file per user); absent in tests. */
export interface ProbeCache {
  get(key: string): ProbeResult | undefined;
  set(key: string, result: ProbeResult): void;
}

/** Milliseconds of one probe run per backend name. */
export type ProbeResult = Readonly<Record<string, number>>;

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * The native packages' loader: the first of tfjs-node-gpu and tfjs-node that imports.
 * @param importer how a package is imported (a test seam; default: a dynamic import)
 */
export function nativeLoader(importer: (pkg: string) => Promise<unknown> = (pkg) => import(pkg)): () => Promise<string> {
  return () => loadNative(importer);
}

async function loadNative(importer: (pkg: string) => Promise<unknown>): Promise<string> {
  const failures: string[] = [];
  let installed = false;
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier: the packages are optional and have no types when absent.
      await importer(pkg);
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
  const pkg = await (loaders.loadNative ?? nativeLoader())();
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
 * @param choice `auto` (the faster of native and wasm on `probe`, else wasm; cpu last), or a forced `node`, `wasm`, `cpu`
 * @param probe a sample of the work to time when both native and wasm load (`auto` only)
 * @param cache where measured choices are remembered
 * @returns the backend in use and why; for `auto`, the reason says what was skipped
 * @throws when a forced backend cannot load, naming the allowed choices
 */
export async function initBackend(
  choice: BackendChoice = 'auto',
  loaders: BackendLoaders = {},
  probe?: BackendProbe,
  cache?: ProbeCache,
): Promise<BackendInfo> {
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
  let native: BackendInfo | undefined;
  try {
    native = await tryNative(loaders);
  } catch (err) {
    skipped.push(`native TensorFlow not available (${firstLine(err)})`);
  }
  let wasm: BackendInfo | undefined;
  try {
    wasm = await tryWasm(loaders);
  } catch (err) {
    skipped.push(`wasm failed (${firstLine(err)})`);
  }
  if (native && wasm) return { ...(await fasterOf(native, wasm, probe, cache)), choice: 'auto' };
  const only = native ?? wasm;
  if (only) {
    await activate(only.name);
    return { ...only, choice: 'auto', reason: [only.reason, ...skipped].join('; ') };
  }
  const info = await useCpu();
  return { ...info, choice: 'auto', reason: `${info.reason}; ${skipped.join('; ')}` };
}

const round = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toPrecision(2));

/**
 * Native TensorFlow or wasm, whichever runs `probe` faster. The engine's fused kernels are written
 * for the wasm heap (docs/design.md, "Backends and kernels"), so without a probe wasm is taken.
 * Each backend runs the probe once to warm up (kernels, allocations), then once timed.
 */
async function fasterOf(native: BackendInfo, wasm: BackendInfo, probe?: BackendProbe, cache?: ProbeCache): Promise<BackendInfo> {
  if (!probe) {
    await activate(wasm.name);
    return { ...wasm, reason: `${wasm.reason}; native TensorFlow also loads, not measured for this work (the engine's kernels favour wasm)` };
  }
  let ms = cache?.get(probe.key);
  const cached = ms !== undefined && typeof ms[native.name] === 'number' && typeof ms[wasm.name] === 'number';
  if (!cached) {
    const measured: Record<string, number> = {};
    for (const info of [wasm, native]) {
      await activate(info.name);
      probe.run();
      measured[info.name] = probe.run();
    }
    ms = measured;
    cache?.set(probe.key, ms);
  }
  const times = ms as ProbeResult;
  const winner = times[native.name] < times[wasm.name] ? native : wasm;
  const loser = winner === native ? wasm : native;
  await activate(winner.name);
  const how = `${round(times[winner.name])} ms against ${round(times[loser.name])} ms on ${loser.name === 'wasm' ? 'wasm' : 'native TensorFlow'} for ${probe.label}`;
  return { ...winner, reason: `${winner.reason}; measured faster: ${how}${cached ? ' (measured earlier on this machine)' : ''}` };
}
