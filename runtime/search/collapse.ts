/**
 * How much of a derived cell is parameter-free: the share of its edges whose op has no weights
 * (pools, identity skips, `none`). A binary supernet trained briefly on small images tends to
 * favour these real-valued ops over 1-bit convs, so a cell made mostly of them often says more
 * about the search's schedule than about the task; result.json and `bnas search` report it.
 */
import { paramFreeCounter, type OpSpec } from '../dsl/space.js';
import { CELL_KINDS, type CellKind, type Genotype } from '../protocol/genotype.js';

/** A cell is "mostly parameter-free" above this share of its edges. */
export const MOSTLY_PARAM_FREE = 0.5;

/** Share in [0, 1] of each derived cell's edges whose op is parameter-free. */
export type ParamFreeShare = Record<CellKind, number>;

/**
 * The parameter-free share of each cell of `genotype`. In the reduction cell the edges from the
 * cell's inputs (0 and 1) have stride 2, where a skip is a factorized reduce with weights.
 * @param ops the space's ops (an op name they do not declare counts as having weights)
 */
export function paramFreeShare(genotype: Genotype, ops: readonly OpSpec[]): ParamFreeShare {
  const count = paramFreeCounter(ops);
  const share = (cell: CellKind): number => {
    const edges = genotype[cell];
    return edges.length === 0 ? 0 : count(edges, cell === 'reduce') / edges.length;
  };
  return { normal: share('normal'), reduce: share('reduce') };
}

/**
 * The summary lines of `bnas search`: each cell's parameter-free edges, and a warning naming the
 * settings that help when a cell is mostly parameter-free.
 */
export function paramFreeLines(share: ParamFreeShare, genotype: Genotype): string[] {
  const count = (cell: CellKind) => `${Math.round(share[cell] * genotype[cell].length)} of ${genotype[cell].length}`;
  const lines = [`parameter-free edges (pool, skip, none): normal ${count('normal')}, reduction ${count('reduce')}`];
  const mostly = CELL_KINDS.filter((c) => share[c] > MOSTLY_PARAM_FREE);
  if (mostly.length > 0) {
    const cells = mostly.map((c) => (c === 'normal' ? 'normal' : 'reduction')).join(' and ');
    lines.push(
      `warning: the ${cells} cell${mostly.length > 1 ? 's are' : ' is'} mostly parameter-free (a short binary search on small images favours pools and skips over 1-bit convs); ` +
        'to tell the task from the schedule, train longer (train.epochs) on more or larger images (data.train, data.image), start pruning once the supernet has trained (pruning.start), ' +
        'drop parameter-free ops from `ops`, give binary convs a real shortcut that starts closed (binarize.shortcut = true, shortcut_gain = 0), binarize progressively (binarize.progressive), ' +
          'drop their outputs during the search (regularize.dropout), guide the search with a full-precision parent (guide.parent = real) or cap them at derivation (derive.max_param_free)',
    );
  }
  return lines;
}
