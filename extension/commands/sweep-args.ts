/**
 * What BNAS: Run Sweep asks for, as plain data (no `vscode`), and the `bnas sweep` command line
 * built from it: parsing what the user typed, the keys offered for `--set` (the language's own
 * schema, runtime/dsl/schema.ts), reading a sweep file, and rebuilding the command of an existing
 * sweep folder to resume it (the CLI continues a sweep when the same command runs again).
 */
import { BLOCKS, TOP_LEVEL_ATTRIBUTES, type AttributeSchema } from '../../runtime/dsl/schema.js';
import { RANDOM_RULES, type RandomRule } from '../../runtime/protocol/random-rule.js';
import { parseSweepFile, type SweepFile } from '../../runtime/sweep/schema.js';
import { slugify, timeStamp } from '../runs/run-folder.js';

/** One `--set` axis. */
export interface SweepAxis {
  readonly key: string;
  readonly values: readonly string[];
}

/** Everything a sweep is started with; `sweep.json` stores the same as its `options`. */
export interface SweepRequest {
  /** Absolute path of the `.bnas` file. */
  readonly file: string;
  /** The sweep folder. */
  readonly out: string;
  readonly seeds: readonly number[];
  readonly set: readonly SweepAxis[];
  readonly evaluate?: boolean;
  readonly epochs?: number;
  readonly random?: number;
  /** How the random cells are drawn; undefined: the CLI's default, or the rule a resumed sweep drew them by. */
  readonly randomRule?: RandomRule;
  readonly executor?: 'local' | 'slurm';
  readonly parallel?: number;
  readonly retries?: number;
  readonly backend?: string;
  readonly threads?: number;
  readonly slurmArgs?: string;
}

/**
 * The arguments after `cli.cjs`. Each value is its own argv entry (never a shell string), so a
 * setting value with spaces or quotes reaches the CLI as typed. `--json` makes the CLI print its
 * events on stdout, one per line, which the extension reads.
 */
export function sweepArgs(r: SweepRequest): string[] {
  const args = ['sweep', r.file, '--out', r.out, '--json'];
  if (r.seeds.length) args.push('--seeds', r.seeds.join(','));
  for (const axis of r.set) args.push('--set', `${axis.key}=${axis.values.join(',')}`);
  if (r.random) args.push('--random', String(r.random));
  if (r.random && r.randomRule) args.push('--random-rule', r.randomRule);
  else if (r.evaluate) args.push('--evaluate');
  if ((r.evaluate || r.random) && r.epochs !== undefined) args.push('--epochs', String(r.epochs));
  if (r.executor && r.executor !== 'local') args.push('--executor', r.executor);
  if (r.parallel !== undefined) args.push('--parallel', String(r.parallel));
  if (r.retries !== undefined) args.push('--retries', String(r.retries));
  if (r.backend && r.backend !== 'auto') args.push('--backend', r.backend);
  if (r.threads !== undefined && r.threads > 1) args.push('--threads', String(r.threads));
  if (r.executor === 'slurm' && r.slurmArgs) args.push('--slurm-args', r.slurmArgs);
  return args;
}

/** The request that continues the sweep in `dir`: the settings it was started with. */
export function resumeRequest(sweep: SweepFile, dir: string): SweepRequest {
  const o = sweep.options;
  return {
    file: sweep.file,
    out: dir,
    seeds: o.seeds,
    set: o.set,
    evaluate: o.evaluate,
    epochs: o.epochs,
    random: o.random,
    randomRule: o.random_rule,
    executor: o.executor,
    parallel: o.parallel,
    retries: o.retries,
    backend: o.backend,
    threads: o.threads,
    slurmArgs: o.slurm_args,
  };
}

/**
 * Parses what the user typed for seeds: `1,2,3` or ranges `1-4`.
 * @returns the seeds, or a message saying what is wrong.
 */
export function parseSeedsInput(text: string): number[] | string {
  const seeds: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^(-?\d+)\s*-\s*(-?\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a || b - a > 1000) return `'${part}' is not a range of at most 1000 seeds`;
      for (let s = a; s <= b; s++) seeds.push(s);
    } else if (/^-?\d+$/.test(part)) seeds.push(Number(part));
    else return `'${part}' is not a whole number (seeds: 1,2,3 or 1-5)`;
  }
  if (seeds.length === 0) return 'give at least one seed';
  if (new Set(seeds).size !== seeds.length) return 'a seed is repeated';
  return seeds;
}

