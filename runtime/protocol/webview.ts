/**
 * Messages between the extension and its webviews (the run view and the search-space view),
 * and the data a `bnas report` page carries. Both sides validate what they receive with the
 * parsers below: a webview is a separate process and a report page may be edited by hand.
 *
 * Handshake: the webview posts `ready` once its script has loaded and its listeners are in place;
 * only then does the extension send data (`runInit` or `space`). After a reload (hidden tab,
 * window reload, panel restored by the serializer) the webview posts `ready` again and the
 * extension sends the whole state again, so no message is lost in between.
 */
import { CELL_KINDS, type CellKind } from './genotype.js';
import { parseRunEvent, type RunEvent } from './events.js';
import type { PruningCriterion, SearchSpace } from '../dsl/space.js';

// The search-space view draws the model and lists the built-in ops; it may import only protocol
// types, so what it needs of the model is re-exported here.
export type { OpSpec, PruningCriterion, SearchSpace } from '../dsl/space.js';
export { BUILTIN_OPS } from '../dsl/space.js';

/** A zero-based position in a text document (as in the Language Server Protocol). */
export interface TextPosition {
  readonly line: number;
  readonly character: number;
}

/** A zero-based range in a text document (as in the Language Server Protocol). */
export interface TextRange {
  readonly start: TextPosition;
  readonly end: TextPosition;
}

/** Which run a run view shows. */
export interface RunInfo {
  /** Stable id of the run (the run folder name for runs on disk). */
  readonly id: string;
  /** Title shown at the top of the view. */
  readonly title: string;
  /** Absolute run folder, when the run has one (used to restore the panel after a reload). */
  readonly dir?: string;
  /** True while the run is still producing events. */
  readonly live: boolean;
}

/** One problem of a `.bnas` document, as the language server reports it. */
export interface SpaceDiagnostic {
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly code?: string;
  readonly range: TextRange;
}

/** Cost estimates of a search space on the chosen backend. */
export interface SpaceEstimates {
  /** Backend the estimate is for (`tensorflow`, `wasm`, `cpu`). */
  readonly backend: string;
  /** Trainable supernet weights (not counting α and β). */
  readonly parameters: number;
  /** Estimated peak memory of one training step, in MB. */
  readonly memoryMb: number;
  /** Estimated wall time of one search epoch, in seconds, when known. */
  readonly secondsPerEpoch?: number;
  /** The `budget.memory_mb` the estimate is compared with. */
  readonly budgetMb?: number;
  /** Where the time estimate comes from (a measured run, or a rough constant). */
  readonly timeSource?: string;
  /** Multiply-adds of one forward pass of one image with every op alive (runtime/dsl/compute.ts). */
  readonly macsPerImage?: number;
  /** Share of `macsPerImage` no pruning removes: stem, pre-processing, the partial-channel mix, head. */
  readonly fixedShare?: number;
  /**
   * The whole search's multiply-adds as a fraction of the same search without pruning, if every
   * round abandoned the costliest op of each edge (`best`) or the cheapest (`worst`)
   * (runtime/dsl/search-compute.ts). Absent when the space does not prune.
   */
  readonly pruningRange?: { readonly best: number; readonly worst: number };
}

/** What the search-space view shows for one `.bnas` document version. */
export interface SpaceViewData {
  /** Document URI (string form); edits and reveals refer to it. */
  readonly uri: string;
  /** Document version the data was computed from; edits are refused for stale versions. */
  readonly version: number;
  /** File name for the title. */
  readonly fileName: string;
  /** The validated model; undefined when the text cannot be parsed into one. */
  readonly space?: SearchSpace;
  readonly diagnostics: readonly SpaceDiagnostic[];
  readonly estimates?: SpaceEstimates;
}

/** Numeric attributes the search-space view can change. */
export type SpaceNumberAttribute =
  | { readonly block: 'sampling'; readonly attribute: 'k' }
  | { readonly block: 'supernet'; readonly attribute: 'cells' | 'channels' | 'nodes' }
  | { readonly block: 'train'; readonly attribute: 'epochs' };

/** An edit the search-space view asks for; the extension applies it as a workspace edit. */
export type SpaceEdit =
  /** Add (`enabled`) or remove an op from the top-level `ops` list. */
  | { readonly kind: 'toggleOp'; readonly op: string; readonly enabled: boolean }
  /** Set an integer attribute, creating the block or attribute when missing. */
  | ({ readonly kind: 'setNumber'; readonly value: number } & SpaceNumberAttribute)
  /** Set `pruning.criterion`. */
  | { readonly kind: 'setCriterion'; readonly value: PruningCriterion };

/** Formats the run view can export (the extension writes or copies them). */
export type ExportFormat = 'json' | 'darts' | 'mermaid' | 'svg';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'darts', 'mermaid', 'svg'];

