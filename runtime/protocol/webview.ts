/**
 * Messages between the extension and its webviews (the run view and the search-space view),
 * and the data a `bnas report` page carries. Both sides validate what they receive with the
 * schemas below: a webview is a separate process and a report page may be edited by hand. The
 * types are inferred from the schemas.
 *
 * Handshake: the webview posts `ready` once its script has loaded and its listeners are in place;
 * only then does the extension send data (`runInit` or `space`). After a reload (hidden tab,
 * window reload, panel restored by the serializer) the webview posts `ready` again and the
 * extension sends the whole state again, so no message is lost in between.
 */
import * as v from 'valibot';
import { check, finite, natural, type Checked } from './check.js';
import { CellKindSchema } from './genotype.js';
import { parseRunEvent, type RunEvent } from './events.js';
import { EvaluationSchema } from '../sweep/schema.js';
import { BUILTIN_OPS, OP_KINDS, PRUNING_CRITERIA } from '../dsl/space.js';

// The search-space view lists the built-in ops and the criteria; it may import only the protocol,
// so what it needs of the model is re-exported here.
export { BUILTIN_OPS, PRUNING_CRITERIA };
export type { PruningCriterion } from '../dsl/space.js';

const list = <S extends v.GenericSchema>(item: S) => v.pipe(v.array(item), v.readonly());
const frozen = <E extends v.ObjectEntries>(entries: E) => v.pipe(v.object(entries), v.readonly());

/** A zero-based position in a text document (as in the Language Server Protocol). */
const TextPositionSchema = frozen({ line: natural, character: natural });
/** A zero-based range in a text document (as in the Language Server Protocol). */
export const TextRangeSchema = frozen({ start: TextPositionSchema, end: TextPositionSchema });
export type TextRange = v.InferOutput<typeof TextRangeSchema>;

/** Which run a run view shows. */
export const RunInfoSchema = frozen({
  /** Stable id of the run (the run folder name for runs on disk). */
  id: v.string(),
  /** Title shown at the top of the view. */
  title: v.string(),
  /** Absolute run folder, when the run has one (used to restore the panel after a reload). */
  dir: v.optional(v.string()),
  /** True while the run is still producing events. */
  live: v.boolean(),
});
export type RunInfo = v.InferOutput<typeof RunInfoSchema>;

/** One problem of a `.bnas` document, as the language server reports it. */
const SpaceDiagnosticSchema = frozen({
  severity: v.picklist(['error', 'warning', 'info']),
  message: v.string(),
  code: v.optional(v.string()),
  range: TextRangeSchema,
});
export type SpaceDiagnostic = v.InferOutput<typeof SpaceDiagnosticSchema>;

/** Cost estimates of a search space on the chosen backend. */
export const SpaceEstimatesSchema = frozen({
  /** Backend the estimate is for (`tensorflow`, `wasm`, `cpu`). */
  backend: v.string(),
  /** The threads the time estimate assumes (the `bnas.threads` setting), in words. */
  threads: v.optional(v.string()),
  /** Trainable supernet weights (not counting α and β). */
  parameters: finite,
  /** Estimated peak memory of one training step, in MB. */
  memoryMb: finite,
  /** Estimated wall time of one search epoch, in seconds, when known. */
  secondsPerEpoch: v.optional(finite),
  /** The `budget.memory_mb` the estimate is compared with. */
  budgetMb: v.optional(finite),
  /** Where the time estimate comes from (a measured run, or a rough constant). */
  timeSource: v.optional(v.string()),
  /** Multiply-adds of one forward pass of one image with every op alive (runtime/dsl/compute.ts). */
  macsPerImage: v.optional(finite),
  /** Share of `macsPerImage` no pruning removes: stem, pre-processing, the partial-channel mix, head. */
  fixedShare: v.optional(finite),
  /**
   * The whole search's multiply-adds as a fraction of the same search without pruning, if every
   * round abandoned the costliest op of each edge (`best`) or the cheapest (`worst`)
   * (runtime/dsl/search-compute.ts). Absent when the space does not prune.
   */
  pruningRange: v.optional(frozen({ best: finite, worst: finite })),
});
export type SpaceEstimates = v.InferOutput<typeof SpaceEstimatesSchema>;

/**
 * What the search-space view shows of a validated space. A `SearchSpace` (runtime/dsl/space.ts)
 * has this shape and more; the view reads only these fields, so only these are checked and kept.
 */
