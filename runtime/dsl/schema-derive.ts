/**
 * The `derive` block of the language schema (runtime/dsl/schema.ts holds the table of blocks).
 */
import { DEFAULT_MAX_INNER_EDGES, DEFAULT_MAX_PARAM_FREE, DEFAULT_PROBE_BATCHES } from './space.js';
import { LANGUAGE_VERSION as V, values, type BlockSchema } from './schema-types.js';

export const DERIVE_BLOCK: BlockSchema = {
    kind: 'derive',
    naming: 'none',
    doc: 'How the discrete cell is read off the architecture weights at the end of the search.',
    since: V,
    attributes: [
      {
        name: 'max_param_free',
        type: { kind: 'int', min: 0 },
        defaultText: String(DEFAULT_MAX_PARAM_FREE),
        doc: 'At most this many parameter-free ops (pooling, skip-connect) in each derived cell (P-DARTS keeps at most 2 skip-connects). A value of at least the derived cell\'s edge count (2 × `nodes`) sets no limit, as DARTS and PC-DARTS derive. Beyond it, the parameter-free edge whose best learnable alternative weighs most takes that alternative: first an op still alive on the same edge, else another input of the same node. With the cap set, pruning never abandons the last learnable op of an edge, so an alternative is always alive. Binary searches tend to collapse to parameter-free ops, and under the 6-cell evaluation protocol the capped cells trained better (docs/method.md, "Collapse").',
        since: V,
      },
      {
        name: 'edges',
        type: { kind: 'enum', values: values(['weight', "By the best alive op's weight (softmax over the edge's alive ops) times the edge weight softmax(β), as DARTS and PC-DARTS derive."], ['beta', 'By the edge weight softmax(β) alone; each kept edge still takes its best alive op.'], ['removal', 'By how much the supernet\'s validation loss rises when the edge alone is removed, measured at the end of the search (perturbation-based selection, as DARTS-PT selects); each kept edge still takes its best alive op.']) },
        default: 'weight',
        doc: "How each node keeps its two input edges. After pruning, edges hold different numbers of alive ops, and an edge left one op has an op weight of 1: `weight` then favours the edges pruning has finished. `beta` compares a node's inputs by the weights the search learned for that choice; `removal` by what the trained supernet loses without each edge, which neither weight measures (docs/method.md, \"Derivation\"). Without edge normalization `weight` and `beta` agree.",
        since: V,
      },
      { name: 'probe_batches', type: { kind: 'int', min: 1 }, defaultText: String(DEFAULT_PROBE_BATCHES), since: V,
        doc: 'With `edges = removal`: how many batches of the architecture split every edge-removal probe measures, the same batches for every edge. Each batch costs one supernet forward pass per edge of both cell kinds, once, at the end of the search.',
      },
      { name: 'max_inner_edges', type: { kind: 'int', min: 0 }, defaultText: String(DEFAULT_MAX_INNER_EDGES), since: V,
        doc: 'At most this many edges of each derived cell read from intermediate nodes rather than the cell inputs c_{k-2} and c_{k-1}; a value of at least 2 × `nodes` − 3 sets no limit, as DARTS and PC-DARTS derive. Beyond it, the inner edge whose node has the best-scored unpicked input edge takes that edge. Fewer inner edges make wider, shallower cells; under the 6-cell evaluation protocol the searched cells trained better with at most one (docs/method.md, "Derivation").',
      },
    ],
  };
