/**
 * Small helpers shared by the `search`, `export` and `evaluate` commands: the output streams a
 * command writes to, flag parsing with clear usage errors, and human printing of cells.
 */
import { stateName, type Genotype, type GenotypeEdge } from '../protocol/genotype.js';
import { MAX_THREADS, parseThreads, type ThreadsChoice } from '../protocol/threads.js';
import { RANDOM_RULES, type RandomRule } from '../protocol/random-rule.js';

/** A stream a command writes to (process.stdout/stderr or a test buffer). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Where a command writes. Missing streams default to the process's. */
export interface CommandIo {
  readonly stdout?: OutStream;
  readonly stderr?: OutStream;
}

/** The streams of `io`, defaulted. */
export function streams(io: CommandIo | undefined): { out: OutStream; err: OutStream } {
  return { out: io?.stdout ?? process.stdout, err: io?.stderr ?? process.stderr };
}

/** A usage error: the command prints it with its usage line and exits 2. */
export class UsageError extends Error {}

/** Parsed flags: positional arguments, booleans and valued options. */
export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Set<string>;
  readonly values: Map<string, string>;
}

/**
 * Parses `argv` against the allowed boolean flags and valued options (`--name value` or
 * `--name=value`).
 * @throws UsageError naming an unknown option or a missing value
 */
export function parseArgs(argv: readonly string[], booleans: readonly string[], valued: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (booleans.includes(name) && eq < 0) flags.add(name);
    else if (valued.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      values.set(name, v);
    } else {
      const allowed = [...booleans, ...valued].map((n) => `--${n}`).join(', ');
      throw new UsageError(`unknown option ${a}; allowed: ${allowed}`);
    }
  }
  return { positional, flags, values };
}

/** A non-negative integer option, or undefined when absent. */
export function intOption(args: ParsedArgs, name: string, min = 0): number | undefined {
  const v = args.values.get(name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return Number(v);
}

/** `--threads auto|N` (default `auto`); a usage error names what is allowed. */
export function threadsOption(args: ParsedArgs): ThreadsChoice {
  try {
    return parseThreads(args.values.get('threads') ?? 'auto');
  } catch (e) {
    throw new UsageError(`--threads: ${(e as Error).message}`);
  }
}

/**
 * `--random-rule caps|uniform` (undefined when not given); a usage error for another value, or
 * for the option without random cells (`random`: the `--random N` given).
 */
export function randomRuleOption(args: ParsedArgs, random: number): RandomRule | undefined {
  const rule = args.values.get('random-rule');
  if (rule === undefined) return undefined;
  if (!RANDOM_RULES.includes(rule as RandomRule)) throw new UsageError(`--random-rule must be one of ${RANDOM_RULES.join(', ')}, got '${rule}'`);
  if (random === 0) throw new UsageError('--random-rule says how random cells are drawn: give it with --random N');
  return rule as RandomRule;
}

/** The help line of `--threads`. */
export const THREADS_HELP = `  --threads auto|N  compute on N threads (data-parallel workers, 1 to ${MAX_THREADS}); default auto: the count that pays on this machine, measured (1 where threads do not pay)`;

/** Human lines for one cell: `node j ← op(input) + op(input)`. */
export function describeCell(edges: readonly GenotypeEdge[], concat: readonly number[]): string[] {
  const lines: string[] = [];
  for (let j = 0; j * 2 < edges.length; j++) {
    const pair = edges.slice(2 * j, 2 * j + 2).map(([op, i]) => `${op}(${stateName(i)})`);
    lines.push(`  node ${j} ← ${pair.join(' + ')}`);
  }
  lines.push(`  c_{k} = concat(${concat.map(stateName).join(', ')})`);
  return lines;
}

/** Both cells, human readable. */
export function describeGenotype(g: Genotype): string {
  return ['normal cell:', ...describeCell(g.normal, g.normal_concat), 'reduction cell:', ...describeCell(g.reduce, g.reduce_concat)].join('\n') + '\n';
}
