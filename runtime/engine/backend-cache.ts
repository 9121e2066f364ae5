/**
 * Remembers which backend measured faster on a kind of work, per machine (docs/design.md,
 * "Backends and kernels"), so `auto` times the backends once, not at every start. One JSON file
 * in the user's cache folder (`$XDG_CACHE_HOME` or `~/.cache`, under `bnas-studio/`); the key holds
 * the work's shape, the TensorFlow.js version and the machine's processor, so an upgrade or another
 * machine measures again. A file that cannot be read or written only costs a new measurement.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ProbeCache, ProbeResult } from './backend.js';

/** The cache file: `BNAS_BACKEND_CACHE` names another one, or `off` turns caching off. */
export function backendCachePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BNAS_BACKEND_CACHE === 'off') return undefined;
  if (env.BNAS_BACKEND_CACHE) return env.BNAS_BACKEND_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bnas-studio', 'backend-probes.json');
}

function machineKey(): string {
  const cores = cpus();
  return `tfjs ${tf.version.tfjs} · ${cores.length} × ${cores[0]?.model ?? 'unknown cpu'}`;
}

function isResult(v: unknown): v is ProbeResult {
  return typeof v === 'object' && v !== null && Object.values(v).every((ms) => typeof ms === 'number' && Number.isFinite(ms) && ms > 0);
}

/** The user's probe cache ({@link backendCachePath}), or none when turned off. */
export function userProbeCache(): ProbeCache | undefined {
  return fileProbeCache(backendCachePath());
}

/** A probe cache stored in `path` (or none when `path` is undefined). */
export function fileProbeCache(path: string | undefined): ProbeCache | undefined {
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
    get(key) {
      const hit = read()[`${machineKey()} · ${key}`];
      return isResult(hit) ? hit : undefined;
    },
    set(key, result) {
      try {
        const data = { ...read(), [`${machineKey()} · ${key}`]: result };
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