/** Messages from the extension to a webview. */
export type ToWebviewMessage =
  /** Direction extension → run view: everything known about the run so far (after each `ready`). */
  | { readonly type: 'runInit'; readonly run: RunInfo; readonly events: readonly RunEvent[] }
  /** Direction extension → run view: new events of a live run, in order, batched. */
  | { readonly type: 'runEvents'; readonly events: readonly RunEvent[] }
  /** Direction extension → run view: whether a process is still working on the run (a crash ends it without a terminal event). */
  | { readonly type: 'runLive'; readonly live: boolean }
  /** Direction extension → run view: reply with `svg` for `requestId` holding the drawing of `cell` (Export Genotype → SVG). */
  | { readonly type: 'renderSvg'; readonly requestId: number; readonly cell: CellKind }
  /** Direction extension → search-space view: the state of the document (after `ready` and on change). */
  | { readonly type: 'space'; readonly data: SpaceViewData }
  /** Direction extension → any view: a short notice shown in the view (e.g. an edit was refused). */
  | { readonly type: 'notice'; readonly level: 'info' | 'error'; readonly message: string };

/** Messages from a webview to the extension. */
export type FromWebviewMessage =
  /** The script is loaded and listening; send the state. */
  | { readonly type: 'ready'; readonly view: 'run' | 'space' }
  /**
   * Export the derived genotype. For `svg` the view sends the rendered drawing of `cell`
   * (the extension cannot render Mermaid itself).
   */
  | { readonly type: 'export'; readonly format: ExportFormat; readonly cell?: CellKind; readonly svg?: string }
  /** Answer to `renderSvg`: the drawing, or `error` saying why there is none. */
  | { readonly type: 'svg'; readonly requestId: number; readonly svg?: string; readonly error?: string }
  /** Reveal a range of the document the search-space view shows (clicked problem). */
  | { readonly type: 'reveal'; readonly uri: string; readonly range: TextRange }
  /** Apply an edit to the document, if it still has `version`. */
  | { readonly type: 'edit'; readonly uri: string; readonly version: number; readonly edit: SpaceEdit };

/** Data embedded in a `bnas report` page (read by the run view instead of messages). */
export interface ReportData {
  readonly run: RunInfo;
  readonly events: readonly RunEvent[];
}

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';
const nat = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const position = (v: unknown) => obj(v) && nat(v.line) && nat(v.character);
const range = (v: unknown): v is TextRange => obj(v) && position(v.start) && position(v.end);
const CRITERIA: readonly string[] = ['performance', 'ucb', 'alpha', 'none'];
const NUMBER_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  sampling: ['k'],
  supernet: ['cells', 'channels', 'nodes'],
  train: ['epochs'],
};

/** True when `v` is a valid RunInfo. */
export function isRunInfo(v: unknown): v is RunInfo {
  return obj(v) && str(v.id) && str(v.title) && (v.dir === undefined || str(v.dir)) && typeof v.live === 'boolean';
}

/**
 * Validates a list of run events, keeping the valid ones in order.
 * @returns the valid events and how many were dropped.
 */
export function parseRunEvents(v: unknown): { events: RunEvent[]; dropped: number } {
  if (!Array.isArray(v)) return { events: [], dropped: 0 };
  const events: RunEvent[] = [];
  for (const e of v) {
    const parsed = parseRunEvent(e);
    if (parsed) events.push(parsed);
  }
  return { events, dropped: v.length - events.length };
}

function isSpaceEdit(v: unknown): v is SpaceEdit {
  if (!obj(v)) return false;
  switch (v.kind) {
    case 'toggleOp':
      return str(v.op) && /^[A-Za-z][A-Za-z0-9_-]*$/.test(v.op) && typeof v.enabled === 'boolean';
    case 'setNumber':
      return (
        str(v.block) && Object.hasOwn(NUMBER_ATTRIBUTES, v.block) && str(v.attribute) &&
        NUMBER_ATTRIBUTES[v.block]!.includes(v.attribute) && Number.isInteger(v.value) && (v.value as number) >= 1 &&
        (v.value as number) <= 4096
      );
    case 'setCriterion':
      return str(v.value) && CRITERIA.includes(v.value);
    default:
      return false;
  }
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);

function isSpaceEstimates(v: unknown): v is SpaceEstimates {
  return obj(v) && str(v.backend) && num(v.parameters) && num(v.memoryMb) &&
    optional(v.secondsPerEpoch, num) && optional(v.budgetMb, num) && optional(v.timeSource, str) &&
    optional(v.macsPerImage, num) && optional(v.fixedShare, num) &&
    optional(v.pruningRange, (r) => obj(r) && num(r.best) && num(r.worst));
}

