/**
 * The run folder (docs/design.md, "The run folder") apart from the checkpoint: `space.bnas`, `events.jsonl`
 * (appended and written through per event, so it stays readable after a kill), `result.json`,
 * `normal.mmd`, `reduce.mmd`.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../protocol/events.js';
import type { Genotype } from '../protocol/genotype.js';
import type { ParamFreeShare } from './collapse.js';
import { formatCellMermaid } from '../protocol/mermaid.js';
import { CELL_KINDS } from '../protocol/genotype.js';
import { RUN_FILES, cellMermaidFile } from '../protocol/run-folder.js';

/** Appends events to `events.jsonl`, one JSON object per line, each written through at once. */
export class EventLog {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  append(event: RunEvent): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, JSON.stringify(event) + '\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** What `result.json` holds (docs/design.md, "The run folder"). */
export interface RunResult {
  readonly genotype: Genotype;
  readonly metrics: {
    readonly valid_acc: number;
    readonly test_acc?: number;
    readonly train_acc: number;
    readonly search_seconds: number;
    /**
     * CPU seconds (user + system, every thread of the process) from the search's start to its
     * end, a resumed run's earlier processes included; data loading and start-up excluded.
     */
    readonly cpu_seconds?: number;
    /** Peak resident memory of the process that finished the run, MB (workers included). */
    readonly peak_rss_mb?: number;
    readonly prune_seconds: number;
    readonly epochs: number;
    readonly epochs_planned: number;
  };
  readonly seed: number;
  readonly backend: string;
  readonly version: string;
  readonly space: string;
  readonly stopped_early?: string;
  /** Each derived cell's share of parameter-free edges (pool, stride-1 skip, none), in [0, 1]. */
  readonly param_free?: ParamFreeShare;
  /** A guided search's full-precision parent (docs/method.md, "Parent guide"): its derived cells, epochs, validation accuracy and seconds. */
  readonly parent?: { readonly genotype: Genotype; readonly epochs: number; readonly valid_acc: number; readonly seconds: number };
}

/** Writes a file through a temporary name so readers never see half of it. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes `result.json`, `normal.mmd` and `reduce.mmd`. */
export function writeResult(dir: string, result: RunResult): void {
  for (const cell of CELL_KINDS) writeFileAtomic(join(dir, cellMermaidFile(cell)), formatCellMermaid(result.genotype, cell));
  writeFileAtomic(join(dir, RUN_FILES.result), JSON.stringify(result, null, 2) + '\n');
}

/** Creates the run folder with `space.bnas` (the caller has validated the space first). */
export function createRunFolder(dir: string, spaceText: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, RUN_FILES.space), spaceText);
}
