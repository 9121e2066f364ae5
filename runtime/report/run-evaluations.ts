/**
 * The evaluations from scratch kept in a run folder (`evaluations/<time>.json`, written by the
 * extension's Evaluate Derived Cell): read for the run view and for `bnas report`, each checked
 * against the evaluation schema, oldest first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { RUN_FILES } from '../protocol/run-folder.js';
import { RunEvaluationSchema, type RunEvaluation } from '../protocol/webview.js';

/** The run's evaluations, and the records that could not be read or are not evaluations (with why). */
export function readRunEvaluations(dir: string): { evaluations: RunEvaluation[]; unreadable: string[] } {
  const folder = join(dir, RUN_FILES.evaluations);
  const names = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.json')).sort() : [];
  const evaluations: RunEvaluation[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const file = join(folder, name);
    try {
      const { protocol, ...report } = JSON.parse(readFileSync(file, 'utf8')) as { protocol?: unknown };
      const checked = v.safeParse(RunEvaluationSchema, { name: name.replace(/\.json$/, ''), ...(typeof protocol === 'string' && { protocol }), report });
      if (checked.success) evaluations.push(checked.output);
      else unreadable.push(`${file}: not an evaluation record (${checked.issues[0]?.message ?? 'invalid'})`);
    } catch (e) {
      unreadable.push(`${file}: ${(e as Error).message}`);
    }
  }
  return { evaluations, unreadable };
}
