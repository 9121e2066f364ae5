/**
 * WebGPU in Node (docs/design.md, "Backends and kernels"): the optional npm package `webgpu` (Dawn)
 * provides `navigator.gpu`, which `@tensorflow/tfjs-backend-webgpu` needs; Node has no navigator.
 * Both packages are optional and loaded only when asked for. The GPU instance keeps the process
 * alive until {@link releaseWebgpu} drops it.
 */

import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** The GPU adapter WebGPU found, as the user sees it. */
export interface GpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** A software adapter (Mesa's lavapipe, SwiftShader): correct, not fast; `auto` never takes it. */
  readonly software: boolean;
}

/** What loading the packages returns: the adapter (or none) and how to activate TF.js on it. */
export interface WebgpuLoad {
  readonly adapter?: GpuAdapterInfo;
  /** Imports the TF.js backend package (registers `webgpu`). */
  loadBackend(): Promise<void>;
}

interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: object): Promise<AdapterLike | null>;
}
type WebgpuModule = { create(flags: string[]): GpuLike; globals: Record<string, unknown> };

/** The adapter's description in one line ("nvidia ampere (NVIDIA RTX A2000)"; software marked). */
export function describeAdapter(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown GPU';
  return `${name}${a.description ? ` (${a.description})` : ''}${a.software ? ', a software adapter' : ''}`;
}

/** The user-facing facts of an adapter; software when Dawn says fallback or the architecture is `software`. */
export function adapterInfo(a: AdapterLike): GpuAdapterInfo {
  const info = a.info ?? {};
  const architecture = info.architecture ?? '';
  return {
    vendor: info.vendor ?? '',
    architecture,
    description: info.description || info.device || '',
    software: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter) || architecture === 'software',
  };
}

/** Vulkan driver manifests of software renderers (Mesa's lavapipe), which `auto` does not use. */
const SOFTWARE_ICD = /^lvp_icd/;

/**
 * Whether a hardware GPU driver may be there, without loading Dawn (which prints the Vulkan
 * loader's complaints when there is none): on Linux, a Vulkan driver manifest other than
 * lavapipe's (`VK_ICD_FILENAMES` / `VK_DRIVER_FILES`, or the loader's standard folders); elsewhere
 * (Metal, Direct3D 12) always.
 */
export function hardwareDriverLikely(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return true;
  const named = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const manifests = named
    ? named.split(':').filter(Boolean)
    : ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', join(env.XDG_DATA_HOME || join(homedir(), '.local/share'), 'vulkan/icd.d')].flatMap((dir) => {
        try {
          return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
        } catch {
          return [];
        }
      });
  return manifests.some((m) => !SOFTWARE_ICD.test(basename(m)));
}

type Nav = { navigator?: { gpu?: unknown } };
/** Whether this module made `globalThis.navigator` (Node 20 has none) or only added its `gpu`. */
let ownNavigator = false;

/**
 * Loads Dawn, installs `navigator.gpu` and the WebGPU globals TF.js uses, and asks for an adapter.
 * @throws when the `webgpu` package is absent or does not load
 */
export async function loadWebgpu(importer: (pkg: string) => Promise<unknown> = (pkg) => import(pkg)): Promise<WebgpuLoad> {
  const mod = (await importer('webgpu')) as Partial<WebgpuModule> & { default?: WebgpuModule };
  const { create, globals } = typeof mod.create === 'function' ? (mod as WebgpuModule) : (mod.default as WebgpuModule);
  const g = globalThis as Nav;
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, globals);
    // Node 21+ has a navigator without gpu; Node 20 has none.
    ownNavigator = !g.navigator;
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: create([]), configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
  }
  const gpu = (g.navigator as { gpu: GpuLike }).gpu;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  return {
    adapter: adapter ? adapterInfo(adapter) : undefined,
    loadBackend: async () => {
      await importer('@tensorflow/tfjs-backend-webgpu');
    },
  };
}

/** Drops `navigator.gpu` (and with it Dawn's instance) so the process can exit. */
export function releaseWebgpu(): void {
  const g = globalThis as Nav;
  if (!g.navigator?.gpu) return;
  if (ownNavigator) delete (globalThis as { navigator?: unknown }).navigator;
  else delete (g.navigator as { gpu?: unknown }).gpu;
  ownNavigator = false;
}
