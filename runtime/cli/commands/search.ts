/**
 * `bnas search FILE --out DIR [--json] [--resume] [--backend auto|node|webgpu|wasm|cpu] [--seed N] [--threads auto|N [--unsharded-steps]]`
 * (docs/design.md, "The command line", "Exit codes"): validates the space, runs the search into the run folder, prints progress
 * (a bar on a TTY) or, with `--json`, JSON event lines, and the derived cells. A parent that
 * started it with an IPC channel gets the events there instead of on stdout (one channel). Exit 0 finished, 1 failed or invalid
 * space, 2 usage or I/O error, 130 cancelled (SIGINT, SIGTERM or an IPC `cancel` message; a
 * checkpoint is written first).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BACKEND_CHOICES, type BackendChoice } from '../../engine/index.js';
import { loadSearchSpace } from '../../dsl/index.js';
import { parseRunnerCommand, TERMINAL_EVENTS, type RunEvent } from '../../protocol/events.js';
import { formatGenotypeDarts } from '../../protocol/genotype-format.js';
import { RUN_FILES, RUNTIME_FILES } from '../../protocol/run-folder.js';
import { runSearch } from '../../search/search.js';
import { paramFreeLines, paramFreeShare } from '../../search/collapse.js';
import type { ThreadsChoice } from '../../protocol/threads.js';
import { describeGenotype, intOption, parseArgs, streams, THREADS_HELP, threadsOption, UsageError, type CommandIo } from '../command-io.js';
import { Progress } from '../progress.js';

export const USAGE =
  'usage: bnas search FILE --out DIR [--json] [--resume] [--backend auto|node|webgpu|wasm|cpu] [--seed N] [--threads auto|N [--unsharded-steps]]\n' + THREADS_HELP +
  '\n  --unsharded-steps  with --threads N: the steps on one thread (its numbers, bit for bit), pruning and measurements shared by the N threads (auto chooses this itself where splitting the step does not pay)';


/** Runs the command; returns the exit code. */
export async function run(argv: string[], io?: CommandIo): Promise<number> {
  const { out, err } = streams(io);
  let file: string, outDir: string, json: boolean, resume: boolean, backend: BackendChoice, seed: number | undefined, threads: ThreadsChoice, shardSteps: boolean;
  try {
    const args = parseArgs(argv, ['json', 'resume', 'help', 'unsharded-steps'], ['out', 'backend', 'seed', 'threads']);
    if (args.flags.has('help')) {
      out.write(USAGE + '\n');
      return 0;
    }
    if (args.positional.length !== 1) throw new UsageError('give exactly one .bnas file');
    file = resolve(args.positional[0]);
    const o = args.values.get('out');
    if (!o) throw new UsageError('--out DIR is required (the run folder)');
    outDir = resolve(o);
    json = args.flags.has('json');
    resume = args.flags.has('resume');
    const b = args.values.get('backend') ?? 'auto';
    if (!BACKEND_CHOICES.includes(b as BackendChoice)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${b}'`);
    backend = b as BackendChoice;
    seed = intOption(args, 'seed', -(2 ** 31));
    threads = threadsOption(args);
    shardSteps = !args.flags.has('unsharded-steps');
    if (!shardSteps && threads === 'auto') throw new UsageError('--unsharded-steps needs --threads N (auto decides it itself)');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`bnas search: ${e.message}\n${USAGE}\n`);
    return 2;
  }

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    err.write(`bnas search: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  const { space, diagnostics } = loadSearchSpace(text, { filePath: file, checkFiles: true });
  for (const d of diagnostics) {
    err.write(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}\n`);
  }
  if (!space) {
    err.write(`bnas search: ${file} has errors; nothing was run\n`);
    return 1;
  }

  // The run folder: fresh, a finished run to replace, or an unfinished one that needs --resume.
  if (resume) {
    const saved = join(outDir, RUN_FILES.space);
    if (!existsSync(join(outDir, RUN_FILES.checkpoint)) && !existsSync(join(outDir, RUN_FILES.checkpointOld))) {
      err.write(`bnas search: ${outDir} has no checkpoint to resume from\n`);
      return 2;
    }
    if (existsSync(saved) && readFileSync(saved, 'utf8') !== text) {
      err.write(`bnas search: ${file} differs from the space the run in ${outDir} started with (${saved}); resume with that file or start a new --out\n`);
      return 2;
    }
  } else if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    if (!existsSync(join(outDir, RUN_FILES.events))) {
      err.write(`bnas search: ${outDir} is not empty and holds no run; choose an empty or new --out folder\n`);
      return 2;
    }
    if (!existsSync(join(outDir, RUN_FILES.result))) {
      err.write(`bnas search: ${outDir} holds an unfinished run; continue it with --resume, or choose another --out\n`);
      return 2;
    }
    err.write(`replacing the finished run in ${outDir}\n`);
    for (const f of RUNTIME_FILES) rmSync(join(outDir, f), { recursive: true, force: true });
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const onMessage = (m: unknown) => parseRunnerCommand(m) && controller.abort();
  // A parent that started us with IPC and went away (the editor closed or crashed) can no longer
  // watch or stop the search: checkpoint and stop, so `--resume` continues it. After a terminal
  // event the parent closes the channel on purpose, and that is not a cancel.
  let ended = false;
  const onDisconnect = () => !ended && controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);
  const progress = new Progress(err);
  // Events go to the parent over one channel: IPC when it started us with one, else stdout lines
  // with --json. Never both, so a reader needs no rule for which copy to keep.
  const send = process.send?.bind(process);
  const emit = (e: RunEvent) => {
    if (TERMINAL_EVENTS.has(e.type)) ended = true;
    // With a callback a failed send (the parent just went away: EPIPE) is reported here instead of
    // as an 'error' event that would crash the process before it can checkpoint.
    if (send) {
      if (process.connected) send(e, undefined, {}, (error: Error | null) => error && onDisconnect());
    } else if (json) out.write(JSON.stringify(e) + '\n');
    if (!json) progress.show(e);
  };
  try {
    const outcome = await runSearch({ space, spaceText: text, outDir, resume, backend, seed, threads, shardSteps, emit, signal: controller.signal, version: VERSION });
    if (outcome.status === 'finished' && outcome.result) {
      const g = outcome.result.genotype;
      (json ? err : out).write(`${describeGenotype(g)}${formatGenotypeDarts(g)}\n`);
      err.write(paramFreeLines(paramFreeShare(g, space.ops), g).map((l) => `${l}\n`).join(''));
      if (!json) {
        err.write(`run folder: ${outDir} (bnas export ${outDir} --format darts|json|mermaid|pytorch)\n`);
        // The check a derived cell needs before it is trusted (docs/method.md, "Evaluating a cell").
        err.write(`train it from scratch against random cells the same caps allow: bnas evaluate ${outDir} --data ${file} --random 4\n`);
      }
      return 0;
    }
    if (outcome.status === 'cancelled') return 130;
    if (json) err.write(`bnas search: ${outcome.message}\n`);
    return 1;
  } catch (e) {
    // Cancelled while loading data (before the first step): nothing to checkpoint yet.
    if (controller.signal.aborted) {
      err.write('bnas search: cancelled before the search started\n');
      return 130;
    }
    err.write(`bnas search: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
  }
}

/** The package version (set by the bundler from package.json; '0.0.0' when run from sources). */
const VERSION: string = typeof process.env.BNAS_VERSION === 'string' ? process.env.BNAS_VERSION : readVersion();

function readVersion(): string {
  for (const p of [join(__dirnameSafe(), '..', 'package.json'), join(process.cwd(), 'package.json')]) {
    try {
      const v = JSON.parse(readFileSync(p, 'utf8'));
      if (v.name === 'bnas-studio' && typeof v.version === 'string') return v.version;
    } catch {
      // not this one: try the next candidate
    }
  }
  return '0.0.0';
}

function __dirnameSafe(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}
