/**
 * Folds run events into what the run view draws. Pure data code (no DOM) so it is tested in Node
 * and shared by the live view and the report page. Events are applied in batches; the returned
 * set says which parts of the view need redrawing.
 */
import type {
  AlphasEvent,
  CancelledEvent,
  EpochEvent,
  FailedEvent,
  FinishedEvent,
  PrunedEvent,
  RunEvent,
  StartedEvent,
} from '../../runtime/protocol/events.js';
import type { CellKind, Genotype } from '../../runtime/protocol/genotype.js';

/** A point of a curve; x is in epochs (fractional for steps: epoch − 1 + step / steps). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Parts of the run view that can be redrawn separately. */
export type Section = 'facts' | 'curves' | 'weights' | 'pruning' | 'cells' | 'messages';

export interface RunModel {
  started?: StartedEvent;
  /** Weights of the whole supernet, from the first `started` (a resumed one counts only the ops alive). */
  parameters?: number;
  /** Weights of the ops alive, when a resumed `started` counted fewer. */
  aliveParameters?: number;
  /** Op names in display order (from `started`, then any op seen later). */
  readonly ops: string[];
  /** Edges per cell (from `started`, or the widest `alphas` event). */
  edges: number;
  /** Step losses (throttled by the runtime), per phase. */
  readonly stepLoss: Point[];
  readonly epochs: EpochEvent[];
  /** `alphas` events per cell kind, in epoch order (a repeated epoch replaces the earlier one). */
  readonly alphas: Record<CellKind, AlphasEvent[]>;
  readonly pruned: PrunedEvent[];
  /** Latest derivation, with the epoch it was derived at. */
  genotype?: { readonly epoch: number; readonly genotype: Genotype; readonly final: boolean };
  /** With `derive.edges = removal`: per cell kind and edge, the validation loss the supernet gained without the edge. */
  edgeEvidence?: Readonly<Record<CellKind, readonly number[]>>;
  end?: FinishedEvent | FailedEvent | CancelledEvent;
  readonly warnings: string[];
  /** Seconds since start of the last event that carried them. */
  seconds: number;
  /** Last event epoch seen (for the progress label). */
  epoch: number;
  /** Steps per epoch and last step seen, for progress within an epoch. */
  step?: { readonly epoch: number; readonly step: number; readonly steps: number };
  /** Number of events applied. */
  count: number;
}

/** An empty model. */
export function emptyModel(): RunModel {
  return { ops: [], edges: 0, stepLoss: [], epochs: [], alphas: { normal: [], reduce: [] }, pruned: [], warnings: [], seconds: 0, epoch: 0, count: 0 };
}

function addOps(model: RunModel, names: Iterable<string>): boolean {
  let added = false;
  for (const n of names) {
    if (!model.ops.includes(n)) {
      model.ops.push(n);
      added = true;
    }
  }
  return added;
}

/** Inserts `e` keeping the list sorted by epoch; an event for an epoch already present replaces it. */
function putByEpoch<T extends { readonly epoch: number }>(list: T[], e: T): void {
  const last = list.at(-1);
  if (!last || last.epoch < e.epoch) {
    list.push(e);
    return;
  }
  const i = list.findIndex((x) => x.epoch >= e.epoch);
  if (list[i]!.epoch === e.epoch) list[i] = e;
  else list.splice(i, 0, e);
}

/**
 * Applies events in order to `model` (mutated in place).
 * @returns the sections whose drawing changed.
 */
export function applyEvents(model: RunModel, events: readonly RunEvent[]): Set<Section> {
  const dirty = new Set<Section>();
  for (const e of events) {
    model.count++;
    switch (e.type) {
      case 'started':
        // A resumed run sends `started` again; earlier epochs are kept, later ones are replaced as they come.
        model.started = e;
        if (!e.resumed || model.parameters === undefined) model.parameters = e.parameters;
        model.aliveParameters = e.resumed && e.parameters !== model.parameters ? e.parameters : undefined;
        model.end = undefined;
        model.edges = Math.max(model.edges, e.edges);
        addOps(model, e.ops);
        // Messages too: the banner of an earlier stop must go once the run resumes.
        dirty.add('facts').add('weights').add('pruning').add('messages');
        break;
      case 'step':
        if ((e.phase ?? 'train') === 'train' && e.steps > 0) model.stepLoss.push({ x: e.epoch - 1 + e.step / e.steps, y: e.loss });
        model.step = { epoch: e.epoch, step: e.step, steps: e.steps };
        model.seconds = e.seconds;
        model.epoch = Math.max(model.epoch, e.epoch);
        dirty.add('curves').add('facts');
        break;
      case 'epoch':
        putByEpoch(model.epochs, e);
        model.seconds = e.seconds;
        model.epoch = Math.max(model.epoch, e.epoch);
        dirty.add('curves').add('facts');
        break;
      case 'alphas':
        putByEpoch(model.alphas[e.cell], e);
        model.edges = Math.max(model.edges, e.weights.length);
        if (addOps(model, e.weights.flatMap((w) => Object.keys(w)))) dirty.add('pruning');
        dirty.add('weights');
        break;
      case 'pruned':
        model.pruned.push(e);
        addOps(model, [e.op]);
        dirty.add('pruning').add('weights');
        break;
      case 'genotype':
        if (!model.genotype || !model.genotype.final || e.final) model.genotype = { epoch: e.epoch, genotype: e.genotype, final: e.final === true };
        dirty.add('cells');
        if (e.final && e.edge_evidence) {
          model.edgeEvidence = e.edge_evidence;
          dirty.add('pruning');
        }
        break;
      case 'finished':
        model.end = e;
        model.seconds = e.seconds;
        model.genotype = { epoch: model.genotype?.epoch ?? model.epoch, genotype: e.genotype, final: true };
        dirty.add('cells').add('facts').add('messages');
        break;
      case 'failed':
      case 'cancelled':
        model.end = e;
        dirty.add('facts').add('messages');
        break;
      case 'warning':
        model.warnings.push(e.message);
        dirty.add('messages');
        break;
      case 'checkpoint':
        break;
    }
  }
  return dirty;
}

/** Status of a run for the badge. */
export function runStatus(model: RunModel, live: boolean): 'waiting' | 'running' | 'finished' | 'failed' | 'cancelled' | 'stopped' {
  if (model.end) return model.end.type;
  if (!model.started) return live ? 'waiting' : 'stopped';
  return live ? 'running' : 'stopped';
}

/** Total ops left on all edges of one cell kind, by the latest `alphas` event. */
export function opsLeft(model: RunModel, cell: CellKind): number | undefined {
  const last = model.alphas[cell].at(-1);
  return last?.weights.reduce((n, w) => n + Object.keys(w).length, 0);
}

/**
 * The epoch fact, in the convention every view shares: `3 / 6` is the third of six epochs,
 * 1-based as in `step` and `epoch` events, the one in progress while running; a stopped run
 * says how many completed (`cancelled.epoch` counts them).
 */
export function epochLabel(model: RunModel, running: boolean): string {
  const total = model.started?.epochs;
  if (total === undefined) return '–';
  if (model.end?.type === 'cancelled') return `stopped after ${model.end.epoch} / ${total}`;
  const done = model.epochs.at(-1)?.epoch ?? 0;
  if (running && model.step && model.step.epoch > done) return `${model.step.epoch} / ${total} (${model.step.steps ? `step ${model.step.step}/${model.step.steps}` : 'starting'})`;
  return done ? `${done} / ${total}` : running ? `starting (${total} epochs)` : `0 / ${total}`;
}
