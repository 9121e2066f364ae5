/**
 * `bnas export DIR --format json|darts|mermaid|pytorch` (docs/design.md, "The command line"): prints the derived genotype
 * of a run folder (its `result.json`; a genotype JSON file is accepted too). Exit 0, or 2 for usage
 * and I/O errors.
 * `--format pytorch [--out FILE] [--data FILE.bnas]`: the derived network as one Python file
 * (runtime/export/pytorch.ts), built with the run's `space.bnas` (or `--data`); printed, or
 * written to FILE. Exit 1 when the space or the genotype cannot be built.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSearchSpace } from '../../dsl/index.js';
import type { SearchSpace } from '../../dsl/space.js';
import { exportPytorch } from '../../export/pytorch.js';
import { exportShapeOf } from '../../export/shape.js';
import { formatGenotypeDarts, formatGenotypeJson, formatGenotypeMermaid, parseGenotypeJson } from '../../protocol/genotype-format.js';
import type { Genotype } from '../../protocol/genotype.js';
import { parseArgs, streams, UsageError, type CommandIo } from '../command-io.js';
import { RUN_FILES } from '../../protocol/run-folder.js';

export const USAGE = 'usage: bnas export DIR --format json|darts|mermaid|pytorch [--out FILE] [--data FILE.bnas]';
const FORMATS = ['json', 'darts', 'mermaid', 'pytorch'] as const;

/** An error the command reports with exit 1 (the space or genotype cannot be built). */
class BuildError extends Error {}

/**
 * The space of a run: `--data FILE.bnas`, else `space.bnas` of the run folder (or next to a
 * genotype file).
 * @throws BuildError listing the space's errors
 */
function readSpace(target: string, data: string | undefined): SearchSpace {
  const file = data ? resolve(data) : join(existsSync(target) && statSync(target).isDirectory() ? target : dirname(target), 'space.bnas');
  if (!existsSync(file)) throw new Error(`${file} does not exist: give the space with --data FILE.bnas`);
  const { space, diagnostics } = loadSearchSpace(readFileSync(file, 'utf8'), { filePath: file });
  if (!space) {
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`);
    throw new BuildError(`${file} has errors\n${errors.join('\n')}`);
  }
  return space;
}

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
    const args = parseArgs(argv, ['help'], ['format', 'out', 'data']);
    if (args.flags.has('help')) {
      out.write(USAGE + '\n');
      return 0;
    }
    if (args.positional.length !== 1) throw new UsageError('give exactly one run folder');
    const format = args.values.get('format') ?? 'json';
    if (!FORMATS.includes(format as (typeof FORMATS)[number])) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
    if (format !== 'pytorch' && (args.values.has('out') || args.values.has('data'))) throw new UsageError('--out and --data go with --format pytorch');
    const target = resolve(args.positional[0]);
    const g = readGenotype(target);
    if (format === 'pytorch') {
      const space = readSpace(target, args.values.get('data'));
      let text: string;
      try {
        text = exportPytorch(space, g, await exportShapeOf(space));
      } catch (e) {
        throw new BuildError((e as Error).message);
      }
      const outFile = args.values.get('out');
      if (outFile) writeFileSync(resolve(outFile), text);
      else out.write(text);
      return 0;
    }
    const text = format === 'json' ? formatGenotypeJson(g) + '\n' : format === 'darts' ? formatGenotypeDarts(g, 'lines') + '\n' : formatGenotypeMermaid(g);
    out.write(text);
    return 0;
  } catch (e) {
    err.write(`bnas export: ${(e as Error).message}\n${e instanceof UsageError ? USAGE + '\n' : ''}`);
    return e instanceof BuildError ? 1 : 2;
  }
}
