/**
 * The grid of a sweep: `--seeds 1,2,3` × every `--set key=v1,v2` → one trial per combination,
 * in a fixed order (settings in the order given, seeds innermost), each with a stable id that is
 * also its folder name.
 */
import { parseKey, SettingError, type Setting } from './overrides.js';

/** One `--set`: a key and its values (value texts of the language). */
export interface GridAxis {
  readonly key: string;
  readonly values: readonly string[];
}

/** The grid as given on the command line. */
export interface Grid {
  readonly seeds: readonly number[];
  readonly axes: readonly GridAxis[];
}

/** One point of the grid. */
export interface TrialPoint {
  readonly id: string;
  readonly seed: number;
  readonly settings: readonly Setting[];
}

/**
 * Splits on commas outside brackets and quotes, so list values survive: `ops=[a, b],[c]`.
 */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/**
 * Parses `--seeds 1,2,3` (ranges `1-4` too).
 * @throws SettingError on anything but integers
 */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    const range = /^(-?\d+)-(-?\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a || b - a > 10_000) throw new SettingError(`--seeds: bad range '${part}'`);
      for (let s = a; s <= b; s++) seeds.push(s);
    } else if (/^-?\d+$/.test(part)) seeds.push(Number(part));
    else throw new SettingError(`--seeds takes integers separated by commas (or ranges like 1-4), got '${part}'`);
  }
  if (new Set(seeds).size !== seeds.length) throw new SettingError(`--seeds repeats a seed: ${text}`);
  return seeds;
}

/**
 * Parses one `--set key=v1,v2`.
 * @throws SettingError for a missing `=`, an unknown key or an empty value
 */
export function parseAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new SettingError(`--set takes key=value[,value...], got '${text}'`);
  const key = text.slice(0, eq).trim();
  parseKey(key);
  const values = splitValues(text.slice(eq + 1));
  if (values.some((v) => v === '')) throw new SettingError(`--set ${key}: empty value in '${text}'`);
  if (new Set(values).size !== values.length) throw new SettingError(`--set ${key} repeats a value`);
  if (key === 'train.seed') throw new SettingError('set seeds with --seeds, not --set train.seed');
  return { key, values };
}

/** A value as a piece of a folder name: letters, digits, `.`, `_` and `-` only. */
function slug(text: string): string {
  const s = text.replace(/^["']|["']$/g, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '');
  return s.length > 40 ? s.slice(0, 40) : s || 'v';
}

/** Every trial of the grid, in order, with unique ids made of the varying settings and the seed. */
export function expandGrid(grid: Grid): TrialPoint[] {
  let combos: Setting[][] = [[]];
  for (const axis of grid.axes) combos = combos.flatMap((c) => axis.values.map((value) => [...c, { key: axis.key, value }]));
  const trials: TrialPoint[] = [];
  const used = new Set<string>();
  for (const settings of combos) {
    for (const seed of grid.seeds) {
      // Only the axes that vary name a trial; a key given one value is the same for all.
      const named = settings.filter((s) => (grid.axes.find((a) => a.key === s.key)?.values.length ?? 0) > 1);
      const base = [...named.map((s) => `${s.key.split('.').at(-1)}-${slug(s.value)}`), `seed-${seed}`].join('_');
      let id = base;
      for (let n = 2; used.has(id); n++) id = `${base}~${n}`;
      used.add(id);
      trials.push({ id, seed, settings });
    }
  }
  return trials;
}
