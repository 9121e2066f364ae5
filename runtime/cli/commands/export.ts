/**
 * `bnas export DIR --format json|darts|mermaid` (contract section 5): prints the derived genotype
 * of a run folder (its `result.json`; a genotype JSON file is accepted too). Exit 0, or 2 for usage
 * and I/O errors.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatGenotypeDarts, formatGenotypeJson, formatGenotypeMermaid, parseGenotypeJson } from '../../protocol/genotype-format.js';
import type { Genotype } from '../../protocol/genotype.js';
import { parseArgs, streams, UsageError, type CommandIo } from '../command-io.js';
import { RUN_FILES } from '../../protocol/run-folder.js';

export const USAGE = 'usage: bnas export DIR --format json|darts|mermaid';
const FORMATS = ['json', 'darts', 'mermaid'] as const;

/**
 * Reads the genotype of a run folder (`DIR/result.json`) or of a JSON file holding one.
 * @throws an Error naming the file and what was expected
 */
export function readGenotype(target: string): Genotype {
  const path = existsSync(target) && statSync(target).isDirectory() ? join(target, RUN_FILES.result) : target;
  if (!existsSync(path)) {
    throw new Error(
      path === target ? `${path} does not exist` : `${path} does not exist: the run has not finished (a finished run writes result.json)`,
    );
  }
  const parsed = parseGenotypeJson(readFileSync(path, 'utf8'));
  if (!parsed.genotype) throw new Error(`${path}: ${parsed.error}`);
  return parsed.genotype;
}

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io?: CommandIo): Promise<number> {
  const { out, err } = streams(io);
  try {
    const args = parseArgs(argv, ['help'], ['format']);
    if (args.flags.has('help')) {
      out.write(USAGE + '\n');
      return 0;
    }
    if (args.positional.length !== 1) throw new UsageError('give exactly one run folder');
    const format = args.values.get('format') ?? 'json';
    if (!FORMATS.includes(format as (typeof FORMATS)[number])) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
    const g = readGenotype(resolve(args.positional[0]));
    const text = format === 'json' ? formatGenotypeJson(g) + '\n' : format === 'darts' ? formatGenotypeDarts(g) + '\n' : formatGenotypeMermaid(g);
    out.write(text);
    return 0;
  } catch (e) {
    err.write(`bnas export: ${(e as Error).message}\n${e instanceof UsageError ? USAGE + '\n' : ''}`);
    return 2;
  }
}
