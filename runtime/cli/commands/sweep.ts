/**
 * `bnas sweep FILE --out DIR [--seeds 1,2,3] [--set key=v1,v2]... [--evaluate [--epochs N] [--float]]
 * [--random N [--random-rule caps|uniform]] [--executor local|slurm] [--parallel N] [--retries N] [--slurm-args "..."]
 * [--backend B] [--threads N] [--json]`: many searches of one space, one trial per seed and
 * combination of settings, each an ordinary run folder under DIR/trials. Running the same command
 * again continues unfinished trials and skips finished ones. `bnas sweep --cancel ID[,ID] --out DIR`
 * cancels trials of a running sweep. Exit 0 all trials finished (or were cancelled on request),
 * 1 some failed, 2 usage error or a folder it cannot continue, 130 cancelled (SIGINT or SIGTERM:
 * every running trial checkpoints first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BACKEND_CHOICES } from '../../protocol/backend-choice.js';
import { loadSearchSpace } from '../../dsl/index.js';
import { parseAxis, parseSeeds, type GridAxis } from '../../sweep/grid.js';
import { SettingError } from '../../sweep/overrides.js';
import type { SweepEvent } from '../../sweep/schema.js';
import { readSweepFile, requestCancel } from '../../sweep/state.js';
import { runSweep, SweepConflict } from '../../sweep/sweep.js';
import { writeTaskStatus } from '../../sweep/slurm.js';
import { summaryText } from '../../sweep/summary.js';
import { runTrial } from '../../sweep/trial.js';
import { intOption, parseArgs, randomRuleOption, streams, UsageError, type CommandIo, type OutStream } from '../command-io.js';

export const USAGE = [
  'usage: bnas sweep FILE --out DIR [--seeds 1,2,3] [--set key=v1,v2]... [--evaluate [--epochs N] [--protocol P.bnas] [--float]] [--random N [--random-rule R]]',
  '                  [--executor local|slurm] [--parallel N] [--retries N] [--slurm-args "..."]',
  '                  [--backend auto|node|webgpu|wasm|cpu] [--threads N] [--json]',
  '       bnas sweep --cancel ID[,ID...] --out DIR',
  '  --seeds       seeds, one trial each (default: train.seed of FILE); ranges like 1-5 too',
  '  --set         key=v1,v2: a language path (sampling.k, pruning.criterion, optimizer.weights.lr) and',
  '                its values; repeat for more keys: every combination is a trial',
  '  --evaluate    also train each derived cell from scratch (bnas evaluate; --epochs N, default train.epochs)',
  '  --protocol P  evaluate on the data, cells, channels, binarization and optimizer of P.bnas (a calibrated',
  '                protocol; its ops must include every op of the swept spaces); default: each trial\'s own space',
  '  --float       also train each derived cell with real weights and activations (the binary-vs-float gap)',
  '  --random N    also train N random cells of the space with each evaluation (implies --evaluate)',
  '  --random-rule caps (default): random cells obey the trial\'s derivation caps (derive.max_param_free,',
  '                derive.max_inner_edges), the cells its search could return; uniform: any cell',
  '  --executor    local (default): child processes here; slurm: an sbatch job array over DIR (a shared folder)',
  '  --parallel N  trials at once (local default: cores and memory; slurm: the array throttle, default all)',
  '  --retries N   run a failed trial again up to N times, resuming it from its checkpoint: Slurm',
  '                resubmits a failed or pre-empted task (default 2), local starts it again (default 0)',
  '  --slurm-args  passed to sbatch, e.g. "--partition=gpu --time=2:00:00 --cpus-per-task=4"',
  '  --threads N   threads of each trial\'s search (default 1: the trials run side by side, and a fixed',
  '                count keeps a trial equal to a plain bnas search --threads N of its seed)',
].join('\n');

/** `--set` may repeat; parseArgs keeps one value per name, so the occurrences are taken out first. */
function takeRepeated(argv: readonly string[], name: string): { rest: string[]; values: string[] } {
  const rest: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      values.push(v);
    } else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
    else rest.push(a);
  }
  return { rest, values };
}

/**
 * Checks the `--protocol` file: readable, valid (its data files present), and offering every op
 * the swept file may derive. Returns its path, or null after writing the diagnostics.
 */
