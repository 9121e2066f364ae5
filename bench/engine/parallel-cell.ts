/**
 * The benchmark cell, data-parallel over 2 threads with the engine's DataParallelGroup: the main
 * thread computes shard 0 while a worker (own wasm backend) computes shard 1; gradients are
 * averaged and one SGD update is applied on the main thread. This file is also the replica
 * module the worker loads (`createReplica`).
 */
import { fileURLToPath } from 'node:url';
import { averageShards, DataParallelGroup, type Replica } from '../../runtime/engine/data-parallel.js';
import { BenchCell, type CellConfig } from './cell.js';

/** Shard `shard` of `shards`: its own slice of the batch (own data seed), same weight names. */
function shardConfig(config: CellConfig, shard: number, shards: number): CellConfig {
  if (config.batch % shards !== 0) throw new Error(`batch ${config.batch} does not split into ${shards} shards`);
  return { ...config, batch: config.batch / shards, seed: config.seed + shard * 7919 };
}

/** Replica factory loaded by each worker. */
export function createReplica(config: unknown, shard: number, shards: number): Replica {
  const cell = new BenchCell(shardConfig(config as CellConfig, shard, shards));
  return {
    weightNames: () => cell.store.names().filter((n) => cell.store.get(n).trainable),
    gradients: (weights) => {
      cell.setWeights(weights);
      return cell.gradientArrays();
    },
    dispose: () => cell.dispose(),
  };
}

export class ParallelCell {
  private steps = 0;
  private constructor(
    private readonly main: BenchCell,
    private readonly group: DataParallelGroup,
  ) {}

  /** Starts `threads − 1` workers; the calling thread is the remaining one. */
  static async create(config: CellConfig, threads: number): Promise<ParallelCell> {
    const main = new BenchCell(shardConfig(config, 0, threads));
    const group = await DataParallelGroup.start({
      module: fileURLToPath(import.meta.url),
      config,
      shards: Array.from({ length: threads - 1 }, (_, i) => i + 1),
      totalShards: threads,
      backend: 'wasm',
    });
    return new ParallelCell(main, group);
  }

  /** One data-parallel SGD step; returns the mean loss. */
  async step(): Promise<number> {
    const weights = this.main.weightArrays();
    const remote = this.group.gradients(weights, this.steps++);
    const local = this.main.gradientArrays();
    const avg = averageShards([local, ...(await remote)]);
    this.main.applyGradientArrays(avg.grads);
    return avg.loss;
  }

  async dispose(): Promise<void> {
    await this.group.close();
    this.main.dispose();
  }
}
