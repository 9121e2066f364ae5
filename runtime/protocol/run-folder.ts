/**
 * The run folder's layout: one table of the names of what a run keeps in its folder, used by the
 * runtime that writes them, the command line that checks them and the extension that reads them.
 */
import type { CellKind } from './genotype.js';

export const RUN_FILES = {
  /** The exact `.bnas` text the run searched (a resume must search the same text). */
  space: 'space.bnas',
  /** Every event, one JSON object per line, appended and written through as it happens. */
  events: 'events.jsonl',
  /** Folder of the latest epoch checkpoint (`--resume` continues from it). */
  checkpoint: 'checkpoint',
  /** The previous checkpoint while a new one is being written (a kill mid-write leaves one of the two). */
  checkpointOld: '.checkpoint.old',
  /** The result of a finished run: genotype, metrics, seed, backend, version. */
  result: 'result.json',
  /** Mermaid drawing of the derived normal cell (as the run view draws it). */
  normalMermaid: 'normal.mmd',
  /** Mermaid drawing of the derived reduction cell. */
  reduceMermaid: 'reduce.mmd',
  /** Launch metadata the extension adds (file, name, pid); the runtime ignores it. */
  meta: 'run-meta.json',
  /** Records of the derived cells trained from scratch (the extension's Evaluate Derived Cell), one JSON file each. */
  evaluations: 'evaluations',
  /** Journals of evaluations not yet finished (`bnas evaluate --journal`): their finished trainings, for the same evaluation run again. */
  evaluationJournal: 'evaluations/.partial',
} as const;

/** The Mermaid file of a derived cell kind. */
export function cellMermaidFile(cell: CellKind): string {
  return cell === 'normal' ? RUN_FILES.normalMermaid : RUN_FILES.reduceMermaid;
}

/**
 * What one search's result consists of: what the run writes itself and the evaluations of its
 * derived cells; only these are removed when a finished run is replaced.
 */
export const RUNTIME_FILES: readonly string[] = [
  RUN_FILES.space,
  RUN_FILES.events,
  RUN_FILES.checkpoint,
  RUN_FILES.checkpointOld,
  RUN_FILES.result,
  RUN_FILES.normalMermaid,
  RUN_FILES.reduceMermaid,
  RUN_FILES.evaluations,
];