export const SpaceOutlineSchema = frozen({
  /** The name after `search`. */
  name: v.string(),
  supernet: frozen({ cells: natural, reductions: list(natural), channels: natural, nodes: natural, stemMultiplier: natural }),
  /** Candidate ops in declaration order, resolved to primitives. */
  ops: list(frozen({ name: v.string(), kind: v.picklist(OP_KINDS), kernel: natural, dilation: natural, repeat: natural, builtin: v.boolean() })),
  sampling: frozen({ k: natural }),
  pruning: frozen({ criterion: v.picklist(PRUNING_CRITERIA) }),
  train: frozen({ epochs: natural }),
});
export type SpaceOutline = v.InferOutput<typeof SpaceOutlineSchema>;

/** What the search-space view shows for one `.bnas` document version. */
export const SpaceViewDataSchema = frozen({
  /** Document URI (string form); edits and reveals refer to it. */
  uri: v.string(),
  /** Document version the data was computed from; edits are refused for stale versions. */
  version: natural,
  /** File name for the title. */
  fileName: v.string(),
  /** The validated model; undefined when the text cannot be parsed into one. */
  space: v.optional(SpaceOutlineSchema),
  diagnostics: list(SpaceDiagnosticSchema),
  estimates: v.optional(SpaceEstimatesSchema),
});
export type SpaceViewData = v.InferOutput<typeof SpaceViewDataSchema>;

/** Largest integer the search-space view may write into an attribute. */
const MAX_ATTRIBUTE = 4096;
const setNumber = <B extends string, A extends string>(block: B, attributes: readonly [A, ...A[]]) =>
  frozen({
    kind: v.literal('setNumber'),
    block: v.literal(block),
    attribute: v.picklist(attributes),
    value: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ATTRIBUTE)),
  });

/** An edit the search-space view asks for; the extension applies it as a workspace edit. */
export const SpaceEditSchema = v.variant('kind', [
  /** Add (`enabled`) or remove an op from the top-level `ops` list. */
  frozen({ kind: v.literal('toggleOp'), op: v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9_-]*$/)), enabled: v.boolean() }),
  /** Set an integer attribute, creating the block or attribute when missing. */
  v.variant('block', [setNumber('sampling', ['k']), setNumber('supernet', ['cells', 'channels', 'nodes']), setNumber('train', ['epochs'])]),
  /** Set `pruning.criterion`. */
  frozen({ kind: v.literal('setCriterion'), value: v.picklist(PRUNING_CRITERIA) }),
]);
export type SpaceEdit = v.InferOutput<typeof SpaceEditSchema>;

/**
 * The scripts of a view page, as paths under `dist/media` in load order: Mermaid once, shared by
 * both views and the report page (scripts/build.mjs builds it apart), then the view's own bundle.
 */
export function viewScripts(view: 'run' | 'search-space'): readonly string[] {
  return ['mermaid.js', `${view}/main.js`];
}

/** Formats the run view can export (the extension writes or copies them). */
export const EXPORT_FORMATS = ['json', 'darts', 'mermaid', 'pytorch', 'svg'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * A list of run events inside a message. Each event is checked on its own and an invalid one is
 * dropped rather than failing the whole batch (one bad line must not blank a live view).
 */
const EventListSchema = v.pipe(
  v.array(v.unknown()),
  v.transform((items): readonly RunEvent[] => items.flatMap((item) => parseRunEvent(item) ?? [])),
);

/** One training from scratch of a run's derived cells: a record of the run folder's `evaluations/`. */
export const RunEvaluationSchema = frozen({
  /** The record's file name (its time stamp). */
  name: v.string(),
  /** The protocol file it trained under. */
  protocol: v.optional(v.string()),
  report: EvaluationSchema,
});
export type RunEvaluation = v.InferOutput<typeof RunEvaluationSchema>;

/** Messages from the extension to a webview. */
export const ToWebviewMessageSchema = v.variant('type', [
  /** Direction extension → run view: everything known about the run so far (after each `ready`). */
  frozen({ type: v.literal('runInit'), run: RunInfoSchema, events: EventListSchema }),
  /** Direction extension → run view: new events of a live run, in order, batched. */
  frozen({ type: v.literal('runEvents'), events: EventListSchema }),
  /** Direction extension → run view: the run's evaluations from scratch, oldest first (after `runInit` and after each new one). */
  frozen({ type: v.literal('runEvaluations'), evaluations: v.array(RunEvaluationSchema) }),
  /** Direction extension → run view: whether a process is still working on the run (a crash ends it without a terminal event). */
  frozen({ type: v.literal('runLive'), live: v.boolean() }),
  /** Direction extension → run view: reply with `svg` for `requestId` holding the drawing of `cell` (Export Genotype → SVG). */
  frozen({ type: v.literal('renderSvg'), requestId: natural, cell: CellKindSchema }),
  /** Direction extension → search-space view: the state of the document (after `ready` and on change). */
  frozen({ type: v.literal('space'), data: SpaceViewDataSchema }),
  /** Direction extension → any view: a short notice shown in the view (e.g. an edit was refused). */
  frozen({ type: v.literal('notice'), level: v.picklist(['info', 'error']), message: v.string() }),
]);
export type ToWebviewMessage = v.InferOutput<typeof ToWebviewMessageSchema>;

/** Largest SVG the extension accepts from a webview (a cell drawing is far smaller). */
export const MAX_SVG_CHARS = 5_000_000;

const SvgTextSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_SVG_CHARS),
  v.check((s) => s.trimStart().startsWith('<svg'), 'an SVG document starts with <svg'),
);

