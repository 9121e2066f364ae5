/**
 * Budgets of the quality evaluation: which modes search with how many seeds, how many random
 * cells each seed's evaluation trains, how long every cell is trained from scratch and on how many
 * images.
 */
export const MODES = ['bnas', 'pc-darts', 'darts'] as const;
export type Mode = (typeof MODES)[number];
export const DATASETS = ['synthetic', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Budgets of a run: full = per dataset (below); quick = tiny, for a smoke run in minutes. */
export interface Budget {
  readonly seeds: number;
  /** Random cells trained with each seed's evaluation (`bnas sweep --random`), this method's sweep only. */
  readonly random: number;
  readonly train?: number;
  readonly test?: number;
  readonly searchEpochs?: number;
  readonly evalEpochs: number;
  /** Searches per mode when fewer than `seeds` (this method always gets `seeds`). */
  readonly modeSeeds?: Partial<Record<Mode, number>>;
  /** Training images of the from-scratch protocol (default: the search's `data.train`). */
  readonly evalTrain?: number;
  /** Also train the reference cells real-valued (the bnas-derived cells always are). */
  readonly refFloat?: boolean;
  /**
   * Seed of the first search (then +1 per seed); default the space's `train.seed`. Searches run
   * while choosing a space's settings must not be among the recorded ones.
   */
  readonly firstSearchSeed?: number;
}
/**
 * Full budgets. Synthetic: the spaces as written, every mode 3 seeds (target met there), 2 random
 * cells a seed (6 in all).
 * Fashion-MNIST (bench/quality/README.md, "Protocol"): searches as fashion-mnist.bnas says, every
 * cell trained from scratch on 2000 images for 6 epochs; DARTS mode (3× the search cost) with one
 * seed, and the reference cells binary only, so the whole run fits ~40 minutes on shared cores.
 */
export const FULL: Record<DatasetName, Budget> = {
  synthetic: { seeds: 3, random: 2, evalEpochs: 4, refFloat: true },
  // Search seeds 11–13: the probes that chose fashion-mnist.bnas's settings searched with seed 1.
  'fashion-mnist': { seeds: 3, random: 2, evalEpochs: 6, evalTrain: 2000, modeSeeds: { darts: 1 }, refFloat: false, firstSearchSeed: 11 },
};
export const QUICK: Budget = { seeds: 2, random: 1, train: 96, test: 128, searchEpochs: 2, evalEpochs: 1, refFloat: true };

/** Seeds searched in `mode`: `modeSeeds` caps the other modes; this method gets `seeds`. */
export function seedsOf(b: Budget, mode: Mode): number {
  return mode === 'bnas' ? b.seeds : Math.min(b.seeds, b.modeSeeds?.[mode] ?? b.seeds);
}
