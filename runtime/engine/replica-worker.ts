/**
 * Worker-thread entry of {@link DataParallelGroup}: activates its own backend, builds the replica
 * from the module named in `workerData`, and answers gradient requests.
 * Bundled builds ship it as `engine-worker.cjs` next to the bundle that starts the workers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { initBackend } from './backend.js';
import type { FromWorker, Replica, ReplicaFactory, ToWorker, WorkerInit } from './data-parallel.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('replica-worker must run in a worker thread');
  const init = workerData as WorkerInit;
  let replica: Replica;
  try {
    await initBackend(init.backend);
    const url = isAbsolute(init.module) ? pathToFileURL(init.module).href : init.module;
    const mod = (await import(url)) as { createReplica?: ReplicaFactory };
    if (typeof mod.createReplica !== 'function') throw new Error(`${init.module} does not export createReplica`);
    replica = await mod.createReplica(init.config, init.shard, init.shards);
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) } satisfies FromWorker);
    return;
  }
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'close') {
      replica.dispose();
      port.close();
      return;
    }
    try {
      const r = await replica.gradients(m.weights, m.step, m.input);
      port.postMessage({ type: 'gradients', id: m.id, loss: r.loss, grads: r.grads } satisfies FromWorker, r.grads.map((g) => g.buffer as ArrayBuffer));
    } catch (err) {
      port.postMessage({ type: 'error', id: m.id, message: (err as Error).message } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready', names: replica.weightNames() } satisfies FromWorker);
}

void main();
