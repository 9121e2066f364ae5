/**
 * Data-parallel gradients: two workers (own wasm backends) each take half of the batch; the mean
 * of their gradients equals the full-batch gradient computed here; errors come back as rejections.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { averageShards, DataParallelGroup } from '../../../runtime/engine/data-parallel.js';
import { initBackend } from '../../../runtime/engine/backend.js';
import { createLinearStore, linearData, linearLoss, type LinearConfig } from './fixtures/linear-replica.js';
import { relError } from './reference.js';

const MODULE = fileURLToPath(new URL('./fixtures/linear-replica.ts', import.meta.url));
const CONFIG: LinearConfig = { rows: 64, inputs: 5, outputs: 3 };

test('two workers: averaged shard gradients equal the full-batch gradient', async () => {
  await initBackend('wasm');
  const group = await DataParallelGroup.start({ module: MODULE, config: CONFIG, shards: [0, 1], totalShards: 2, backend: 'wasm' });
  try {
    assert.deepEqual(group.names, ['w', 'b']);
    const store = createLinearStore(CONFIG);
    // Move away from the initial point so the check is not at a special value.
    store.get('b').assign(tf.fill([3], 0.3));
    const { x, y } = linearData(CONFIG);
    const vars = store.trainable();
    const weights = vars.map((v) => v.dataSync() as Float32Array);
    const avg = averageShards(await group.gradients(weights, 0));
    const full = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => linearLoss(store, x, y), vars);
      return { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync()) };
    });
    assert.ok(Math.abs(avg.loss - full.loss) < 1e-5 * Math.max(1, full.loss));
    full.grads.forEach((g, i) => assert.ok(relError(avg.grads[i], g) < 1e-5, `gradient ${i}`));
    tf.dispose([x, y]);
    store.dispose();
  } finally {
    await group.close();
  }
});

test('a failing replica rejects the request with its message; a bad module fails at start', async () => {
  const group = await DataParallelGroup.start({ module: MODULE, config: { ...CONFIG, fail: true }, shards: [0], totalShards: 1, backend: 'cpu' });
  try {
    await assert.rejects(group.gradients([new Float32Array(15), new Float32Array(3)], 0), /replica asked to fail/);
  } finally {
    await group.close();
  }
  await assert.rejects(group.gradients([], 1), /closed/);
  const notAReplica = fileURLToPath(new URL('./reference.ts', import.meta.url));
  await assert.rejects(
    DataParallelGroup.start({ module: notAReplica, config: CONFIG, shards: [0], totalShards: 1, backend: 'cpu' }),
    /failed to start: .*does not export createReplica/,
  );
});
