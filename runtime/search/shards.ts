/**
 * Cutting a batch into parts and summing the parts' gradients: one code for the shards of
 * data-parallel threads (docs/design.md, "Threads") and for the micro-batches of a step
 * (docs/method.md, "Micro-batches"). A part's gradients travel as arrays in a fixed name order
 * followed by a counts array [correct, n]; {@link combine} weights them by their sizes, so the sum
 * of the parts' mean-loss gradients is the gradient of the whole batch's mean loss.
 */
import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { Batch, Dataset } from '../data/index.js';
import { microBatchPlan, sharedThreadsThatFit, type MemoryInputs, type MicroBatchPlan } from '../dsl/memory.js';
import type { SearchSpace } from '../dsl/space.js';
import type { ShardResult } from '../engine/data-parallel.js';
import { dropoutFor, type StepDropout } from '../engine/dropout.js';
import type { NamedGrads } from './optimizers.js';

/** The step's dropout for shard `shard` of a batch cut into shards: its own masks, the same rate. */
export function shardDropout(drop: StepDropout | undefined, shard: number): StepDropout | undefined {
  return drop && dropoutFor(drop, `s${shard}`);
}

/**
 * The dropout of micro-batch `part` of a step: the step's own masks for the first part (so a step in
 * one part drops as an unsplit step does), masks of their own for the others.
 */
export function partDropout(drop: StepDropout | undefined, part: number): StepDropout | undefined {
  return drop && part > 0 ? dropoutFor(drop, `m${part}`) : drop;
}

/** Gradients by variable name with the part's loss and correct count (see runtime/search/trainer.ts). */
export interface PartGrads {
  readonly grads: NamedGrads;
  readonly loss: number;
  readonly correct: number;
}

/** Rows [start, end) of shard `shard` of `shards` for a batch of `n` examples. */
export function shardRows(n: number, shard: number, shards: number): [number, number] {
  return [Math.floor((shard * n) / shards), Math.floor(((shard + 1) * n) / shards)];
}

/** Shard `shard` of `shards` of a batch (a view: no image data is copied). */
export function shardOf(batch: Batch, shard: number, shards: number): Batch {
  const [start, end] = shardRows(batch.n, shard, shards);
  const [, h, w, c] = batch.shape;
  const pixels = h * w * c;
  return { x: batch.x.subarray(start * pixels, end * pixels), y: batch.y.subarray(start, end), n: end - start, shape: [end - start, h, w, c] };
}

/** A batch cut into the fewest nearly equal parts of at most `size` images (the batch itself when it fits). */
export function partsOf(batch: Batch, size: number): Batch[] {
  if (batch.n <= size) return [batch];
  const count = Math.ceil(batch.n / size);
  return Array.from({ length: count }, (_, i) => shardOf(batch, i, count));
}

/** The counts array ending a shard result: [correct (or summed loss), n]. */
export function shardCounts(a: number, n: number): Float32Array {
  return Float32Array.from([a, n]);
}

/**
 * Gradients as arrays in `names` order (an empty array for a variable the loss does not reach),
 * then [correct, n]. Disposes the gradient tensors. Read asynchronously: a GPU backend cannot
 * read back synchronously in Node.
 */
export async function gradArrays(r: PartGrads, names: readonly string[], n: number): Promise<Float32Array[]> {
  try {
    const out = await Promise.all(names.map(async (name) => {
      const g = r.grads.get(name);
      return g ? ((await g.data()) as Float32Array) : new Float32Array(0);
    }));
    return [...out, shardCounts(r.correct, n)];
  } finally {
    tf.dispose([...r.grads.values()]);
  }
}

/**
 * Shard results weighted by their example counts (the last array of each result): gradients (or
 * any per-shard arrays, such as updated batch-norm statistics) as tensors of `shapes`, the loss,
 * and the summed correct counts. The same order of summation every time (shard 0 first).
 */