/** Messages from a webview to the extension. */
export const FromWebviewMessageSchema = v.variant('type', [
  /** The script is loaded and listening; send the state. */
  frozen({ type: v.literal('ready'), view: v.picklist(['run', 'space']) }),
  /**
   * Export the derived genotype. For `svg` the view sends the rendered drawing of `cell`
   * (the extension cannot render Mermaid itself).
   */
  v.pipe(
    frozen({ type: v.literal('export'), format: v.picklist(EXPORT_FORMATS), cell: v.optional(CellKindSchema), svg: v.optional(SvgTextSchema) }),
    v.check((m) => m.format !== 'svg' || m.svg !== undefined, 'an svg export carries the drawing in svg'),
  ),
  /** Answer to `renderSvg`: the drawing, or `error` saying why there is none. */
  frozen({ type: v.literal('svg'), requestId: natural, svg: v.optional(SvgTextSchema), error: v.optional(v.string()) }),
  /** Reveal a range of the document the search-space view shows (clicked problem). */
  frozen({ type: v.literal('reveal'), uri: v.string(), range: TextRangeSchema }),
  /** Apply an edit to the document, if it still has `version`. */
  frozen({ type: v.literal('edit'), uri: v.string(), version: natural, edit: SpaceEditSchema }),
]);
export type FromWebviewMessage = v.InferOutput<typeof FromWebviewMessageSchema>;

/** Data embedded in a `bnas report` page (read by the run view instead of messages). */
export const ReportDataSchema = frozen({ run: RunInfoSchema, events: EventListSchema, evaluations: v.optional(v.array(RunEvaluationSchema)) });
export type ReportData = v.InferOutput<typeof ReportDataSchema>;

/** True when `v` is a valid RunInfo. */
export function isRunInfo(value: unknown): value is RunInfo {
  return v.is(RunInfoSchema, value);
}

/** How many items of a message's `events` list were not valid events. */
function droppedEvents(input: unknown, message: ToWebviewMessage | ReportData): number {
  const events = typeof input === 'object' && input !== null ? (input as { events?: unknown }).events : undefined;
  return Array.isArray(events) && 'events' in message ? events.length - message.events.length : 0;
}

/**
 * Checks a message a webview received from the extension. Run events inside are checked one by
 * one; invalid events are dropped (counted in `dropped`) rather than failing the whole batch.
 */
export function checkToWebviewMessage(value: unknown): Checked<{ message: ToWebviewMessage; dropped: number }> {
  const r = check(ToWebviewMessageSchema, value);
  return r.ok ? { ok: true, value: { message: r.value, dropped: droppedEvents(value, r.value) } } : r;
}

/** The message and its dropped events, or undefined when it is not a ToWebviewMessage. */
export function parseToWebviewMessage(value: unknown): { message: ToWebviewMessage; dropped: number } | undefined {
  const r = checkToWebviewMessage(value);
  return r.ok ? r.value : undefined;
}

/** Checks a message the extension received from a webview. */
export function checkFromWebviewMessage(value: unknown): Checked<FromWebviewMessage> {
  return check(FromWebviewMessageSchema, value);
}

/** The message, or undefined when it is not a FromWebviewMessage (see `checkFromWebviewMessage`). */
export function parseFromWebviewMessage(value: unknown): FromWebviewMessage | undefined {
  const r = checkFromWebviewMessage(value);
  return r.ok ? r.value : undefined;
}

/**
 * Validates the data embedded in a report page.
 * @returns the data with invalid events dropped, or undefined when the page data is unusable.
 */
export function parseReportData(value: unknown): ReportData | undefined {
  const r = check(ReportDataSchema, value);
  return r.ok ? r.value : undefined;
}
