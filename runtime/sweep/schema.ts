/**
 * What a sweep writes, as valibot schemas with the types inferred from them: `sweep.json` (the
 * grid and every trial's state, rewritten whole and atomically by the one process that runs the
 * sweep) and the events of `sweep-events.jsonl` (appended, one JSON object per line, and printed
 * on stdout with `--json`). Readers (the extension's runs view and sweep view) parse with these
 * schemas; fields may be added, never dropped.
 */
import * as v from 'valibot';
import { RANDOM_RULES } from '../protocol/random-rule.js';

export const SWEEP_FORMAT = 1;

/** The states of a trial. `pending` and `running` trials are unfinished and a re-run continues them. */
export const TRIAL_STATES = ['pending', 'running', 'finished', 'failed', 'cancelled'] as const;
export type TrialState = (typeof TRIAL_STATES)[number];

const GenotypeEdgeSchema = v.tuple([v.string(), v.pipe(v.number(), v.integer())]);
const GenotypeSchema = v.object({
  normal: v.array(GenotypeEdgeSchema),
  normal_concat: v.array(v.number()),
  reduce: v.array(GenotypeEdgeSchema),
  reduce_concat: v.array(v.number()),
});

/** What a finished search trial found (from its run folder's `result.json` and `events.jsonl`). */
export const TrialResultSchema = v.object({
  genotype: GenotypeSchema,
  valid_acc: v.number(),
  test_acc: v.optional(v.number()),
  search_seconds: v.number(),
  /**
   * CPU seconds of the search (user + system, every thread of its process, resumed parts
   * included): a trial's cost that other trials running beside it do not inflate as they do its
   * wall time (absent in records of older versions).
   */
  cpu_seconds: v.optional(v.number()),
  /** Peak resident memory of the search process that finished the trial, MB. */
  peak_rss_mb: v.optional(v.number()),
  /** Trainable weights of the supernet searched. */
  parameters: v.optional(v.number()),
  /** Share of the derived cells' edges (both cells) whose op has no weights: pool, skip, none. */
  param_free_share: v.number(),
});
export type TrialResult = v.InferOutput<typeof TrialResultSchema>;

/** What `bnas evaluate --json` reported for the trial's derived cells. */
export const EvaluationSchema = v.object({
  /** Test accuracy of the derived cells' network; with `accuracies`, their mean. */
  accuracy: v.number(),
  /** `--repeats N`: the N trainings from scratch of the derived cells, each its own initialisation and batch order. */
  accuracies: v.optional(v.array(v.number())),
  random: v.array(v.number()),
  epochs: v.number(),
  seconds: v.number(),
  /** Trainable weights of the evaluated genotype's network (under the evaluation's protocol). */
  parameters: v.optional(v.number()),
  /** The same genotype trained with real weights and activations (`--float`): the binary-vs-float gap. */
  float: v.optional(v.number()),
  /** How the random cells were drawn (absent in records of older versions: uniformly). */
  random_rule: v.optional(v.picklist(RANDOM_RULES)),
  /** Under `caps`: the derivation caps they obey (null: no cap). */
  random_caps: v.optional(v.object({ max_param_free: v.nullable(v.number()), max_inner_edges: v.nullable(v.number()) })),
  /** The random cells trained, in the order of `random`. */
  random_cells: v.optional(v.array(GenotypeSchema)),
});
export type Evaluation = v.InferOutput<typeof EvaluationSchema>;

export const TrialSchema = v.object({
  /** Unique within the sweep; also the folder name under `trials/`. */
  id: v.string(),
  seed: v.number(),
  /** The `--set` values of this trial: language path → value text. */
  settings: v.record(v.string(), v.string()),
  /** The trial's space file, relative to the sweep folder (`spaces/<id>.bnas`). */
  space: v.string(),
  /** The trial's run folder, relative to the sweep folder (`trials/<id>`). */
  run: v.string(),
  /** The evaluation record, relative to the sweep folder (`evaluations/<id>.json`), when evaluating. */
  evaluation_file: v.optional(v.string()),
  state: v.picklist(TRIAL_STATES),
  /** Times the trial was started (a resume or a Slurm resubmission counts again). */
  attempts: v.number(),
  started: v.optional(v.string()),
  ended: v.optional(v.string()),
  exit_code: v.optional(v.number()),
  /** The last lines of the failed process's stderr. */
  error: v.optional(v.string()),
  result: v.optional(TrialResultSchema),
  evaluation: v.optional(EvaluationSchema),
  /** Slurm job id (`1234_5` for an array task) of the latest attempt. */
  slurm_job: v.optional(v.string()),
});
export type Trial = v.InferOutput<typeof TrialSchema>;

