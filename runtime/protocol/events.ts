/**
 * Run events: what a search emits, one JSON object per line in `events.jsonl`, and to the process
 * that started it over one channel: IPC when the search runs as a child with an IPC channel, else
 * stdout with `--json`. The extension forwards them to the webview.
 * Direction: runtime → extension → webview. Fields may be added, never dropped; a reader ignores
 * fields it does not know. Every event carries `type` and `time` (ISO 8601).
 *
 * The schemas below are the contract; the types are inferred from them, so a check cannot drift
 * from the type it guards.
 */
import * as v from 'valibot';
import { check, finite, integer, lossy, natural, type Checked } from './check.js';
import { CellKindSchema, GenotypeSchema } from './genotype.js';

const list = <S extends v.GenericSchema>(item: S) => v.pipe(v.array(item), v.readonly());

/** An event schema: `type`, `time`, then its own fields; the object is read-only. */
function event<T extends string, E extends v.ObjectEntries>(type: T, entries: E) {
  return v.pipe(v.object({ type: v.literal(type), /** ISO 8601 time the event was made. */ time: v.string(), ...entries }), v.readonly());
}

/** The search began (or resumed). */
export const StartedEventSchema = event('started', {
  /** Name of the search space. */
  space: v.string(),
  /** Backend in use (`tensorflow`, `wasm`, `cpu`) and why it was chosen. */
  backend: v.string(),
  backend_reason: v.optional(v.string()),
  seed: integer,
  /** Trainable weights of the supernet (not counting α and β). */
  parameters: natural,
  epochs: natural,
  steps_per_epoch: natural,
  /** Candidate op names, in declaration order. */
  ops: list(v.string()),
  /** Number of edges per cell. */
  edges: natural,
  resumed: v.optional(v.boolean()),
  /** Threads the search computes on (data-parallel workers + the main thread). */
  threads: v.optional(natural),
  /**
   * false: the weight and architecture steps run on the main thread alone (one thread's numbers)
   * and the other threads share pruning and measurements; absent or true: steps split across them.
   */
  shard_steps: v.optional(v.boolean()),
  /** Why that thread count: asked for, or what `auto` measured (docs/design.md, "Threads"). */
  threads_reason: v.optional(v.string()),
  /** Images per micro-batch of each thread's shard, and how many a step computes (docs/method.md, "Micro-batches"). */
  micro_batch: v.optional(natural),
  micro_batches: v.optional(natural),
  /** Why: `train.micro_batch`, or the memory estimate against the backend's heap. */
  micro_batch_reason: v.optional(v.string()),
});

/** Throttled progress within an epoch. */
export const StepEventSchema = event('step', {
  epoch: natural,
  step: natural,
  steps: natural,
  loss: lossy,
  /** Seconds since the search started (excluding time before a resume). */
  seconds: finite,
  /** What the step was doing: weight training, pruning evaluations or derivation's edge probes. */
  phase: v.optional(v.picklist(['train', 'prune', 'derive'])),
});

/** End of an epoch. */
export const EpochEventSchema = event('epoch', {
  epoch: natural,
  train_loss: lossy,
  train_acc: finite,
  valid_loss: lossy,
  valid_acc: finite,
  seconds: finite,
  /** Ops still alive on each edge, summed over both cell kinds. */
  ops_left: natural,
  /** Seconds spent on pruning evaluations in this epoch. */
  prune_seconds: v.optional(finite),
  /** Seconds of this epoch's weight and architecture steps. */
  train_seconds: v.optional(finite),
  /** Seconds of this epoch's validation pass over the architecture split. */
  valid_seconds: v.optional(finite),
  /** With `binarize.progressive`: λ at the end of the epoch, where validation and pruning measured (docs/method.md, "Progressive binarization"). */
  binary_share: v.optional(finite),
});

/** Architecture weights of one cell kind after an epoch. */
export const AlphasEventSchema = event('alphas', {
  epoch: natural,
  cell: CellKindSchema,
  /** Per edge: softmax weight of each remaining op (op name → weight). */
  weights: list(v.pipe(v.record(v.string(), finite), v.readonly())),
  /** Per edge: the edge weight (softmax of β over the node's inputs); 1 when edge normalization is off. */
  betas: list(finite),
});