/** A key the user may sweep, with what the QuickPick shows. */
export interface SweepKey {
  readonly key: string;
  readonly doc: string;
  /** Allowed values of an enum or bool attribute (offered when asking for values). */
  readonly choices: readonly string[];
  readonly defaultText?: string;
}

function keyOf(key: string, a: AttributeSchema): SweepKey {
  const t = a.type;
  const choices = t.kind === 'enum' ? t.values.map((v) => v.name) : t.kind === 'bool' ? ['true', 'false'] : [];
  const def = a.default !== undefined ? JSON.stringify(a.default) : a.defaultText;
  return { key, doc: a.doc, choices, defaultText: def };
}

/**
 * Every key `--set` accepts, from the language schema (block.attribute, block.NAME.attribute for
 * fixed names); `train.seed` is left out because seeds have their own question. Keys of blocks
 * with free names (`op NAME`) are left out: they depend on the file.
 */
export function sweepKeys(): SweepKey[] {
  const keys = TOP_LEVEL_ATTRIBUTES.map((a) => keyOf(a.name, a));
  for (const b of BLOCKS) {
    if (b.naming === 'free') continue;
    const prefixes = b.naming === 'fixed' ? (b.names ?? []).map((n) => `${b.kind}.${n.name}.`) : [`${b.kind}.`];
    for (const p of prefixes) for (const a of b.attributes) keys.push(keyOf(p + a.name, a));
  }
  return keys.filter((k) => k.key !== 'train.seed');
}

/**
 * Reads a sweep file: either a `sweep.json` of an earlier sweep (its options are reused) or a
 * small JSON file a user writes, `{ "seeds": [1, 2], "set": { "sampling.k": [2, 4] }, ... }`
 * with the optional fields `evaluate`, `epochs`, `random`, `random_rule`, `executor`, `parallel`, `backend`,
 * `threads`, `slurm_args`. Values may be numbers or texts; they are written as the language's value text.
 * @returns the request without `file` and `out` (the caller picks those), or a message.
 */
export function requestFromSweepText(text: string): Omit<SweepRequest, 'file' | 'out'> | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  const previous = parseSweepFile(raw);
  if (previous) {
    const { file: _f, out: _o, ...rest } = resumeRequest(previous, '');
    return rest;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'a sweep file is a JSON object with "seeds" and "set"';
  const o = raw as Record<string, unknown>;
  const seeds = o.seeds === undefined ? [] : o.seeds;
  if (!Array.isArray(seeds) || !seeds.every((s) => Number.isInteger(s))) return '"seeds" must be a list of whole numbers';
  const set: SweepAxis[] = [];
  const setObj = o.set ?? {};
  if (typeof setObj !== 'object' || setObj === null || Array.isArray(setObj)) return '"set" must be an object: { "key": [values] }';
  for (const [key, values] of Object.entries(setObj)) {
    const list = Array.isArray(values) ? values : [values];
    if (!list.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) return `"set.${key}": values must be numbers, texts or booleans`;
    set.push({ key, values: list.map(String) });
  }
  const int = (name: string): number | undefined | string => {
    const x = o[name];
    return x === undefined ? undefined : Number.isInteger(x) && (x as number) >= 0 ? (x as number) : `"${name}" must be a whole number`;
  };
  const nums = { epochs: int('epochs'), random: int('random'), parallel: int('parallel'), threads: int('threads') };
  for (const v of Object.values(nums)) if (typeof v === 'string') return v;
  const executor = o.executor;
  if (executor !== undefined && executor !== 'local' && executor !== 'slurm') return '"executor" must be "local" or "slurm"';
  const str = (name: string) => (typeof o[name] === 'string' ? (o[name] as string) : undefined);
  const randomRule = o.random_rule;
  if (randomRule !== undefined && !RANDOM_RULES.includes(randomRule as RandomRule)) return `"random_rule" must be ${RANDOM_RULES.map((r) => `"${r}"`).join(' or ')}`;
  return {
    seeds: seeds as number[],
    set,
    evaluate: o.evaluate === true,
    ...(nums as { epochs?: number; random?: number; parallel?: number; threads?: number }),
    ...(randomRule !== undefined && { randomRule: randomRule as RandomRule }),
    executor,
    backend: str('backend'),
    slurmArgs: str('slurm_args'),
  };
}

/** A folder name for a new sweep: `<space>-sweep-<time>`, like a run folder's name. */
export function sweepFolderName(spaceName: string, now: Date): string {
  return `${slugify(spaceName)}-sweep-${timeStamp(now)}`;
}
