/**
 * Remembers what `auto` measured on a kind of work, per machine, so it is measured once, not at
 * every start: which backend was faster (docs/design.md, "Backends and kernels") and what the real
 * step took on 1 and on n threads (docs/design.md, "Threads"). One JSON table per measurement, in
 * the user's cache folder (`$XDG_CACHE_HOME` or `~/.cache`, under `bnas-studio/`); each key holds
 * the work's shape, the TensorFlow.js version and the machine's processor, so an upgrade or another
 * machine measures again. A file that cannot be read or written only costs a new measurement.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ProbeCache, ProbeResult } from './backend.js';
import type { ThreadsTrial, TrialCache, TrialMemory } from './cores.js';

/** The backends' cache file: `BNAS_BACKEND_CACHE` names another one, or `off` turns caching off. */
export function backendCachePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BNAS_BACKEND_CACHE === 'off') return undefined;
  if (env.BNAS_BACKEND_CACHE) return env.BNAS_BACKEND_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bnas-studio', 'backend-probes.json');
}

/** The thread trials' cache file: `threads-trials.json` beside the backends' ({@link backendCachePath}), off with it. */
export function threadsCachePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const backends = backendCachePath(env);
  return backends && join(dirname(backends), 'threads-trials.json');
}

function machineKey(): string {
  const cores = cpus();
  return `tfjs ${tf.version.tfjs} · ${cores.length} × ${cores[0]?.model ?? 'unknown cpu'}`;
}

const positive = (ms: unknown): ms is number => typeof ms === 'number' && Number.isFinite(ms) && ms > 0;

function probeResult(v: unknown): ProbeResult | undefined {
  return typeof v === 'object' && v !== null && Object.values(v).every(positive) ? (v as ProbeResult) : undefined;
}

/** A stored trial, its gain recomputed from its times. */
function threadsTrial(v: unknown): ThreadsTrial | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { threads, oneMs, manyMs } = v as Record<string, unknown>;
  if (!Number.isInteger(threads) || (threads as number) < 2 || !positive(oneMs) || !positive(manyMs)) return undefined;
  return { threads: threads as number, oneMs, manyMs, gain: oneMs / manyMs };
}

/** The user's probe cache ({@link backendCachePath}), or none when turned off. */
export function userProbeCache(): ProbeCache | undefined {
  return fileProbeCache(backendCachePath());
}

/** A probe cache stored in `path` (or none when `path` is undefined). */
export function fileProbeCache(path: string | undefined): ProbeCache | undefined {
  return fileCache(path, probeResult);
}

/** Where `--threads auto` remembers its trials of the work `key` names: the user's cache ({@link threadsCachePath}), or nowhere when turned off. */
export function userTrialMemory(key: string): TrialMemory | undefined {
  const cache = fileTrialCache(threadsCachePath());
  return cache && { cache, key };
}

/** A thread-trial cache stored in `path` (or none when `path` is undefined). */
export function fileTrialCache(path: string | undefined): TrialCache | undefined {
  return fileCache(path, threadsTrial);
}

/**
 * A table of measurements in the JSON file `path`, keyed per machine; `valid` returns an entry it
 * trusts (or undefined, which counts as absent).
 */
function fileCache<T>(path: string | undefined, valid: (v: unknown) => T | undefined): { get(key: string): T | undefined; set(key: string, value: T): void } | undefined {
  if (!path) return undefined;
  const read = (): Record<string, unknown> => {
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
    } catch {
      // Absent or unreadable: nothing is remembered yet.
      return {};
    }
  };
  return {
    get: (key) => valid(read()[`${machineKey()} · ${key}`]),
    set(key, value) {
      try {
        const data = { ...read(), [`${machineKey()} · ${key}`]: value };
        mkdirSync(dirname(path), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(data, null, 1));
        renameSync(tmp, path);
      } catch {
        // A read-only home only means measuring again next time.
      }
    },
  };
}
