/**
 * Run events: what a search emits, one JSON object per line in `events.jsonl`, on stdout with
 * `--json`, and over IPC to the extension, which forwards them to the webview.
 * Direction: runtime → extension → webview. Contract section 6; fields may be added, never dropped.
 * Every event carries `type` and `time` (ISO 8601).
 */
import { isGenotype, type CellKind, type Genotype } from './genotype.js';

interface EventBase {
  /** ISO 8601 time the event was made. */
  readonly time: string;
}

/** The search began (or resumed). */
export interface StartedEvent extends EventBase {
  readonly type: 'started';
  /** Name of the search space. */
  readonly space: string;
  /** Backend in use (`tensorflow`, `wasm`, `cpu`) and why it was chosen. */
  readonly backend: string;
  readonly backend_reason?: string;
  readonly seed: number;
  /** Trainable weights of the supernet (not counting α and β). */
  readonly parameters: number;
  readonly epochs: number;
  readonly steps_per_epoch: number;
  /** Candidate op names, in declaration order. */
  readonly ops: readonly string[];
  /** Number of edges per cell. */
  readonly edges: number;
  readonly resumed?: boolean;
  /** Threads the search computes on (data-parallel workers + the main thread). */
  readonly threads?: number;
}

/** Throttled progress within an epoch. */
export interface StepEvent extends EventBase {
  readonly type: 'step';
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  /** Seconds since the search started (excluding time before a resume). */
  readonly seconds: number;
  /** What the step was doing: weight training or pruning evaluations. */
  readonly phase?: 'train' | 'prune';
}

/** End of an epoch. */
export interface EpochEvent extends EventBase {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly train_loss: number;
  readonly train_acc: number;
  readonly valid_loss: number;
  readonly valid_acc: number;
  readonly seconds: number;
  /** Ops still alive on each edge, summed over both cell kinds. */
  readonly ops_left: number;
  /** Seconds spent on pruning evaluations in this epoch. */
  readonly prune_seconds?: number;
  /** Seconds of this epoch's weight and architecture steps. */
  readonly train_seconds?: number;
  /** Seconds of this epoch's validation pass over the architecture split. */
  readonly valid_seconds?: number;
}

/** Architecture weights of one cell kind after an epoch. */
export interface AlphasEvent extends EventBase {
  readonly type: 'alphas';
  readonly epoch: number;
  readonly cell: CellKind;
  /** Per edge: softmax weight of each remaining op (op name → weight). */
  readonly weights: readonly Readonly<Record<string, number>>[];
  /** Per edge: the edge weight (softmax of β over the node's inputs); 1 when edge normalization is off. */
  readonly betas: readonly number[];
}

/** An op was abandoned on an edge by pruning. */
export interface PrunedEvent extends EventBase {
  readonly type: 'pruned';
  readonly epoch: number;
  readonly cell: CellKind;
  readonly edge: number;
  readonly op: string;
  readonly score: number;
  readonly round: number;
  /** What the round saw on this edge, per op alive before it (absent in runs of older versions). */
  readonly evidence?: PruneEvidence;
}

/** A pruning round's evidence on one edge. */
export interface PruneEvidence {
  /** What `values` are: `valid_loss_delta` (performance), `mean_accuracy` (ucb), `alpha_weight` (alpha). */
  readonly measure: string;
  /** The measured value per op; null for an op the round did not measure. */
  readonly values: Readonly<Record<string, number | null>>;
  /** The criterion's score per op after the round (the lowest went first); null when not finite (an unsampled op's UCB score). */
  readonly scores: Readonly<Record<string, number | null>>;
}

/** The current derivation. */
export interface GenotypeEvent extends EventBase {
  readonly type: 'genotype';
  readonly epoch: number;
  readonly genotype: Genotype;
  readonly final?: boolean;
}

export interface CheckpointEvent extends EventBase {
  readonly type: 'checkpoint';
  readonly epoch: number;
  readonly path: string;
}

export interface FinishedEvent extends EventBase {
  readonly type: 'finished';
  readonly genotype: Genotype;
  readonly seconds: number;
  readonly valid_acc?: number;
  readonly test_acc?: number;
  /** Why the search stopped early, e.g. the time budget. */
  readonly reason?: string;
}

