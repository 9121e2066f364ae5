/**
 * Data-parallel gradients over worker threads. The wasm backend runs one thread in Node, so a
 * step uses one core; here each worker owns its own backend and a replica of the model, computes
 * the gradients of its shard of the batch, and the caller averages them (and may compute a shard
 * itself meanwhile: the messages are posted before its own work blocks the event loop).
 *
 * A replica module (any path) exports `createReplica(config, shard, shards)` returning a
 * {@link Replica}; the engine knows nothing of what the model is (the supernet supplies it).
 * Weights travel as Float32Arrays in a fixed name order each step (a cell's weights are a few
 * hundred KB); gradients come back transferred, not copied.
 * Batch norm statistics are per shard, as in PyTorch's DistributedDataParallel without SyncBN.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendChoice } from './backend.js';

/** What each worker computes. */
export interface Replica {
  /** Trainable weight names in the order `gradients` uses (same in every replica). */
  weightNames(): string[];
  /**
   * Loads `weights`, computes the loss and gradients of this replica's shard for `step`.
   * `input` is what the caller passed to {@link DataParallelGroup.gradients} (e.g. the batch).
   */
  gradients(weights: Float32Array[], step: number, input?: unknown): Promise<ShardResult> | ShardResult;
  dispose(): void;
}

/** Signature of a replica module's `createReplica` export. */
export type ReplicaFactory = (config: unknown, shard: number, shards: number) => Promise<Replica> | Replica;

/** One shard's loss and gradients (same order as the weights). */
export interface ShardResult {
  readonly loss: number;
  readonly grads: Float32Array[];
}

/** Messages between the group and its workers (structured-cloned). */
export type ToWorker = { type: 'gradients'; id: number; step: number; weights: Float32Array[]; input?: unknown } | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; names: string[] }
  | { type: 'gradients'; id: number; loss: number; grads: Float32Array[] }
  | { type: 'error'; id?: number; message: string };

/** What a worker is started with. */
export interface WorkerInit {
  readonly module: string;
  readonly config: unknown;
  readonly shard: number;
  readonly shards: number;
  readonly backend: BackendChoice;
}

/** Options of {@link DataParallelGroup.start}. */
export interface DataParallelOptions {
  /** Path or file URL of the replica module (it exports `createReplica`). */
  readonly module: string;
  /** Passed to `createReplica` in every worker (structured-clonable). */
  readonly config: unknown;
  /** Shard indices the workers take (e.g. [1] when the caller computes shard 0 itself). */
  readonly shards: number[];
  /** Total number of shards, the caller's included. */
  readonly totalShards: number;
  readonly backend: BackendChoice;
  /** Worker entry; default {@link defaultWorkerScript}. */
  readonly workerScript?: string;
  /** Milliseconds a gradient request may take before it is rejected (default 10 minutes). */
  readonly timeoutMs?: number;
}

/**
 * The worker entry next to this module: `replica-worker.ts` when running from sources (tsx), or
 * `engine-worker.cjs` beside a bundle.
 */
export function defaultWorkerScript(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'replica-worker.ts'), join(here, 'engine-worker.cjs')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`data-parallel: no worker entry found (looked for ${candidates.join(', ')})`);
  return found;
}

/**
 * Starts a worker on `script`. A TypeScript entry (running from sources) gets a bootstrap that
 * registers tsx in the worker first: module hooks of the parent thread do not reach workers.
 */
function startWorker(script: string, init: WorkerInit): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, { workerData: init });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(script).href)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

interface Pending {
  resolve: (r: ShardResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** A set of workers, each with its own backend and replica. */
export class DataParallelGroup {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    readonly names: string[],
    private readonly timeoutMs: number,
  ) {
    for (const w of workers) {
      w.on('message', (m: FromWorker) => this.onMessage(m));
      w.on('error', (err) => this.failAll(err));
    }
  }

  /** Starts the workers and waits until every replica is built. */
  static async start(options: DataParallelOptions): Promise<DataParallelGroup> {
    const script = options.workerScript ?? defaultWorkerScript();
    const workers: Worker[] = [];
    const names = await Promise.all(
      options.shards.map(
        (shard) =>
          new Promise<string[]>((resolve, reject) => {
            const init: WorkerInit = { module: options.module, config: options.config, shard, shards: options.totalShards, backend: options.backend };
            const w = startWorker(script, init);
            workers.push(w);
            const onMessage = (m: FromWorker): void => {
              w.off('message', onMessage);
              if (m.type === 'ready') resolve(m.names);
              else reject(new Error(`data-parallel worker ${shard} failed to start: ${m.type === 'error' ? m.message : m.type}`));
            };
            w.on('message', onMessage);
            w.once('error', reject);
          }),
      ),
    ).catch(async (err) => {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    });
    for (const n of names.slice(1)) {
      if (n.join('\n') !== names[0].join('\n')) throw new Error('data-parallel: replicas disagree on their weight names');
    }
    return new DataParallelGroup(workers, names[0] ?? [], options.timeoutMs ?? 600_000);
  }

  /**
   * Posts `weights` to every worker and resolves with each worker's shard result. The weights are
   * copied (each worker needs them), so the caller may reuse its arrays right away. `input`
   * (structured-clonable, optional) reaches every replica's `gradients` unchanged.
   */
  gradients(weights: Float32Array[], step: number, input?: unknown): Promise<ShardResult[]> {
    if (this.closed) return Promise.reject(new Error('data-parallel group is closed'));
    return Promise.all(
      this.workers.map((w) => {
        const id = this.nextId++;
        return new Promise<ShardResult>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(id);
            reject(new Error(`data-parallel: a worker did not answer within ${this.timeoutMs} ms`));
          }, this.timeoutMs);
          this.pending.set(id, { resolve, reject, timer });
          w.postMessage({ type: 'gradients', id, step, weights, input } satisfies ToWorker);
        });
      }),
    );
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
    const p = m.id === undefined ? undefined : this.pending.get(m.id);
    if (!p) {
      if (m.type === 'error') this.failAll(new Error(m.message));
      return;
    }
    this.pending.delete(m.id as number);
    clearTimeout(p.timer);
    if (m.type === 'error') p.reject(new Error(`data-parallel worker: ${m.message}`));
    else p.resolve({ loss: m.loss, grads: m.grads });
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }

  /** Stops every worker (pending requests are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('data-parallel group closed'));
    for (const w of this.workers) w.postMessage({ type: 'close' } satisfies ToWorker);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Averages shard results element-wise (equal shard sizes).
 * @returns mean loss and mean gradients, new arrays
 */
export function averageShards(results: readonly ShardResult[]): ShardResult {
  if (!results.length) throw new Error('averageShards: no results');
  const n = results.length;
  const grads = results[0].grads.map((g, i) => {
    const out = new Float32Array(g.length);
    for (const r of results) {
      const src = r.grads[i];
      for (let j = 0; j < out.length; j++) out[j] += src[j];
    }
    for (let j = 0; j < out.length; j++) out[j] /= n;
    return out;
  });
  return { loss: results.reduce((s, r) => s + r.loss, 0) / n, grads };
}