/** An op was abandoned on an edge by pruning. */
/** A pruning round's evidence on one edge. */
export const PruneEvidenceSchema = v.pipe(
  v.object({
    /** What `values` are: `valid_loss_delta` (performance), `mean_accuracy` (ucb), `alpha_weight` (alpha). */
    measure: v.string(),
    /** The measured value per op alive before the round; null for an op the round did not measure. */
    values: v.pipe(v.record(v.string(), v.nullable(finite)), v.readonly()),
    /** The criterion's score per op after the round (the lowest went first); null when not finite (an unsampled op's UCB score). */
    scores: v.pipe(v.record(v.string(), v.nullable(finite)), v.readonly()),
    /** `pruning.confidence` where the paired-z rule decided (docs/method.md, "Evidence that separates"). */
    confidence: v.optional(finite),
    /** Per op, with `confidence`: a candidate (the evidence cannot tell it from the worst measured op; the smallest α of these goes), kept on evidence, or promising (not measured). */
    roles: v.optional(v.pipe(v.record(v.string(), v.picklist(['candidate', 'kept', 'promising'])), v.readonly())),
    /** Per op, with `confidence`: how many standard errors the worst measured op's per-example losses exceed this op's; null for the worst, an unmeasured op, or an infinite z. */
    z: v.optional(v.pipe(v.record(v.string(), v.nullable(finite)), v.readonly())),
  }),
  v.readonly(),
);
export type PruneEvidence = v.InferOutput<typeof PruneEvidenceSchema>;

export const PrunedEventSchema = event('pruned', {
  epoch: natural,
  cell: CellKindSchema,
  edge: natural,
  op: v.string(),
  score: lossy,
  round: natural,
  /** What the round saw on this edge, per op alive before it (absent in runs of older versions). */
  evidence: v.optional(PruneEvidenceSchema),
});

/** The current derivation. */
export const GenotypeEventSchema = event('genotype', {
  epoch: natural,
  genotype: GenotypeSchema,
  final: v.optional(v.boolean()),
  /**
   * With `derive.edges = removal`, on the final genotype: per cell kind and edge, the rise of the
   * supernet's validation loss (nats) when that edge alone is removed, by which the inputs were chosen.
   */
  edge_evidence: v.optional(v.object({ normal: list(finite), reduce: list(finite) })),
});

/** A checkpoint was written (the run can be resumed from this epoch). */
export const CheckpointEventSchema = event('checkpoint', {
  epoch: natural,
  path: v.string(),
});

/** The search ended with a result. */
export const FinishedEventSchema = event('finished', {
  genotype: GenotypeSchema,
  seconds: finite,
  valid_acc: v.optional(finite),
  test_acc: v.optional(finite),
  /** Why the search stopped early, e.g. the time budget. */
  reason: v.optional(v.string()),
});

/** The search failed; `message` says why. */
export const FailedEventSchema = event('failed', {
  message: v.string(),
});

/** The search was stopped; it resumes from `checkpoint` when there is one. */
export const CancelledEventSchema = event('cancelled', {
  epoch: natural,
  checkpoint: v.optional(v.string()),
});

/**
 * Progress of the full-precision parent search that runs before a guided search
 * (`guide.parent = real`, docs/method.md, "Parent guide"): `started`, throttled `step`s, each
 * `epoch`, and `finished` with the parent's own derived cells. The search's `started` follows.
 */
export const ParentEventSchema = event('parent', {
  stage: v.picklist(['started', 'step', 'epoch', 'finished']),
  /** The parent's epoch (1-based; 0 at `started`; at `finished`, the epochs it ran) and its planned epochs. */
  epoch: natural,
  epochs: natural,
  step: v.optional(natural),
  steps: v.optional(natural),
  /** The step's loss (`step`) or the epoch's training loss (`epoch`). */
  loss: v.optional(lossy),
  /** The parent supernet's validation accuracy (`epoch`, `finished`). */
  valid_acc: v.optional(finite),
  /** Seconds since the search started (excluding time before a resume). */
  seconds: v.optional(finite),
  resumed: v.optional(v.boolean()),
  /** The parent's derived cells (`finished`). */
  genotype: v.optional(GenotypeSchema),
});