function isDiagnostic(v: unknown): v is SpaceDiagnostic {
  return obj(v) && (v.severity === 'error' || v.severity === 'warning' || v.severity === 'info') && str(v.message) && range(v.range);
}

/**
 * Validates a message a webview received from the extension. Run events inside are validated one
 * by one; invalid events are dropped (counted in `dropped`) rather than failing the whole batch.
 * @returns the message, or undefined when it is not a well-formed ToWebviewMessage.
 */
export function parseToWebviewMessage(v: unknown): { message: ToWebviewMessage; dropped: number } | undefined {
  if (!obj(v)) return undefined;
  switch (v.type) {
    case 'runInit': {
      if (!isRunInfo(v.run) || !Array.isArray(v.events)) return undefined;
      const { events, dropped } = parseRunEvents(v.events);
      return { message: { type: 'runInit', run: v.run, events }, dropped };
    }
    case 'runEvents': {
      if (!Array.isArray(v.events)) return undefined;
      const { events, dropped } = parseRunEvents(v.events);
      return { message: { type: 'runEvents', events }, dropped };
    }
    case 'space': {
      const d = v.data;
      if (!obj(d) || !str(d.uri) || !nat(d.version) || !str(d.fileName)) return undefined;
      if (!Array.isArray(d.diagnostics) || !d.diagnostics.every(isDiagnostic)) return undefined;
      if (d.space !== undefined && !(obj(d.space) && str(d.space.name) && Array.isArray(d.space.ops) && obj(d.space.supernet))) return undefined;
      if (d.estimates !== undefined && !isSpaceEstimates(d.estimates)) return undefined;
      return { message: v as unknown as ToWebviewMessage, dropped: 0 };
    }
    case 'runLive':
      return typeof v.live === 'boolean' ? { message: { type: 'runLive', live: v.live }, dropped: 0 } : undefined;
    case 'renderSvg':
      return nat(v.requestId) && (CELL_KINDS as readonly unknown[]).includes(v.cell)
        ? { message: { type: 'renderSvg', requestId: v.requestId, cell: v.cell as CellKind }, dropped: 0 }
        : undefined;
    case 'notice':
      return (v.level === 'info' || v.level === 'error') && str(v.message)
        ? { message: { type: 'notice', level: v.level, message: v.message }, dropped: 0 }
        : undefined;
    default:
      return undefined;
  }
}

/** Largest SVG the extension accepts from a webview (a cell drawing is far smaller). */
export const MAX_SVG_CHARS = 5_000_000;

const isSvgText = (v: unknown): v is string => str(v) && v.length <= MAX_SVG_CHARS && v.trimStart().startsWith('<svg');

/**
 * Validates a message the extension received from a webview.
 * @returns the message, or undefined when it is not a well-formed FromWebviewMessage.
 */
export function parseFromWebviewMessage(v: unknown): FromWebviewMessage | undefined {
  if (!obj(v)) return undefined;
  switch (v.type) {
    case 'ready':
      return v.view === 'run' || v.view === 'space' ? { type: 'ready', view: v.view } : undefined;
    case 'export': {
      if (!str(v.format) || !(EXPORT_FORMATS as readonly string[]).includes(v.format)) return undefined;
      if (v.cell !== undefined && !(CELL_KINDS as readonly unknown[]).includes(v.cell)) return undefined;
      if (v.format === 'svg' && !isSvgText(v.svg)) return undefined;
      const m: FromWebviewMessage = { type: 'export', format: v.format as ExportFormat };
      return {
        ...m,
        ...(v.cell !== undefined ? { cell: v.cell as CellKind } : {}),
        ...(v.format === 'svg' ? { svg: v.svg as string } : {}),
      };
    }
    case 'svg': {
      if (!nat(v.requestId)) return undefined;
      if (v.svg !== undefined && !isSvgText(v.svg)) return undefined;
      if (v.error !== undefined && !str(v.error)) return undefined;
      return { type: 'svg', requestId: v.requestId, ...(v.svg !== undefined ? { svg: v.svg as string } : {}), ...(v.error !== undefined ? { error: v.error as string } : {}) };
    }
    case 'reveal':
      return str(v.uri) && range(v.range) ? { type: 'reveal', uri: v.uri, range: v.range } : undefined;
    case 'edit':
      return str(v.uri) && nat(v.version) && isSpaceEdit(v.edit) ? { type: 'edit', uri: v.uri, version: v.version, edit: v.edit } : undefined;
    default:
      return undefined;
  }
}

/**
 * Validates the data embedded in a report page.
 * @returns the data with invalid events dropped, or undefined when the page data is unusable.
 */
export function parseReportData(v: unknown): ReportData | undefined {
  if (!obj(v) || !isRunInfo(v.run)) return undefined;
  const { events } = parseRunEvents(v.events);
  return { run: v.run, events };
}