export interface FailedEvent extends EventBase {
  readonly type: 'failed';
  readonly message: string;
}

export interface CancelledEvent extends EventBase {
  readonly type: 'cancelled';
  readonly epoch: number;
  readonly checkpoint?: string;
}

/** Non-fatal notice, e.g. the memory estimate exceeds the budget. */
export interface WarningEvent extends EventBase {
  readonly type: 'warning';
  readonly message: string;
}

export type RunEvent =
  | StartedEvent
  | StepEvent
  | EpochEvent
  | AlphasEvent
  | PrunedEvent
  | GenotypeEvent
  | CheckpointEvent
  | FinishedEvent
  | FailedEvent
  | CancelledEvent
  | WarningEvent;

export type RunEventType = RunEvent['type'];

/** Terminal events: after one of these the run emits nothing more. */
export const TERMINAL_EVENTS: ReadonlySet<RunEventType> = new Set(['finished', 'failed', 'cancelled']);

const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const numOrNaN = (v: unknown) => typeof v === 'number';
const str = (v: unknown) => typeof v === 'string';
const numbersOrNull = (v: unknown) =>
  typeof v === 'object' && v !== null && Object.values(v).every((x) => x === null || typeof x === 'number');
const isEvidence = (v: unknown) =>
  typeof v === 'object' && v !== null && str((v as PruneEvidence).measure) && numbersOrNull((v as PruneEvidence).values) && numbersOrNull((v as PruneEvidence).scores);
const int = (v: unknown) => Number.isInteger(v);
const cell = (v: unknown) => v === 'normal' || v === 'reduce';

const CHECKS: { readonly [K in RunEventType]: (o: Record<string, unknown>) => boolean } = {
  started: (o) => str(o.space) && str(o.backend) && int(o.seed) && int(o.parameters),
  step: (o) => int(o.epoch) && int(o.step) && numOrNaN(o.loss) && num(o.seconds),
  epoch: (o) =>
    int(o.epoch) && numOrNaN(o.train_loss) && num(o.train_acc) && numOrNaN(o.valid_loss) && num(o.valid_acc) && num(o.seconds) && int(o.ops_left),
  alphas: (o) =>
    int(o.epoch) && cell(o.cell) && Array.isArray(o.weights) &&
    o.weights.every((w) => typeof w === 'object' && w !== null && Object.values(w).every(num)) &&
    Array.isArray(o.betas) && o.betas.every(num),
  pruned: (o) => int(o.epoch) && cell(o.cell) && int(o.edge) && str(o.op) && numOrNaN(o.score) && int(o.round) && (o.evidence === undefined || isEvidence(o.evidence)),
  genotype: (o) => int(o.epoch) && isGenotype(o.genotype),
  checkpoint: (o) => int(o.epoch) && str(o.path),
  finished: (o) => isGenotype(o.genotype) && num(o.seconds),
  failed: (o) => str(o.message),
  cancelled: (o) => int(o.epoch),
  warning: (o) => str(o.message),
};

/**
 * Validates a value that crossed a process or webview boundary.
 * @returns the event, or undefined when it is not a well-formed RunEvent.
 */
export function parseRunEvent(value: unknown): RunEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.type !== 'string' || !str(o.time) || !Object.hasOwn(CHECKS, o.type)) return undefined;
  return CHECKS[o.type as RunEventType](o) ? (value as RunEvent) : undefined;
}

/** Makes an event stamped with the current time. */
export function makeEvent<E extends RunEvent>(event: Omit<E, 'time'>): E {
  return { ...event, time: new Date().toISOString() } as E;
}

/**
 * Messages from the extension to a runtime child process over Node IPC.
 * `cancel`: stop gracefully (write a checkpoint, emit `cancelled`, exit 130).
 */
export type RunnerCommand = { readonly type: 'cancel' };

export function parseRunnerCommand(value: unknown): RunnerCommand | undefined {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'cancel'
    ? { type: 'cancel' }
    : undefined;
}
