/**
 * The search's replica module for the engine's data-parallel workers (`createReplica`): each
 * worker builds the same supernet, follows the main thread's pruning, loads the variables sent
 * with every request and computes its share: gradients of its shard of a weight or architecture
 * batch, the accuracies of its pruning candidates, or the loss of its validation batches.
 *
 * Results travel as {@link ShardResult}s; besides the gradients they carry a last array of
 * counts (see shards.ts) so the main thread can weight shards by their size; measurements travel
 * as exact numbers per candidate, probe or batch.
 * Bundled builds ship this module as `dist/search-replica.cjs`.
 */
import type { Replica, ShardResult } from '../engine/data-parallel.js';
import { Supernet } from '../supernet/supernet.js';
import { initBackend } from '../engine/backend.js';
import { Optimizer } from './optimizers.js';
import { evaluatePath, exactArray, followAlive, loadVariables, probeLosses, sharePart, syncedNames, type PathScore, type ReplicaConfig, type ReplicaRequest } from './replica-protocol.js';
import { Trainer } from './trainer.js';
import { gradArrays, shardDropout, shardOf } from './shards.js';

/** Builds this worker's replica (called once per worker by the engine). */
export async function createReplica(config: unknown, shard: number, shards: number): Promise<Replica> {
  const c = config as ReplicaConfig;
  // The worker entry activated the backend already; in a bundle this module carries its own copy
  // of the engine, whose module-level settings (e.g. zero-copy identity on wasm) need it once more.
  await initBackend(c.backend);
  const net = new Supernet(c.space, { input: c.input, numClasses: c.numClasses, seed: c.seed });
  const trainer = new Trainer(net, c.space, c.numClasses);
  trainer.microBatch = c.microBatch ?? Infinity;
  const sgd = new Optimizer({ ...c.space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune');
  return {
    weightNames: () => {
      const { weights, arch } = syncedNames(net);
      return [...weights, ...arch];
    },
    gradients: async (weights: Float32Array[], _step: number, input?: unknown): Promise<ShardResult> => {
      const req = input as ReplicaRequest;
      followAlive(net, req.alive);
      loadVariables(net, weights, req.sync);
      net.binaryShare = req.binaryShare;
      switch (req.kind) {
        case 'weights': {
          const b = shardOf(req.batch, shard, shards);
          const r = await trainer.weightGrads(b, undefined, shardDropout(req.drop, shard));
          return { loss: r.loss, grads: await gradArrays(r, syncedNames(net).weights, b.n) };
        }
        case 'arch': {
          const b = shardOf(req.batch, shard, shards);
          const r = await trainer.archGrads(b, req.epoch, shardDropout(req.drop, shard));
          return { loss: r.loss, grads: await gradArrays(r, syncedNames(net).arch, b.n) };
        }
        case 'paths': {
          const mine = sharePart(req.choices.length, shard, shards);
          const scores: PathScore[] = [];
          for (const i of mine) scores.push(await evaluatePath(trainer, req.choices[i], req.batches, req.lr, sgd));
          return { loss: 0, grads: [exactArray(scores.map((x) => x.accuracy)), exactArray(scores.map((x) => x.loss))] };
        }
        case 'edges': {
          const mine = sharePart(req.probes.length, shard, shards);
          const losses: number[] = [];
          for (const i of mine) losses.push(...(await probeLosses(trainer, req.probes[i], req.batches)));
          return { loss: 0, grads: [exactArray(losses)] };
        }
        case 'measure': {
          // Each batch's loss and correct count: the main thread sums them in batch order.
          const each: number[] = [];
          for (const i of sharePart(req.batches.length, shard, shards)) {
            const r = await trainer.evaluate(req.batches[i]);
            each.push(r.loss, r.correct);
          }
          return { loss: 0, grads: [exactArray(each)] };
        }
      }
    },
    dispose: () => {
      sgd.dispose();
      trainer.dispose();
      net.dispose();
    },
  };
}