export const SweepOptionsSchema = v.object({
  seeds: v.array(v.number()),
  /** The `--set` axes in the order given: key → values. */
  set: v.array(v.object({ key: v.string(), values: v.array(v.string()) })),
  evaluate: v.boolean(),
  epochs: v.optional(v.number()),
  /** Also train each derived cell real-valued (`bnas evaluate --float`). */
  float: v.optional(v.boolean()),
  /**
   * Absolute path of the evaluation protocol (`--protocol FILE.bnas`): the evaluations train on
   * its data, cells, channels, binarization and optimizer instead of the swept space's.
   */
  protocol: v.optional(v.string()),
  random: v.number(),
  /**
   * How the random cells are drawn (`--random-rule`); absent in sweeps of older versions, which
   * drew them uniformly.
   */
  random_rule: v.optional(v.picklist(RANDOM_RULES)),
  executor: v.picklist(['local', 'slurm']),
  parallel: v.number(),
  backend: v.string(),
  threads: v.optional(v.number()),
  retries: v.number(),
  slurm_args: v.optional(v.string()),
});
export type SweepOptions = v.InferOutput<typeof SweepOptionsSchema>;

export const SweepFileSchema = v.object({
  format: v.literal(SWEEP_FORMAT),
  /** Absolute path of the swept `.bnas` file. */
  file: v.string(),
  /** Name of the search space. */
  space: v.string(),
  options: SweepOptionsSchema,
  created: v.string(),
  updated: v.string(),
  /** Where the sweep stands as a whole. */
  state: v.picklist(['running', 'finished', 'cancelled', 'failed']),
  trials: v.array(TrialSchema),
});
export type SweepFile = v.InferOutput<typeof SweepFileSchema>;

const at = { time: v.string() };
const trial = { ...at, trial: v.string() };

export const SweepEventSchema = v.variant('type', [
  v.object({ type: v.literal('sweep-started'), ...at, trials: v.number(), executor: v.string(), parallel: v.number(), skipped: v.number() }),
  /** A trial's process starts: its Slurm job, or the local child's process id. */
  v.object({ type: v.literal('trial-started'), ...trial, attempt: v.number(), resume: v.boolean(), phase: v.picklist(['search', 'evaluate']), slurm_job: v.optional(v.string()), pid: v.optional(v.number()) }),
  /** End of an epoch of the trial's search. */
  v.object({ type: v.literal('trial-progress'), ...trial, epoch: v.number(), epochs: v.optional(v.number()), valid_acc: v.number(), seconds: v.number() }),
  v.object({ type: v.literal('trial-finished'), ...trial, result: TrialResultSchema, evaluation: v.optional(EvaluationSchema) }),
  v.object({ type: v.literal('trial-failed'), ...trial, exit_code: v.number(), error: v.string() }),
  v.object({ type: v.literal('trial-cancelled'), ...trial }),
  /** A trial ended without finishing and runs again, resuming (a Slurm task resubmitted, or a local child started again). */
  v.object({ type: v.literal('trial-retry'), ...trial, attempt: v.number(), reason: v.string() }),
  v.object({ type: v.literal('sweep-finished'), ...at, finished: v.number(), failed: v.number(), cancelled: v.number(), seconds: v.number() }),
  v.object({ type: v.literal('sweep-cancelled'), ...at, seconds: v.number() }),
]);
export type SweepEvent = v.InferOutput<typeof SweepEventSchema>;

/** Parses one line of `sweep-events.jsonl` (undefined when it is not a sweep event). */
export function parseSweepEvent(x: unknown): SweepEvent | undefined {
  const r = v.safeParse(SweepEventSchema, x);
  return r.success ? r.output : undefined;
}

/**
 * The report `bnas evaluate --json` printed: its last stdout line, checked against the schema
 * (read by a sweep's trials and by the extension's Evaluate Derived Cell).
 * @returns undefined when the output holds no valid report
 */
export function parseEvaluationOutput(stdout: string): Evaluation | undefined {
  const last = stdout.trim().split('\n').at(-1);
  if (!last) return undefined;
  try {
    const r = v.safeParse(EvaluationSchema, JSON.parse(last));
    return r.success ? r.output : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `sweep.json` (undefined when it is not a sweep file of this format). */
export function parseSweepFile(x: unknown): SweepFile | undefined {
  const r = v.safeParse(SweepFileSchema, x);
  return r.success ? r.output : undefined;
}
