/**
 * What the search's main thread and its data-parallel replicas share: the request a replica gets
 * with each step, how a batch is cut into shards, how the supernet's variables travel as arrays
 * in a fixed order, and the isolated single-path evaluation of pruning candidates (the same code
 * runs on either side, so a candidate's accuracy does not depend on which thread computed it).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/index.js';
import type { BackendChoice } from '../engine/backend.js';
import type { StepDropout } from '../engine/dropout.js';
import type { SearchSpace } from '../dsl/space.js';
import { CELL_KINDS, type CellKind } from '../protocol/genotype.js';
import type { EdgeRestriction, Supernet } from '../supernet/supernet.js';
import type { Optimizer } from './optimizers.js';
import type { PathChoice } from './pruning.js';
import type { Trainer } from './trainer.js';

/** How a replica builds its supernet (structured-cloned to every worker once). */
export interface ReplicaConfig {
  readonly space: SearchSpace;
  readonly input: readonly [number, number, number];
  readonly numClasses: number;
  readonly seed: number;
  /** The backend the main thread runs on (every replica activates the same). */
  readonly backend: BackendChoice;
  /** Images per micro-batch of a shard (default: at once; docs/method.md, "Micro-batches"). */
  readonly microBatch?: number;
}

/** The backend choice that activates the backend named `name` (`tensorflow` is the `node` choice). */
export function backendChoiceOf(name: string): BackendChoice {
  return name === 'tensorflow' ? 'node' : name === 'cpu' ? 'cpu' : 'wasm';
}

/** Alive ops per cell kind, edge and op (the supernet's pruned state). */
export type AliveState = Record<CellKind, readonly (readonly boolean[])[]>;

/** The batches one pruning round trains and measures every candidate on. */
export interface PruneBatches {
  /** SGD steps of each candidate's brief training, one batch each (weight split). */
  readonly train: readonly Batch[];
  /** Architecture-split batches each candidate is measured on. */
  readonly eval: readonly Batch[];
}

/** What a pruning candidate measured. */
export interface PathScore {
  readonly accuracy: number;
  readonly loss: number;
}

/**
 * Which variable groups travel with a request: a group the main thread has not changed since the
 * last request is not sent again (the replicas still hold it).
 */
export interface SyncGroups {
  readonly weights: boolean;
  readonly arch: boolean;
}

/** What every request carries besides its work. */
interface RequestBase {
  readonly alive: AliveState;
  readonly sync: SyncGroups;
  /** λ of progressive binarization for this request's forward passes (the main thread's). */
  readonly binaryShare: number;
}

/** One request to the replicas; every replica takes its own share of the work. */
export type ReplicaRequest = RequestBase & ReplicaWork;

/** The work of a request. */
export type ReplicaWork =
  | { readonly kind: 'weights'; readonly batch: Batch; readonly drop?: StepDropout }
  | { readonly kind: 'arch'; readonly batch: Batch; readonly epoch: number; readonly drop?: StepDropout }
  | { readonly kind: 'paths'; readonly choices: readonly PathChoice[]; readonly batches: PruneBatches; readonly lr: number }
  | { readonly kind: 'measure'; readonly batches: readonly Batch[] }
  | { readonly kind: 'edges'; readonly probes: readonly (EdgeRestriction | undefined)[]; readonly batches: readonly Batch[] };

/** Indices of the items of a list of `count` that shard `shard` of `shards` takes (round robin). */
export function sharePart(count: number, shard: number, shards: number): number[] {
  return Array.from({ length: count }, (_, i) => i).filter((i) => i % shards === shard);
}

/**
 * Numbers as exact float64 values in a Float32Array (its bytes): replica results travel as
 * Float32Arrays, which would round them, and a shared measurement must equal one thread's.
 */
export function exactArray(xs: readonly number[]): Float32Array {
  return new Float32Array(Float64Array.from(xs).buffer);
}

/** The numbers an {@link exactArray} holds. */
export function exactNumbers(a: Float32Array): number[] {
  return [...new Float64Array(a.slice().buffer)];
}

