/**
 * Backend selection (docs/design.md, "Backends and kernels"). `auto` loads WebGPU on a hardware GPU
 * adapter (the optional packages `webgpu` and tfjs-backend-webgpu; a software adapter is used only
 * when `webgpu` is asked for), native TensorFlow (tfjs-node-gpu, then tfjs-node: optional
 * dependencies that need a download at install time) and wasm with SIMD; when more than one loads
 * and the caller passes a probe of its work, the fastest on that work runs, by measurement (cached
 * per machine, see backend-cache.ts); without a probe a GPU comes first, then wasm. The pure-JS cpu
 * backend is the last resort. A forced choice that cannot load is an error that says what is
 * allowed.
 */
import * as tf from '@tensorflow/tfjs';
import { chunkWebgpuAddN, installGradNeeds, useSharedSaves, useZeroCopyIdentity } from './tfjs-patches.js';
import { installSimdKernels } from './simd.js';

import { BACKEND_CHOICES, type BackendChoice } from '../protocol/backend-choice.js';
import { describeAdapter, hardwareDriverLikely, loadWebgpu, releaseWebgpu, type GpuAdapterInfo, type WebgpuLoad } from './webgpu.js';

/** What the user may ask for (`--backend`). */
export { BACKEND_CHOICES, type BackendChoice };

