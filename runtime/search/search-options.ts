/**
 * What `runSearch` (runtime/search/search.ts) takes and returns.
 */
import type { BackendChoice } from '../engine/index.js';
import type { Dataset } from '../data/index.js';
import type { SearchSpace } from '../dsl/space.js';
import type { RunEvent } from '../protocol/events.js';
import type { ThreadsChoice } from '../protocol/threads.js';
import type { ParentResult } from './guide.js';
import type { RunResult } from './run-folder.js';

/** How to run a search. */
export interface SearchOptions {
  readonly space: SearchSpace;
  /** The exact `.bnas` text (written to `space.bnas`). */
  readonly spaceText: string;
  readonly outDir: string;
  readonly resume?: boolean;
  readonly backend?: BackendChoice;
  /** Overrides `train.seed`. */
  readonly seed?: number;
  /** Receives every event (after it is appended to `events.jsonl`). */
  readonly emit?: (event: RunEvent) => void;
  /** Stops the run at the next step boundary with a checkpoint (exit status `cancelled`). */
  readonly signal?: AbortSignal;
  /** A loaded dataset (tests); default: loaded from `space.data`. */
  readonly dataset?: Dataset;
  /** Leave the TensorFlow.js backend as it is (tests pick one themselves). */
  readonly keepBackend?: boolean;
  /**
   * `ucb` pruning: SGD steps of each candidate's brief training on its single path (default 2).
   * The batches are drawn once per round and shared by all of the round's candidates.
   * (`performance` trains nothing: it measures `pruning.samples` shared architecture-split batches.)
   */
  readonly pruneTrainSteps?: number;
  /** `ucb` pruning: architecture-split batches each candidate is measured on (default 1; shared). */
  readonly pruneEvalBatches?: number;
  /**
   * Threads to compute on (data-parallel workers with their own backend), or `auto`: the count
   * that pays on this machine by measurement (runtime/engine/cores.ts; a resumed run keeps its
   * own count). Default 1 here; the command line and the extension default to `auto`.
   * Same seed, space, backend and thread count → the same genotype.
   */
  readonly threads?: ThreadsChoice;
  /** With a number of threads: false keeps the steps on one thread, the rest shared (default true; `auto` decides). */
  readonly shardSteps?: boolean;
  /** Minimum seconds between `step` events (default 1). */
  readonly stepEventSeconds?: number;
  /** `version` in result.json. */
  readonly version?: string;
}

export interface SearchOutcome {
  readonly status: 'finished' | 'failed' | 'cancelled';
  readonly result?: RunResult;
  readonly message?: string;
  /** What a finished parent phase leaves the search (internal to a guided search). */
  readonly parent?: ParentResult;
}