/** Names of the variables that travel with each request: trainable weights, then α/β. */
export function syncedNames(net: Supernet): { weights: string[]; arch: string[] } {
  return { weights: Object.keys(net.weights.trainableMap()), arch: net.arch.names() };
}

/** The variables of the groups in `sync`, in {@link syncedNames} order (weights, then α/β). */
function syncedVariables(net: Supernet, sync: SyncGroups): tf.Variable[] {
  const { weights, arch } = syncedNames(net);
  return [...(sync.weights ? weights.map((n) => net.weights.get(n)) : []), ...(sync.arch ? arch.map((n) => net.arch.get(n)) : [])];
}

/** The values of the variable groups in `sync` as arrays (see {@link syncedVariables}). */
export function packVariables(net: Supernet, sync: SyncGroups = { weights: true, arch: true }): Float32Array[] {
  return syncedVariables(net, sync).map((v) => v.dataSync() as Float32Array);
}

/** Loads arrays packed by {@link packVariables} with the same `sync` on a supernet with the same alive ops. */
export function loadVariables(net: Supernet, arrays: readonly Float32Array[], sync: SyncGroups = { weights: true, arch: true }): void {
  const vars = syncedVariables(net, sync);
  if (vars.length !== arrays.length) {
    throw new Error(`search replica out of sync: it has ${vars.length} variables, the main thread sent ${arrays.length}`);
  }
  tf.tidy(() => {
    vars.forEach((v, i) => {
      if (arrays[i].length !== v.size) throw new Error(`search replica out of sync: variable ${i} has ${v.size} values, got ${arrays[i].length}`);
      v.assign(tf.tensor(arrays[i], v.shape, 'float32'));
    });
  });
}

/** Prunes the ops of `net` that are no longer alive in `alive` (a replica follows the main thread). */
export function followAlive(net: Supernet, alive: AliveState): void {
  for (const k of CELL_KINDS) {
    alive[k].forEach((row, e) => row.forEach((a, o) => !a && net.alive[k][e][o] && net.prune(k, e, o)));
  }
}

/**
 * Trains the single-path sub-network `choice` briefly from the supernet's current weights (SGD,
 * one step per batch of `batches.train`), measures its accuracy on `batches.eval` (forward only,
 * inference mode, no gradient tape), then puts the weights it changed back: every candidate of a
 * round starts from the same supernet, so no candidate profits from another's training and the
 * order of evaluation does not matter.
 * @returns accuracy in [0, 1] and mean loss on the measured batches
 */
export async function evaluatePath(trainer: Trainer, choice: PathChoice, batches: PruneBatches, lr: number, sgd: Optimizer): Promise<PathScore> {
  const saved = new Map<string, tf.Tensor>();
  try {
    for (const b of batches.train) {
      const r = await trainer.weightGrads(b, choice);
      // Only variables on the path get gradients: those are the ones to restore afterwards.
      for (const name of r.grads.keys()) if (!saved.has(name)) saved.set(name, tf.clone(trainer.net.weights.get(name)));
      trainer.applyWeightGrads(r.grads, lr, sgd);
    }
    let correct = 0, n = 0, loss = 0;
    for (const b of batches.eval) {
      const e = await trainer.evaluate(b, choice, false);
      correct += e.correct;
      n += e.n;
      loss += e.loss * e.n;
    }
    return { accuracy: n ? correct / n : 0, loss: n ? loss / n : NaN };
  } finally {
    for (const [name, value] of saved) trainer.net.weights.get(name).assign(value);
    tf.dispose([...saved.values()]);
  }
}

/**
 * The loss of each example of `batches` (in batch order) under the supernet with `probe`'s edge
 * restricted (or unrestricted): forward only, inference mode, as float32 values read back, so a
 * main thread and a replica report bit-identical numbers.
 */
export async function probeLosses(trainer: Trainer, probe: EdgeRestriction | undefined, batches: readonly Batch[]): Promise<number[]> {
  const out: number[] = [];
  for (const b of batches) out.push(...(await trainer.exampleLosses(b, probe)));
  return out;
}
