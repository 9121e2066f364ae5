/**
 * A supernet trained as a search trains it (runSearch into a scratch folder, pruning as the space
 * says), rebuilt from the run's checkpoint as a resumed search would, with a Trainer on it: what
 * the bench scripts that probe a trained supernet start from. The caller disposes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { CellKind } from '../../runtime/protocol/genotype.js';
import { assignSaved, readCheckpoint } from '../../runtime/search/checkpoint.js';
import { Rng } from '../../runtime/random/rng.js';
import { runSearch } from '../../runtime/search/search.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { Supernet } from '../../runtime/supernet/supernet.js';

export interface TrainedSupernet {
  readonly net: Supernet;
  readonly trainer: Trainer;
  dispose(): void;
}

/** Trains `space` (its `train.epochs`) at `seed` on the active backend and returns the trained supernet. */
export async function trainedSupernet(space: SearchSpace, spaceText: string, dataset: Dataset, seed: number): Promise<TrainedSupernet> {
  const dir = mkdtempSync(join(tmpdir(), 'bnas-trained-'));
  try {
    const r = await runSearch({ space, spaceText, outDir: dir, seed, dataset, keepBackend: true, threads: 1, stepEventSeconds: 1e9 });
    if (r.status !== 'finished') throw new Error(`the search at seed ${seed} ${r.status}: ${r.message ?? ''}`);
    const saved = readCheckpoint<{ alive: Record<CellKind, boolean[][]> }>(dir);
    const net = new Supernet(space, {
      input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses,
      seed: Rng.stream(seed, 'init').seed(), alive: saved.state.alive,
    });
    const trainer = new Trainer(net, space, dataset.numClasses);
    for (const [prefix, store] of [['w', net.weights], ['a', net.arch]] as const) {
      for (const name of store.names()) assignSaved(store.get(name), saved.arrays.get(`${prefix}/${name}`), name);
    }
    return { net, trainer, dispose: () => (trainer.dispose(), net.dispose()) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
