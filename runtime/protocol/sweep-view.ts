/**
 * Messages between the extension and the sweep view, validated on both sides like the run view's
 * (runtime/protocol/webview.ts): the page is a separate process, and trial names and settings
 * come from files a user or a script wrote. The sweep itself travels as the parsed `sweep.json`
 * (runtime/sweep/schema.ts), so the view reads the same fields as every other reader.
 *
 * Handshake: the page posts `ready`; the extension then sends `sweepState`, and again whenever
 * `sweep.json` or the sweep's process changes.
 */
import * as v from 'valibot';
import { SweepFileSchema } from '../sweep/schema.js';
import { check, type Checked } from './check.js';

/** Where a running trial's search stands: its last finished epoch (a `trial-progress` event). */
export const TrialProgressSchema = v.object({ epoch: v.number(), epochs: v.optional(v.number()), valid_acc: v.number() });
export type TrialProgress = v.InferOutput<typeof TrialProgressSchema>;

/** What the sweep view shows. */
export const SweepViewDataSchema = v.object({
  /** Absolute sweep folder (also restores the panel after a reload). */
  dir: v.string(),
  title: v.string(),
  /** A `bnas sweep` process of this window works on it: Cancel is offered, Resume is not. */
  running: v.boolean(),
  /** Why the last process ended badly, when it did. */
  failure: v.optional(v.string()),
  /** The parsed `sweep.json`; absent until the CLI has written it. */
  sweep: v.optional(SweepFileSchema),
  /** Live progress of the running trials of a process of this window, by trial id. */
  progress: v.optional(v.record(v.string(), TrialProgressSchema)),
});
export type SweepViewData = v.InferOutput<typeof SweepViewDataSchema>;

/** Direction extension → sweep view. */
export const ToSweepViewSchema = v.variant('type', [
  v.object({ type: v.literal('sweepState'), data: SweepViewDataSchema }),
  v.object({ type: v.literal('notice'), level: v.picklist(['info', 'error']), message: v.string() }),
]);
export type ToSweepView = v.InferOutput<typeof ToSweepViewSchema>;

/** Direction sweep view → extension. */
export const FromSweepViewSchema = v.variant('type', [
  v.object({ type: v.literal('ready'), view: v.literal('sweep') }),
  /** Open the run view of a trial (by id: the extension finds its run folder in `sweep.json`). */
  v.object({ type: v.literal('openTrial'), trial: v.pipe(v.string(), v.maxLength(1000)) }),
  v.object({ type: v.literal('cancel') }),
  v.object({ type: v.literal('resume') }),
]);
export type FromSweepView = v.InferOutput<typeof FromSweepViewSchema>;

export function checkToSweepView(value: unknown): Checked<ToSweepView> {
  return check(ToSweepViewSchema, value);
}

export function checkFromSweepView(value: unknown): Checked<FromSweepView> {
  return check(FromSweepViewSchema, value);
}

/** The page's scripts under `dist/media`, in load order: the shared Mermaid bundle, then the view. */
export const SWEEP_VIEW_SCRIPTS = ['mermaid.js', 'sweep/main.js'] as const;
