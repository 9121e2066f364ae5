/**
 * What made a pruning decision, read from its `pruned` event (docs/method.md, "Evidence that
 * separates"): under `pruning.confidence` an edge's round rests on the evidence where the probes
 * kept an op of the less promising half, and on α alone where they separated nothing. One reading
 * for the command line's progress, the run view and the quality bench.
 */
import type { PruneEvidence } from './events.js';

export type PruningBasis = 'evidence' | 'alpha';

/**
 * `evidence` or `alpha` for a decision of the paired-z rule; undefined for other rules. Events
 * written before the rule reported its roles are read from its score bands (kept ops score in
 * [1, 2), promising ones in [2, 3)), which no other rule's scores reach.
 */
export function pruningBasis(evidence: PruneEvidence | undefined): PruningBasis | undefined {
  if (!evidence || evidence.measure !== 'valid_loss_delta') return undefined;
  if (evidence.roles) return Object.values(evidence.roles).includes('kept') ? 'evidence' : 'alpha';
  const scores = Object.values(evidence.scores).filter((x): x is number => x !== null);
  if (!scores.every((x) => x >= 0 && x < 3) || !scores.some((x) => x >= 2)) return undefined;
  return scores.some((x) => x >= 1 && x < 2) ? 'evidence' : 'alpha';
}
