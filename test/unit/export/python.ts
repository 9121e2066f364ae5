/**
 * The Python interpreters the export tests use. PyTorch: BNAS_TORCH_PYTHON, else the venv that
 * scripts/torch/setup.sh makes (.cache/torch-venv). Tests that need it skip where it is missing,
 * except under BNAS_REQUIRE_TORCH=1 (CI), where a missing torch fails them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';

const CHECK = resolve('test/unit/export/torch_check.py');

function works(python: string, code: string): boolean {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0;
}

let torchPython: string | null | undefined;

/** A Python that imports torch, or undefined. */
export function findTorchPython(): string | undefined {
  if (torchPython === undefined) {
    const candidates = [process.env.BNAS_TORCH_PYTHON, resolve('.cache/torch-venv/bin/python')].filter((p): p is string => !!p && existsSync(p));
    torchPython = candidates.find((p) => works(p, 'import torch')) ?? null;
  }
  return torchPython ?? undefined;
}

/** Any Python 3 (for py_compile): the torch one first, else `python3` on PATH. */
export function findPython(): string | undefined {
  return findTorchPython() ?? (works('python3', 'import sys; assert sys.version_info[0] == 3') ? 'python3' : undefined);
}

/** Skips the test when `python` is missing, unless BNAS_REQUIRE_TORCH=1. */
export function needs(t: TestContext, python: string | undefined, what: string): python is string {
  if (python) return true;
  const why = `${what} is not available (set BNAS_TORCH_PYTHON or run scripts/torch/setup.sh)`;
  if (process.env.BNAS_REQUIRE_TORCH === '1') throw new Error(`${why} (BNAS_REQUIRE_TORCH=1)`);
  t.skip(why);
  return false;
}

/** Runs torch_check.py; returns its JSON output. */
export function torchCheck(python: string, ...args: string[]): Record<string, unknown> {
  const r = spawnSync(python, [CHECK, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`torch_check.py ${args[0]} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}