function checkProtocol(file: string, ops: readonly string[], err: OutStream): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--protocol: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { space, diagnostics } = loadSearchSpace(text, { filePath: file, checkFiles: true });
  if (!space) {
    for (const d of diagnostics.filter((x) => x.severity === 'error')) err.write(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: error ${d.code}: ${d.message}\n`);
    err.write(`bnas sweep: the protocol ${file} has errors; nothing was run\n`);
    return null;
  }
  const missing = ops.filter((op) => !space.ops.some((o) => o.name === op));
  if (missing.length) throw new UsageError(`--protocol ${file} lacks the op(s) ${missing.join(', ')} that the swept space may derive`);
  return file;
}

/** The `bnas` command line the trials run: this one (BNAS_CLI overrides it). */
function cliPath(): string {
  if (process.env.BNAS_CLI) return resolve(process.env.BNAS_CLI);
  // Bundled, this module is dist/cli.cjs itself, also when started through the `bnas` bin link.
  if (typeof __dirname === 'string' && existsSync(join(__dirname, 'cli.cjs'))) return join(__dirname, 'cli.cjs');
  return resolve('dist', 'cli.cjs');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One human line per event (progress on stderr). */
function describe(e: SweepEvent): string | undefined {
  switch (e.type) {
    case 'sweep-started':
      return `sweep: ${e.trials} trials (${e.skipped} finished before), ${e.executor}, ${e.parallel} at a time`;
    case 'trial-started':
      return `${e.trial}: ${e.phase === 'evaluate' ? 'evaluating' : e.resume ? 'resuming' : 'started'}${e.slurm_job ? ` (Slurm job ${e.slurm_job})` : ''}`;
    case 'trial-progress':
      return `${e.trial}: epoch ${e.epoch}${e.epochs ? `/${e.epochs}` : ''}, valid ${pct(e.valid_acc)}`;
    case 'trial-finished':
      return `${e.trial}: finished, valid ${pct(e.result.valid_acc)}${e.result.test_acc !== undefined ? `, test ${pct(e.result.test_acc)}` : ''}${e.evaluation ? `, evaluated ${pct(e.evaluation.accuracy)}` : ''}`;
    case 'trial-failed':
      return `${e.trial}: FAILED (exit ${e.exit_code}):\n${e.error.replace(/^/gm, '  ')}`;
    case 'trial-cancelled':
      return `${e.trial}: cancelled`;
    case 'trial-retry':
      return `${e.trial}: resubmitted (attempt ${e.attempt}): ${e.reason}`;
    case 'sweep-cancelled':
      return `sweep cancelled after ${e.seconds.toFixed(1)} s; run the same command again to continue`;
    case 'sweep-finished':
      return `sweep done in ${e.seconds.toFixed(1)} s: ${e.finished} finished, ${e.failed} failed, ${e.cancelled} cancelled`;
  }
}

/** `--trial ID`: what a Slurm task runs. */
async function runOneTrial(dir: string, id: string, err: OutStream): Promise<number> {
  const sweep = readSweepFile(dir);
  const trial = sweep?.trials.find((t) => t.id === id);
  if (!sweep || !trial) {
    err.write(`bnas sweep: no trial '${id}' in ${join(dir, 'sweep.json')}\n`);
    return 2;
  }
  const { signal, release } = interruptSignal();
  try {
    const outcome = await runTrial({ cli: cliPath(), sweepDir: dir, trial, options: sweep.options, signal, emit: () => undefined, attempt: trial.attempts });
    writeTaskStatus(dir, id, outcome);
    if (outcome.error) err.write(`${outcome.error}\n`);
    return outcome.state === 'finished' ? 0 : outcome.state === 'cancelled' ? 130 : 1;
  } catch (e) {
    writeTaskStatus(dir, id, { state: 'failed', exitCode: 1, error: (e as Error).message });
    throw e;
  } finally {
    release();
  }
}

/** Aborts on SIGINT or SIGTERM (Ctrl-C, scancel) until released: running trials then checkpoint. */
function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io?: CommandIo): Promise<number> {
  const { out, err } = streams(io);
  const usage = (message: string) => {
    err.write(`bnas sweep: ${message}\n${USAGE}\n`);
    return 2;
  };
  let args, sets: string[];
  try {
    const taken = takeRepeated(argv, 'set');
    sets = taken.values;
    args = parseArgs(taken.rest, ['json', 'evaluate', 'float', 'help'], ['out', 'seeds', 'epochs', 'random', 'random-rule', 'protocol', 'executor', 'parallel', 'retries', 'slurm-args', 'backend', 'threads', 'cancel', 'trial']);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }
  if (args.flags.has('help')) {
    out.write(USAGE + '\n');
    return 0;
  }
  const o = args.values.get('out');
  if (!o) return usage('--out DIR is required (the sweep folder)');
  const dir = resolve(o);
  const cancel = args.values.get('cancel');
  if (cancel !== undefined) {
    const sweep = readSweepFile(dir);
    const ids = cancel.split(',').map((s) => s.trim());
    const unknown = ids.filter((id) => !sweep?.trials.some((t) => t.id === id));
    if (!sweep || unknown.length) return usage(`${dir} has no trial ${unknown.join(', ') || cancel}`);
    requestCancel(dir, ids);
    return 0;
  }
  const trialId = args.values.get('trial');
  if (trialId !== undefined) return runOneTrial(dir, trialId, err);

  let request;
  try {
    if (args.positional.length !== 1) throw new UsageError('give exactly one .bnas file');
    const file = resolve(args.positional[0]);
    const executor = args.values.get('executor') ?? 'local';
    if (executor !== 'local' && executor !== 'slurm') throw new UsageError(`--executor must be local or slurm, got '${executor}'`);
    const backend = args.values.get('backend') ?? 'auto';
    if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${backend}'`);
    if (args.values.has('slurm-args') && executor !== 'slurm') throw new UsageError('--slurm-args needs --executor slurm');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const seedsText = args.values.get('seeds');
    const base = loadSearchSpace(text, { filePath: file }).space;
    if (!base) {
      err.write(`bnas sweep: ${file} has errors (bnas validate ${file} lists them); nothing was run\n`);
      return 1;
    }
    const axes: GridAxis[] = sets.map(parseAxis);
    if (new Set(axes.map((a) => a.key)).size !== axes.length) throw new UsageError('each --set key may be given once (list its values: --set key=v1,v2)');
    const random = intOption(args, 'random', 0) ?? 0;
    const epochs = intOption(args, 'epochs', 1);
    const evaluate = args.flags.has('evaluate') || random > 0;
    const randomRule = randomRuleOption(args, random);
    if (epochs !== undefined && !evaluate) throw new UsageError('--epochs is the evaluation length: give it with --evaluate');
    const float = args.flags.has('float');
    if (float && !evaluate) throw new UsageError('--float trains the derived cells real-valued: give it with --evaluate');
    const protocolFile = args.values.get('protocol');
    if (protocolFile !== undefined && !evaluate) throw new UsageError('--protocol is the evaluation protocol: give it with --evaluate');
    const protocol = protocolFile === undefined ? undefined : checkProtocol(resolve(protocolFile), base.ops.map((op) => op.name), err);
    if (protocol === null) return 1;
    request = {
      file, dir,
      grid: { seeds: seedsText ? parseSeeds(seedsText) : [base.train.seed], axes },
      options: {
        evaluate, epochs, random, ...(randomRule && { random_rule: randomRule }), executor, backend, ...(protocol && { protocol }), ...(float && { float }),
        parallel: intOption(args, 'parallel', 1), threads: intOption(args, 'threads', 1),
        retries: intOption(args, 'retries', 0) ?? (executor === 'slurm' ? 2 : 0), slurm_args: args.values.get('slurm-args'),
      } as const,
    };
  } catch (e) {
    if (e instanceof UsageError || e instanceof SettingError) return usage(e.message);
    throw e;
  }

  const json = args.flags.has('json');
  const { signal, release } = interruptSignal();
  try {
    const { sweep, exitCode } = await runSweep({
      ...request,
      cli: cliPath(),
      signal,
      listener: (e) => {
        if (json) out.write(JSON.stringify(e) + '\n');
        else {
          const line = describe(e);
          if (line) err.write(line + '\n');
        }
      },
    });
    (json ? err : out).write(summaryText(sweep));
    if (!json) err.write(`sweep folder: ${dir} (summary.md, sweep.json, trials/)\n`);
    return exitCode;
  } catch (e) {
    if (e instanceof SettingError || e instanceof SweepConflict) return usage(e.message);
    throw e;
  } finally {
    release();
  }
}
