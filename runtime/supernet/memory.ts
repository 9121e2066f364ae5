/**
 * The per-step memory estimate of the supernet for the data a run
 * trains on: the language's estimate (runtime/dsl/memory.ts, the one the editor's budget warning
 * quotes) with the data set's image size, channels, batch and classes. Pure arithmetic, so it
 * runs before any tensor exists and can warn early.
 */
import { estimateSupernetMemory as estimate, type MemoryEstimate } from '../dsl/memory.js';
import type { SearchSpace } from '../dsl/space.js';

/** The estimate in bytes as well as MB. */
export interface SupernetMemory extends MemoryEstimate {
  readonly totalBytes: number;
}

/**
 * Estimates the memory of one search step.
 * @param classes the data set's classes (default: the built-in sources' 10)
 */
export function estimateSupernetMemory(space: SearchSpace, image: number, inChannels: number, batch: number, classes?: number): SupernetMemory {
  const e = estimate(space, { image, inChannels, batch, classes });
  return { ...e, totalBytes: Math.round(e.totalMb * 1024 * 1024) };
}
