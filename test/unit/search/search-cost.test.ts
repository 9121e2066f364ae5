/**
 * The search-cost model (runtime/dsl/search-compute.ts) counts what the runtime computes: a real
 * search of a tiny space, with every supernet forward pass counted by phase (weight steps,
 * architecture steps, validation, the pruning round's per-edge probes or single-path candidates),
 * runs per epoch the images the model says, for `performance` (per-edge probes) and `ucb`
 * (single-path candidates). The rounds' decisions come from the run's own `pruned` events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { searchMacs, type EpochWork, type PruneEvent, type SearchSpace } from '../../../runtime/dsl/index.js';
import { initBackend } from '../../../runtime/engine/index.js';
import { loadDataset } from '../../../runtime/data/index.js';
import type { RunEvent } from '../../../runtime/protocol/events.js';
import { SearchThreads } from '../../../runtime/search/parallel.js';
import { runSearch } from '../../../runtime/search/search.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { ALL_KIND_OPS, tinySpace } from '../supernet/helpers.js';

type Phase = 'weightImages' | 'archImages' | 'validImages' | 'probeImages' | 'candidateTrainImages' | 'candidateEvalImages';
const zero = (): Record<Phase, number> => ({ weightImages: 0, archImages: 0, validImages: 0, probeImages: 0, candidateTrainImages: 0, candidateEvalImages: 0 });

/**
 * Counts the images of every supernet forward pass by the phase that asked for it. The phases are
 * the search threads' entry points; with one thread each runs its passes before its promise settles,
 * and the search awaits one entry point before it calls the next.
 */
function countPasses(): { take: () => Record<Phase, number>; restore: () => void } {
  let phase: 'weight' | 'arch' | 'valid' | 'probe' | 'candidate' | undefined;
  let counts = zero();
  const proto = SearchThreads.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const entries = { weightStep: 'weight', archStep: 'arch', measure: 'valid', measureEdges: 'probe', evaluatePaths: 'candidate' } as const;
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const [name, p] of Object.entries(entries)) {
    const original = proto[name];
    saved.set(name, original);
    proto[name] = async function (this: unknown, ...args: unknown[]) {
      phase = p;
      try {
        return await original.apply(this, args);
      } finally {
        phase = undefined;
      }
    };
  }
  const forward = Supernet.prototype.forward;
  Supernet.prototype.forward = function (this: Supernet, x: tf.Tensor4D, training: boolean, ...rest) {
    const n = x.shape[0];
    if (phase === 'weight') counts.weightImages += n;
    else if (phase === 'arch') counts.archImages += n;
    else if (phase === 'valid') counts.validImages += n;
    else if (phase === 'probe') counts.probeImages += n;
    else if (phase === 'candidate') counts[training ? 'candidateTrainImages' : 'candidateEvalImages'] += n;
    else assert.fail('a supernet forward pass outside the counted phases');
    return forward.call(this, x, training, ...rest);
  } as typeof forward;
  return {
    take: () => {
      const out = counts;
      counts = zero();
      return out;
    },
    restore: () => {
      Supernet.prototype.forward = forward;
      for (const [name, f] of saved) proto[name] = f;
    },
  };
}

const root = mkdtempSync(join(tmpdir(), 'bnas-search-cost-'));
before(() => initBackend('wasm'));
after(() => rmSync(root, { recursive: true, force: true }));

async function ranAndModelled(space: SearchSpace, name: string): Promise<{ ran: EpochWork[]; model: EpochWork[]; pruned: PruneEvent[] }> {
  const dataset = await loadDataset(space.data, { seed: 3 });
  const counter = countPasses();
  const ran: EpochWork[] = [];
  const pruned: PruneEvent[] = [];
  const opIndex = new Map(space.ops.map((o, i) => [o.name, i]));
  try {
    const r = await runSearch({
      space, spaceText: 'search "x" {}', outDir: join(root, name), dataset, keepBackend: true, threads: 1,
      emit: (e: RunEvent) => {
        if (e.type === 'epoch') ran.push(counter.take());
        if (e.type === 'pruned') pruned.push({ epoch: e.epoch, cell: e.cell, edge: e.edge, op: opIndex.get(e.op)! });
      },
    });
    assert.equal(r.status, 'finished');
    // Derivation's probes run after the last epoch event (before the test pass, which the model
    // leaves out); the model counts them with that epoch.
    const last = ran.length - 1;
    ran[last] = { ...ran[last], probeImages: ran[last].probeImages + counter.take().probeImages };
  } finally {
    counter.restore();
  }
  return { ran, model: searchMacs(space, pruned).map((e) => e.work), pruned };
}

describe('the search-cost model counts the passes the runtime runs', () => {
  // 7 ops on 5 edges a cell kind, one dropped a round: the rounds probe ⌈7/2⌉ = 4, then 3, 3, 2
  // and 2 ops an edge; a round with 2 ops left per edge would measure nothing.
  const ops = ALL_KIND_OPS;
  const base = {
    ops,
    data: { train: 80, split: 0.5, test: 16 },
    train: { epochs: 6, batch: 8, warmup: 1, seed: 5 },
  };

  it('performance: per-edge probes and the baseline on each measured batch', async () => {
    const space = tinySpace({ ...base, pruning: { criterion: 'performance', start: 1, every: 1, drop: 1, samples: 2 } });
    const { ran, model, pruned } = await ranAndModelled(space, 'performance');
    assert.equal(ran.length, 6);
    assert.deepEqual(ran, model);
    // Rounds after epochs 1–5 probe 4, 3, 3, 2 and 2 ops on each of 10 edges, plus the baseline.
    assert.deepEqual(ran.map((e) => e.probeImages / (2 * 8)), [41, 31, 31, 21, 21, 0]);
    assert.ok(pruned.length > 0);
  });

  it('derive.edges = removal: one probe per edge of both cell kinds and the baseline, after the last epoch', async () => {
    const space = tinySpace({ ...base, pruning: { criterion: 'alpha', start: 1, every: 1, drop: 1, samples: 1 }, derive: { edges: 'removal', probeBatches: 3 } });
    const { ran, model } = await ranAndModelled(space, 'removal');
    assert.deepEqual(ran, model);
    // 40 architecture-split images, 3 batches of 8 of them; 5 edges a cell kind.
    assert.deepEqual(ran.map((e) => e.probeImages / (3 * 8)), [0, 0, 0, 0, 0, 11]);
  });

  it('ucb: samples × the most ops alive candidates, trained for 2 batches and measured on 1', async () => {
    const space = tinySpace({ ...base, pruning: { criterion: 'ucb', start: 2, every: 2, drop: 2, samples: 1, ucbC: 1.41 } });
    const { ran, model } = await ranAndModelled(space, 'ucb');
    assert.deepEqual(ran, model);
    assert.deepEqual(ran.map((e) => e.candidateEvalImages / 8), [0, 7, 0, 5, 0, 0]);
  });
});