export function combine(results: readonly ShardResult[], names: readonly string[], shapes: ReadonlyMap<string, readonly number[]>): { grads: NamedGrads; loss: number; correct: number } {
  const counts = results.map((r) => r.grads[r.grads.length - 1]);
  const total = counts.reduce((s, c) => s + c[1], 0);
  const w = counts.map((c) => c[1] / total);
  const grads: NamedGrads = new Map();
  names.forEach((name, i) => {
    const size = Math.max(...results.map((r) => r.grads[i].length));
    if (size === 0) return;
    const out = new Float32Array(size);
    results.forEach((r, s) => {
      const g = r.grads[i];
      for (let j = 0; j < g.length; j++) out[j] += w[s] * g[j];
    });
    grads.set(name, tf.tensor(out, [...(shapes.get(name) as number[])], 'float32'));
  });
  return { grads, loss: results.reduce((s, r, i) => s + w[i] * r.loss, 0), correct: counts.reduce((s, c) => s + c[0], 0) };
}

/**
 * The gradients of `batch` w.r.t. `vars`, computed by `grads` on micro-batches of at most `size`
 * images (cut as shards are) and summed by {@link combine}: one result, as for the whole batch
 * (docs/method.md, "Micro-batches"). A batch of at most `size` images is computed at once.
 * `stats` are variables the forward pass updates (batch-norm running statistics): every part
 * starts from their values before the step, and they end as the parts' size-weighted mean, as
 * with data-parallel shards. The caller owns the returned gradients.
 */
export async function accumulate(
  batch: Batch,
  size: number,
  vars: ReadonlyMap<string, tf.Variable>,
  grads: (part: Batch, index: number) => Promise<PartGrads>,
  stats: readonly tf.Variable[] = [],
): Promise<PartGrads> {
  const parts = partsOf(batch, size);
  if (parts.length === 1) return grads(batch, 0);
  const names = [...vars.keys()];
  const statNames = stats.map((v) => `stat:${v.name}`);
  const start = stats.map((v) => tf.clone(v));
  const results: ShardResult[] = [];
  try {
    for (const [i, part] of parts.entries()) {
      if (i > 0) stats.forEach((v, j) => v.assign(start[j]));
      const r = await grads(part, i);
      const arrays = await gradArrays(r, names, part.n);
      const counts = arrays.pop() as Float32Array;
      // Copies: on the cpu backend a variable's data is its own storage.
      const updated = await Promise.all(stats.map(async (v) => ((await v.data()) as Float32Array).slice()));
      results.push({ loss: r.loss, grads: [...arrays, ...updated, counts] });
    }
  } finally {
    tf.dispose(start);
  }
  const shapes = new Map<string, readonly number[]>([...[...vars].map(([n, v]) => [n, v.shape] as const), ...stats.map((v, j) => [statNames[j], v.shape] as const)]);
  const r = combine(results, [...names, ...statNames], shapes);
  stats.forEach((v, j) => {
    const t = r.grads.get(statNames[j]) as tf.Tensor;
    v.assign(t);
    t.dispose();
    r.grads.delete(statNames[j]);
  });
  return r;
}

/** The memory model's inputs for `dataset` on this machine (its memory read once per call). */
function machineInputs(dataset: Pick<Dataset, 'height' | 'channels' | 'numClasses'>): MemoryInputs {
  return { image: dataset.height, inChannels: dataset.channels, classes: dataset.numClasses, systemMb: totalmem() / 2 ** 20 };
}

/**
 * The micro-batches of a step of `space` on `dataset` (`train.micro_batch`, else the automatic
 * choice for the backend's heap or this machine's memory: runtime/dsl/memory.ts, `microBatchPlan`). The search and `bnas
 * evaluate` both use the supernet's estimate: for a derived network, which keeps one op per input
 * of a node, a conservative one.
 * @param backend a backend name or choice (`node` is the native backend)
 */
export function microBatchOf(space: SearchSpace, dataset: Pick<Dataset, 'height' | 'channels' | 'numClasses'>, backend: string, threads: number): MicroBatchPlan {
  return microBatchPlan(space, backend, threads, machineInputs(dataset));
}

/** The most of `threads` that can share a search's pruning and measurements in this machine's memory ({@link sharedThreadsThatFit}). */
export function sharedThreadsOf(space: SearchSpace, dataset: Pick<Dataset, 'height' | 'channels' | 'numClasses'>, backend: string, threads: number): number {
  return sharedThreadsThatFit(space, backend, threads, machineInputs(dataset));
}

/** The images per micro-batch of a plan as a {@link accumulate} size: Infinity when the step is one part. */
export function partSize(plan: MicroBatchPlan): number {
  return plan.count > 1 ? plan.size : Infinity;
}