/** Non-fatal notice, e.g. the memory estimate exceeds the budget. */
export const WarningEventSchema = event('warning', {
  message: v.string(),
});

export const RunEventSchema = v.variant('type', [
  StartedEventSchema,
  StepEventSchema,
  EpochEventSchema,
  AlphasEventSchema,
  PrunedEventSchema,
  GenotypeEventSchema,
  CheckpointEventSchema,
  FinishedEventSchema,
  FailedEventSchema,
  CancelledEventSchema,
  WarningEventSchema,
  ParentEventSchema,
]);

export type StartedEvent = v.InferOutput<typeof StartedEventSchema>;
export type StepEvent = v.InferOutput<typeof StepEventSchema>;
export type EpochEvent = v.InferOutput<typeof EpochEventSchema>;
export type AlphasEvent = v.InferOutput<typeof AlphasEventSchema>;
export type PrunedEvent = v.InferOutput<typeof PrunedEventSchema>;
export type GenotypeEvent = v.InferOutput<typeof GenotypeEventSchema>;
export type CheckpointEvent = v.InferOutput<typeof CheckpointEventSchema>;
export type FinishedEvent = v.InferOutput<typeof FinishedEventSchema>;
export type FailedEvent = v.InferOutput<typeof FailedEventSchema>;
export type CancelledEvent = v.InferOutput<typeof CancelledEventSchema>;
export type WarningEvent = v.InferOutput<typeof WarningEventSchema>;
export type ParentEvent = v.InferOutput<typeof ParentEventSchema>;
export type RunEvent = v.InferOutput<typeof RunEventSchema>;
export type RunEventType = RunEvent['type'];

/** Every event type, in the order of the union. */
export const EVENT_TYPES: readonly RunEventType[] = RunEventSchema.options.map((o) => o.pipe[0].entries.type.literal);

/** Terminal events: after one of these the run emits nothing more. */
export const TERMINAL_EVENTS: ReadonlySet<RunEventType> = new Set(['finished', 'failed', 'cancelled']);

/**
 * Checks a value that crossed a process or webview boundary.
 * @returns the event (fields the protocol does not know are left out), or the reason it is not one.
 */
export function checkRunEvent(value: unknown): Checked<RunEvent> {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return check(RunEventSchema, value, EVENT_TYPES.includes(type as RunEventType) ? (type as string) : undefined);
}

/** The event, or undefined when `value` is not a well-formed RunEvent (see `checkRunEvent` for why). */
export function parseRunEvent(value: unknown): RunEvent | undefined {
  const r = checkRunEvent(value);
  return r.ok ? r.value : undefined;
}

/**
 * Parses JSON lines (the text of `events.jsonl`) into validated events, oldest first; counts the
 * lines that are not valid events (a torn last line after a kill, or garbage).
 */
export function parseEventLines(text: string): { events: RunEvent[]; invalid: number } {
  const events: RunEvent[] = [];
  let invalid = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      invalid++; // not JSON: counted with the invalid events
      continue;
    }
    const e = parseRunEvent(value);
    if (e) events.push(e);
    else invalid++;
  }
  return { events, invalid };
}

/** Makes an event stamped with the current time. */
export function makeEvent<E extends RunEvent>(event: Omit<E, 'time'>): E {
  return { ...event, time: new Date().toISOString() } as E;
}

/**
 * Messages from the extension to a runtime child process over Node IPC.
 * `cancel`: stop gracefully (write a checkpoint, emit `cancelled`, exit 130).
 */
export const RunnerCommandSchema = v.object({ type: v.literal('cancel') });
export type RunnerCommand = v.InferOutput<typeof RunnerCommandSchema>;

export function parseRunnerCommand(value: unknown): RunnerCommand | undefined {
  const r = check(RunnerCommandSchema, value);
  return r.ok ? r.value : undefined;
}
