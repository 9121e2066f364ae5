/**
 * Validation of what crosses a process or webview boundary against a protocol schema: the value,
 * or one readable reason naming the field that failed (`started.ops: expected an array, got
 * undefined`), so a dropped message is explained in the log instead of failing later in a view.
 */
import * as v from 'valibot';

/** The outcome of checking a value against a schema. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Short text of a received value for a reason (never the whole of a large value). */
function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value); // a cycle or a BigInt: its string form is enough for a reason
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One line per issue, at most three: the dotted path of the field, what was expected, what came.
 * @param prefix names the value (e.g. the event type) in front of the path.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[], prefix?: string): string {
  const lines = issues.slice(0, 3).map((issue) => {
    const path = [prefix, v.getDotPath(issue)].filter((p) => p).join('.');
    const key = issue.path?.at(-1)?.key;
    // An absent key is reported as expecting the key's own name: say "missing" instead.
    const absent = issue.input === undefined && typeof key === 'string' && issue.expected === `"${key}"`;
    const what = absent ? 'missing' : issue.expected !== null && issue.kind === 'schema' ? `expected ${issue.expected}, got ${shown(issue.input)}` : issue.message;
    return path ? `${path}: ${what}` : what;
  });
  if (issues.length > 3) lines.push(`(${issues.length - 3} more)`);
  return lines.join('; ');
}

/** Checks `value` against `schema`. */
export function check<S extends v.GenericSchema>(schema: S, value: unknown, prefix?: string): Checked<v.InferOutput<S>> {
  const result = v.safeParse(schema, value);
  return result.success ? { ok: true, value: result.output } : { ok: false, reason: describeIssues(result.issues, prefix) };
}

/** Numbers the protocol accepts: finite. */
export const finite = v.pipe(v.number(), v.finite());
/** A count or index: a non-negative integer. */
export const natural = v.pipe(v.number(), v.integer(), v.minValue(0));
/** An integer (a seed may be negative). */
export const integer = v.pipe(v.number(), v.integer());
/** A loss or score: a number, NaN included (a diverged step is reported, not dropped). */
export const lossy = v.union([v.number(), v.nan()]);
