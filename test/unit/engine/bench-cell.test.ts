/**
 * The benchmark's variants compute the same cell: the `cell` variant (FusedCell, fast
 * pre-processing) has the same weights by name as `naive` and the same loss and weight gradients,
 * so bench/engine compares implementations of one computation. Float weights (binary cells are
 * compared op by op in fused-cell.test.ts, where ties of XNOR scales cannot flip a sign).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchCell, type CellConfig } from '../../../bench/engine/cell.js';
import { useBackend } from './backends.js';
import { relError } from './reference.js';

test('bench cell: naive and cell variants agree in loss and every weight gradient (wasm)', async () => {
  await useBackend('wasm');
  const config: CellConfig = { batch: 2, size: 6, channels: 8, k: 2, binary: false, variant: 'naive', seed: 3 };
  const naive = new BenchCell(config);
  const cell = new BenchCell({ ...config, variant: 'cell' });
  try {
    const names = naive.store.names().filter((n) => naive.store.get(n).trainable);
    assert.deepEqual(cell.store.names().filter((n) => cell.store.get(n).trainable).sort(), [...names].sort());
    const a = naive.gradientArrays();
    const b = cell.gradientArrays();
    assert.ok(Math.abs(a.loss - b.loss) < 1e-5 * Math.max(1, Math.abs(a.loss)), `loss ${a.loss} vs ${b.loss}`);
    const cellNames = cell.store.names().filter((n) => cell.store.get(n).trainable);
    names.forEach((n, i) => {
      const j = cellNames.indexOf(n);
      assert.ok(relError(b.grads[j], a.grads[i]) < 1e-3, `gradient of ${n}: ${relError(b.grads[j], a.grads[i])}`);
    });
  } finally {
    naive.dispose();
    cell.dispose();
  }
});