/** The backend in use and why it was chosen (reported to the user). */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow` (native), `webgpu`, `wasm` or `cpu`. */
  readonly name: string;
  readonly choice: BackendChoice;
  readonly reason: string;
  /** wasm only: whether SIMD is on. */
  readonly simd?: boolean;
  /** webgpu only: the GPU adapter in use. */
  readonly adapter?: GpuAdapterInfo;
}

/** Test seams: how the optional native package and the wasm package are loaded. */
export interface BackendLoaders {
  /** Loads a native package (registers the `tensorflow` backend) and returns its name. */
  readonly loadNative?: () => Promise<string>;
  /** Loads the wasm backend package (registers `wasm`). */
  readonly loadWasm?: () => Promise<void>;
  /** Loads Dawn and finds the GPU adapter (see webgpu.ts). */
  readonly loadWebgpu?: () => Promise<WebgpuLoad>;
  /** Whether `auto` should look for a GPU at all (default: {@link hardwareDriverLikely}). */
  readonly gpuDriverLikely?: () => boolean;
}

/** A sample of the caller's work that `auto` times on each backend that loads. */
export interface BackendProbe {
  /** What is measured, for the reason shown to the user (e.g. "a supernet weight step"). */
  readonly label: string;
  /** Identifies the work's shape for the cache (same key, same answer on this machine). */
  readonly key: string;
  /** Runs the work once on the active backend, tidily, its results read back; resolves to its wall time in ms. */
  run(): Promise<number>;
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

/**
 * WebGPU on the adapter Dawn offers; a software adapter only when `allowSoftware` (a forced
 * `webgpu`: correct but slow, so `auto` never takes it).
 */
async function tryWebgpu(loaders: BackendLoaders, allowSoftware: boolean): Promise<BackendInfo> {
  if (!allowSoftware && !(loaders.gpuDriverLikely ?? hardwareDriverLikely)()) throw new Error('no GPU driver found');
  let load: WebgpuLoad;
  try {
    load = await (loaders.loadWebgpu ?? loadWebgpu)();
  } catch (err) {
    if (isNotFound(err)) throw new Error('not installed (the optional packages webgpu and @tensorflow/tfjs-backend-webgpu)');
    throw err;
  }
  const adapter = load.adapter;
  try {
    if (!adapter) throw new Error('no GPU adapter found (WebGPU reaches the GPU through Vulkan, Metal or Direct3D 12)');
    if (adapter.software && !allowSoftware) throw new Error(`only ${describeAdapter(adapter)}, which auto does not use`);
    await load.loadBackend().catch((err: unknown) => {
      throw isNotFound(err) ? new Error('@tensorflow/tfjs-backend-webgpu is not installed') : err;
    });
    chunkWebgpuAddN();
    await activate('webgpu');
  } catch (err) {
    releaseWebgpu();
    throw err;
  }
  return { name: 'webgpu', choice: 'webgpu', reason: `WebGPU on ${describeAdapter(adapter)}`, adapter };
}

async function useCpu(): Promise<BackendInfo> {
  await activate('cpu');
  useSharedSaves(true);
  return { name: 'cpu', choice: 'cpu', reason: 'pure-JS cpu backend (slowest; a correctness fallback)' };
}

/**
 * Selects and activates a TensorFlow.js backend.
 * @param choice `auto` (the fastest on `probe` of a hardware GPU, native and wasm, else a GPU, else
 *   wasm; cpu last), or a forced `node`, `webgpu`, `wasm`, `cpu`
 * @param probe a sample of the work to time when more than one loads (`auto` only)
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
  if (choice === 'webgpu') {
    try {
      return await tryWebgpu(loaders, true);
    } catch (err) {
      throw new Error(
        `backend 'webgpu' is unavailable: ${firstLine(err)}. It needs the packages webgpu and ` +
          `@tensorflow/tfjs-backend-webgpu and a GPU driver with Vulkan, Metal or Direct3D 12; or use --backend auto, wasm or cpu.`,
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
  const loaded: BackendInfo[] = [];
  try {
    loaded.push(await tryWebgpu(loaders, false));
  } catch (err) {
    skipped.push(`no WebGPU (${firstLine(err)})`);
  }
  try {
    loaded.push(await tryNative(loaders));
  } catch (err) {
    skipped.push(`native TensorFlow not available (${firstLine(err)})`);
  }
  try {
    loaded.push(await tryWasm(loaders));
  } catch (err) {
    skipped.push(`wasm failed (${firstLine(err)})`);
  }
  if (loaded.length > 1) return { ...(await fastest(loaded, probe, cache)), choice: 'auto' };
  const only = loaded[0];
  if (only) {
    await activate(only.name);
    return { ...only, choice: 'auto', reason: [only.reason, ...skipped].join('; ') };
  }
  const info = await useCpu();
  return { ...info, choice: 'auto', reason: `${info.reason}; ${skipped.join('; ')}` };
}

const round = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toPrecision(2));

const LABELS: Readonly<Record<string, string>> = { wasm: 'wasm', tensorflow: 'native TensorFlow', webgpu: 'WebGPU' };

/** Activates `winner`; the GPU is let go when it lost (so that it cannot keep the process alive). */
async function settle(winner: BackendInfo): Promise<void> {
  await activate(winner.name);
  if (winner.name !== 'webgpu') releaseWebgpu();
}

/**
 * The backend that runs `probe` fastest. The engine's fused kernels are written for the wasm heap
 * (docs/design.md, "Backends and kernels"), so without a probe a hardware GPU is taken if one
 * loaded, else wasm. Each backend runs the probe once to warm up (kernels, shaders, allocations),
 * then once timed.
 */
async function fastest(loaded: readonly BackendInfo[], probe?: BackendProbe, cache?: ProbeCache): Promise<BackendInfo> {
  if (!probe) {
    const pick = loaded.find((b) => b.name === 'webgpu') ?? loaded.find((b) => b.name === 'wasm') ?? loaded[0];
    await settle(pick);
    const others = loaded.filter((b) => b !== pick).map((b) => LABELS[b.name] ?? b.name);
    return { ...pick, reason: `${pick.reason}; ${others.join(' and ')} also load${others.length === 1 ? 's' : ''}, not measured for this work` };
  }
  let ms = cache?.get(probe.key);
  const cached = ms !== undefined && loaded.every((b) => typeof ms?.[b.name] === 'number');
  if (!cached) {
    const measured: Record<string, number> = {};
    for (const info of loaded) {
      await activate(info.name);
      await probe.run();
      measured[info.name] = await probe.run();
    }
    ms = { ...ms, ...measured };
    cache?.set(probe.key, ms);
  }
  const times = ms as ProbeResult;
  const ranked = [...loaded].sort((a, b) => times[a.name] - times[b.name]);
  const winner = ranked[0];
  await settle(winner);
  const against = ranked.slice(1).map((b) => `${round(times[b.name])} ms on ${LABELS[b.name] ?? b.name}`).join(' and ');
  const how = `${round(times[winner.name])} ms against ${against} for ${probe.label}`;
  return { ...winner, reason: `${winner.reason}; measured faster: ${how}${cached ? ' (measured earlier on this machine)' : ''}` };
}

/** Lets go of the GPU (`navigator.gpu`) when the webgpu backend was loaded, so the process can exit. */
export { releaseWebgpu as releaseBackend };
