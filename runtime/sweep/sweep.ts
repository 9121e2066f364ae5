/**
 * A sweep from start to summary: expands the grid, writes each trial's space (`spaces/<id>.bnas`,
 * the swept file with the trial's settings), merges with the `sweep.json` of an earlier run of
 * the same command (finished trials are kept and skipped, unfinished ones continue from their
 * checkpoints), hands the unfinished trials to an executor, and writes `summary.md`.
 *
 * Sweep folder layout: `sweep.json`, `sweep-events.jsonl`, `summary.md`, `spaces/<id>.bnas`,
 * `trials/<id>/` (ordinary run folders), `evaluations/<id>.json`, `slurm/` (Slurm executor only).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SearchSpace } from '../dsl/index.js';
import { writeFileAtomic } from '../search/run-folder.js';
import { expandGrid, type Grid } from './grid.js';
import { defaultParallelism, runLocal } from './local.js';
import { applySettings, SettingError } from './overrides.js';
import { DEFAULT_RANDOM_RULE, type RandomRule } from '../protocol/random-rule.js';
import { SWEEP_FORMAT, type SweepEvent, type SweepFile, type SweepOptions, type Trial } from './schema.js';
import { runSlurm } from './slurm.js';
import { CANCEL_FILE, readSweepFile, SweepState } from './state.js';
import { summaryMarkdown } from './summary.js';

export interface SweepRequest {
  /** Absolute path of the `.bnas` file. */
  readonly file: string;
  /** Absolute path of the sweep folder. */
  readonly dir: string;
  readonly grid: Grid;
  /** The options; `parallel` undefined takes the executor's default. */
  readonly options: Omit<SweepOptions, 'seeds' | 'set' | 'parallel'> & { readonly parallel?: number };
  /** Path of the `bnas` command line the trials run. */
  readonly cli: string;
  readonly signal: AbortSignal;
  readonly listener: (e: SweepEvent) => void;
}

/** What a sweep ended with. */
export interface SweepOutcome {
  readonly sweep: SweepFile;
  /** 0 all finished, 1 some failed, 130 cancelled. */
  readonly exitCode: number;
}

/** Thrown when the folder holds a sweep of another file or grid that this one cannot continue. */
export class SweepConflict extends Error {}

/** The trials of the request with their space texts (validated), merged with the folder's earlier state. */
function prepare(req: SweepRequest): { sweep: SweepFile; spaces: SearchSpace[]; texts: Map<string, string>; named: Set<string> } {
  const text = readFileSync(req.file, 'utf8');
  const points = expandGrid(req.grid);
  const texts = new Map<string, string>();
  const spaces: SearchSpace[] = [];
  let name = '';
  for (const p of points) {
    const r = applySettings(text, p.settings, req.file);
    texts.set(p.id, r.text);
    spaces.push(r.space);
    name = r.space.name;
  }
  const earlier = readSweepFile(req.dir);
  if (earlier && earlier.file !== req.file) throw new SweepConflict(`${req.dir} holds a sweep of ${earlier.file}; sweep ${req.file} into another --out`);
  if (earlier && req.options.evaluate && earlier.trials.some((t) => t.evaluation) && earlier.options.protocol !== req.options.protocol) {
    throw new SweepConflict(`${req.dir} holds evaluations under ${earlier.options.protocol ? `the protocol ${earlier.options.protocol}` : "each trial's own space"}; evaluate under another protocol into another --out`);
  }
  const randomRule = resolveRandomRule(req, earlier);
  const old = new Map(earlier?.trials.map((t) => [t.id, t]));
  const trials: Trial[] = points.map((p) => {
    const prior = old.get(p.id);
    const spacePath = join('spaces', `${p.id}.bnas`);
    const onDisk = join(req.dir, spacePath);
    if (existsSync(onDisk) && readFileSync(onDisk, 'utf8') !== texts.get(p.id)) {
      throw new SweepConflict(`${req.file} changed since trial ${p.id} started (its space is ${onDisk}); sweep into another --out, or restore the file`);
    }
    const base: Trial = {
      id: p.id, seed: p.seed, settings: Object.fromEntries(p.settings.map((s) => [s.key, s.value])),
      space: spacePath, run: join('trials', p.id), state: 'pending', attempts: 0,
      ...(req.options.evaluate && { evaluation_file: join('evaluations', `${p.id}.json`) }),
    };
    if (!prior) return base;
    // A finished search stays finished; evaluating it later only adds the evaluation.
    const needsEvaluation = req.options.evaluate && prior.evaluation === undefined;
    const state = prior.state === 'finished' && !needsEvaluation ? 'finished' : 'pending';
    return { ...prior, ...base, state, attempts: prior.attempts, result: prior.result, evaluation: prior.evaluation, started: prior.started, ended: prior.ended };
  });
  // Trials of an earlier grid that this command no longer names keep their records (not run).
  const named = new Set(points.map((p) => p.id));
  trials.push(...(earlier?.trials ?? []).filter((t) => !named.has(t.id)));
  const parallel = req.options.parallel ?? (req.options.executor === 'local' ? defaultParallelism(spaces) : trials.length);
  const now = new Date().toISOString();
  const sweep: SweepFile = {
    format: SWEEP_FORMAT, file: req.file, space: name,
    options: { ...req.options, ...(randomRule && { random_rule: randomRule }), seeds: [...req.grid.seeds], set: req.grid.axes.map((a) => ({ key: a.key, values: [...a.values] })), parallel },
    created: earlier?.created ?? now, updated: now, state: 'running', trials,
  };
  return { sweep, spaces, texts, named };
}

