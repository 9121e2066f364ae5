/**
 * `bnas evaluate`'s replica module for the engine's data-parallel workers (`createReplica`): each
 * worker builds the same discrete network, loads the weights and batch-norm statistics sent with
 * every request, and computes its share: the gradients of its shard of a training batch (with the
 * statistics its forward pass updated), or the correct count of its test batches.
 * Bundled builds ship this module as `dist/evaluate-replica.cjs`.
 */
import type { Replica, ShardResult } from '../engine/data-parallel.js';
import { initBackend } from '../engine/backend.js';
import { DiscreteNetwork } from '../supernet/discrete.js';
import { batchCorrect, evalArrays, loadEvalArrays, stepGrads, type EvalReplicaConfig, type EvalRequest } from './evaluate.js';
import { sharePart } from './replica-protocol.js';
import { gradArrays, shardCounts, shardOf } from './shards.js';

/** Builds this worker's replica (called once per worker by the engine). */
export async function createReplica(config: unknown, shard: number, shards: number): Promise<Replica> {
  const c = config as EvalReplicaConfig;
  // As in the search's replica: a bundle carries its own copy of the engine's module settings.
  await initBackend(c.backend);
  const net = new DiscreteNetwork(c.space, c.genotype, { input: c.input, numClasses: c.numClasses, seed: c.seed });
  return {
    weightNames: () => evalArrays(net).names,
    gradients: async (arrays: Float32Array[], _step: number, input?: unknown): Promise<ShardResult> => {
      const req = input as EvalRequest;
      loadEvalArrays(net, arrays);
      if (req.kind === 'test') {
        let correct = 0, n = 0;
        for (const i of sharePart(req.batches.length, shard, shards)) {
          correct += await batchCorrect(net, req.batches[i], c.numClasses, c.microBatch ?? Infinity);
          n += req.batches[i].n;
        }
        return { loss: 0, grads: [shardCounts(correct, n)] };
      }
      const b = shardOf(req.batch, shard, shards);
      const r = await stepGrads(net, b, c.numClasses, c.microBatch ?? Infinity);
      const { trainable, stats } = evalArrays(net);
      const grads = await gradArrays(r, trainable, b.n);
      const counts = grads.pop() as Float32Array;
      // Copies: on the cpu backend dataSync is the variable's own storage, and results are transferred.
      return { loss: r.loss, grads: [...grads, ...stats.map((n) => (net.weights.get(n).dataSync() as Float32Array).slice()), counts] };
    },
    dispose: () => net.dispose(),
  };
}
