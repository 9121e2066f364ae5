/**
 * The space of a bench script: a base `.bnas` file plus `--set key=value` overrides (repeatable),
 * applied by the function `bnas sweep --set` uses (runtime/sweep/overrides.ts). A variant of a
 * bench space (more images, another schedule, larger batches) is the base file and its settings on
 * the command line, not a copy of the file (bench/search/README.md lists the variants).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SearchSpace } from '../runtime/dsl/space.js';
import { parseAxis } from '../runtime/sweep/grid.js';
import { applySettings, type Setting } from '../runtime/sweep/overrides.js';

/** The `--space FILE` (default `file`; required where absent) and `--set` options for node:util's parseArgs. */
export function spaceOptions(file?: string) {
  return {
    space: { type: 'string', ...(file === undefined ? {} : { default: file }) },
    set: { type: 'string', multiple: true },
  } as const;
}

/** The values of every `--set` in `argv`, for scripts that read their arguments by hand. */
export function setsIn(argv: readonly string[]): string[] {
  return argv.flatMap((a, i) => (a === '--set' && i + 1 < argv.length ? [argv[i + 1]] : []));
}

/** The settings of `--set key=value` arguments: one value each (a sweep's lists are for `bnas sweep`). */
export function parseSets(sets: readonly string[] = []): Setting[] {
  const out = sets.map((text) => {
    const { key, values } = parseAxis(text);
    if (values.length !== 1) throw new Error(`--set ${key}: a bench space takes one value, got ${values.length} ('${text}')`);
    return { key, value: values[0] };
  });
  const keys = out.map((s) => s.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw new Error(`--set ${twice} is given twice: give each key once`);
  return out;
}

/**
 * The space of `file` with `sets` applied and validated.
 * @returns the resulting text, the space, and a label (`file --set k=v …`) for records
 * @throws an Error naming the file for an unknown key, an invalid value or a file with errors
 */
export function loadBenchSpace(file: string, sets: readonly string[] = []): { text: string; space: SearchSpace; label: string } {
  const { text, space } = applySettings(readFileSync(file, 'utf8'), parseSets(sets), resolve(file));
  return { text, space, label: [file, ...sets.map((s) => `--set ${s}`)].join(' ') };
}