/**
 * How the sweep's random cells are drawn: as asked; else as the random cells it already trained
 * were (uniformly in sweeps of older versions), so one sweep never pools two rules; else the
 * default.
 * @throws SweepConflict when asked for another rule than the trained random cells had
 */
function resolveRandomRule(req: SweepRequest, earlier: SweepFile | undefined): RandomRule | undefined {
  if (req.options.random === 0) return undefined;
  const trained = earlier?.trials.some((t) => t.evaluation?.random.length) ? (earlier.options.random_rule ?? 'uniform') : undefined;
  const asked = req.options.random_rule;
  if (asked && trained && asked !== trained) {
    throw new SweepConflict(`${req.dir} holds random cells drawn under --random-rule ${trained}; draw them under ${asked} into another --out`);
  }
  return asked ?? trained ?? DEFAULT_RANDOM_RULE;
}

/**
 * Runs the sweep to its end (or cancellation through `signal`).
 * @throws SettingError for an invalid grid, SweepConflict for a folder it cannot continue
 */
export async function runSweep(req: SweepRequest): Promise<SweepOutcome> {
  const { sweep, texts, named } = prepare(req);
  mkdirSync(join(req.dir, 'spaces'), { recursive: true });
  for (const [id, text] of texts) if (!existsSync(join(req.dir, 'spaces', `${id}.bnas`))) writeFileAtomic(join(req.dir, 'spaces', `${id}.bnas`), text);
  // Cancel requests belong to the sweep run that received them; running the command again continues those trials.
  rmSync(join(req.dir, CANCEL_FILE), { force: true });
  const state = new SweepState(req.dir, sweep, req.listener);
  state.save();
  const todo = sweep.trials.filter((t) => named.has(t.id) && t.state !== 'finished').map((t) => t.id);
  const t0 = performance.now();
  state.emit({ type: 'sweep-started', time: new Date().toISOString(), trials: named.size, executor: sweep.options.executor, parallel: sweep.options.parallel, skipped: named.size - todo.length });
  if (sweep.options.executor === 'local') await runLocal(state, todo, sweep.options.parallel, req.cli, req.signal);
  else await runSlurm(state, todo, req.cli, req.signal);

  const seconds = (performance.now() - t0) / 1000;
  const count = (s: Trial['state']) => sweep.trials.filter((t) => named.has(t.id) && t.state === s).length;
  const cancelled = req.signal.aborted;
  // Trials cancelled on request (bnas sweep --cancel) do not make the sweep cancelled: it ran to its end.
  sweep.state = cancelled ? 'cancelled' : count('failed') > 0 ? 'failed' : 'finished';
  state.save();
  writeFileAtomic(join(req.dir, 'summary.md'), summaryMarkdown(sweep));
  const time = new Date().toISOString();
  if (cancelled) state.emit({ type: 'sweep-cancelled', time, seconds });
  else state.emit({ type: 'sweep-finished', time, finished: count('finished'), failed: count('failed'), cancelled: count('cancelled'), seconds });
  return { sweep, exitCode: cancelled ? 130 : count('failed') > 0 ? 1 : 0 };
}

export { SettingError };
