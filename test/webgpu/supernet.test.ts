/**
 * The supernet and the derived network on WebGPU, where every fused kernel takes its composed
 * stock-op form (runtime/engine/composed-kernels.ts; docs/design.md, "Backends and kernels"):
 * logits and the gradient of every weight, α and β against the op-by-op reference
 * (test/unit/engine/reference/op-cell.ts) on the same backend, binary and real, as
 * test/unit/engine/supernet-cell.test.ts does on cpu and wasm; the real-valued network also
 * against the reference on the cpu backend; whole search and training steps without a tensor leak.
 * Skipped without a WebGPU adapter, except under BNAS_REQUIRE_WEBGPU=1.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak } from '../../runtime/engine/memory.js';
import { releaseBackend } from '../../runtime/engine/backend.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { Batch } from '../../runtime/data/index.js';
import { trainStep } from '../../runtime/search/evaluate.js';
import { Optimizer } from '../../runtime/search/optimizers.js';
import { Rng } from '../../runtime/random/rng.js';
import { Trainer } from '../../runtime/search/trainer.js';
import { DiscreteNetwork } from '../../runtime/supernet/discrete.js';
import { randomGenotype } from '../../runtime/supernet/random-cells.js';
import { Supernet } from '../../runtime/supernet/supernet.js';
import { useBackend } from '../unit/engine/backends.js';
import { OpByOpSupernet } from '../unit/engine/reference/op-cell.js';
import { randomArr, relError } from '../unit/engine/reference.js';
import { ALL_KIND_OPS, tinySpace } from '../unit/supernet/helpers.js';

const OPS = ALL_KIND_OPS;
/** Label, quantizers, and λ of progressive binarization (1 when absent). */
const CONFIGS: [string, SearchSpace['binarize'], number?][] = [
  ['binary (sign weights, sign activations)', { weights: 'sign', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'] }],
  ['xnor weights per channel, real activations', { weights: 'xnor', scale: 'channel', activations: 'real', keepReal: ['stem', 'classifier'] }],
  ['binary with the identity shortcut around stride-1 convs', { weights: 'sign', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'], shortcut: true }],
  ['progressive binarization at λ = 0.4 (xnor per channel, sign activations)', { weights: 'xnor', scale: 'channel', activations: 'sign', keepReal: ['stem', 'classifier'], progressive: 2 }, 0.4],
];
const options = { input: [8, 8, 3] as const, numClasses: 3, seed: 4 };

/** Logits, and the gradients of Σ r · logits for every trainable weight, α and β, read back. */
async function gradients(net: Supernet, xs: Float32Array, rs: Float32Array, names: string[]): Promise<{ logits: Float32Array; grads: Float32Array[] }> {
  const x = tf.tensor4d(xs, [2, 8, 8, 3]);
  const r = tf.tensor2d(rs, [2, 3]);
  const vars = [...names.map((n) => net.weights.get(n)), ...net.arch.trainable()];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net.forward(x, true), r)) as tf.Scalar, vars);
  const logits = tf.tidy(() => net.forward(x, true));
  try {
    return { logits: (await logits.data()) as Float32Array, grads: await Promise.all(vars.map(async (v) => (await grads[v.name].data()) as Float32Array)) };
  } finally {
    tf.dispose([x, r, value, logits, ...Object.values(grads)]);
  }
}

function batch(n: number, rng: Rng): Batch {
  return { x: new Float32Array(n * 8 * 8 * 3).map(() => rng.normal()), y: Int32Array.from({ length: n }, () => rng.int(3)), n, shape: [n, 8, 8, 3] };
}

describe('supernet and derived network on webgpu', () => {
  let skip: string | undefined;
  test('activate webgpu', async (t) => {
    skip = await useBackend('webgpu');
    if (skip) t.skip(skip);
    else assert.equal(tf.getBackend(), 'webgpu');
  });

  for (const [label, binarize, lambda = 1] of CONFIGS) {
    const real = binarize.activations === 'real';
    test(`${label}: same logits and gradients as the op-by-op reference${real ? ', on webgpu and on cpu' : ''}`, async (t) => {
      if (skip) return t.skip(skip);
      const space = tinySpace({ ops: OPS, binarize, supernet: { cells: 2, reductions: [1], channels: 4, nodes: 2, stemMultiplier: 2 } });
      const xs = Float32Array.from(randomArr([2, 8, 8, 3], 1).data);
      const rs = Float32Array.from(randomArr([2, 3], 2).data);
      // Binary networks amplify the backends' float32 rounding through their batch norms, so the
      // cross-backend comparison is made on the real-valued one.
      for (const refBackend of real ? (['webgpu', 'cpu'] as const) : (['webgpu'] as const)) {
        await useBackend(refBackend);
        const ref = new OpByOpSupernet(space, options);
        ref.binaryShare = lambda;
        const names = ref.weights.names().filter((n) => ref.weights.get(n).trainable);
        const a = await gradients(ref, xs, rs, names);
        ref.dispose();
        await useBackend('webgpu');
        const net = new Supernet(space, options);
        net.binaryShare = lambda;
        try {
          const b = await gradients(net, xs, rs, names);
          assert.ok(relError(b.logits, a.logits) < 1e-4, `logits against ${refBackend}: ${relError(b.logits, a.logits)}`);
          const labels = [...names, ...net.arch.names()];
          b.grads.forEach((g, i) => assert.ok(relError(g, a.grads[i]) < 2e-3, `gradient of ${labels[i]} against ${refBackend}: ${relError(g, a.grads[i])}`));
        } finally {
          net.dispose();
        }
      }
    });
  }

  test('search steps (architecture, weights, single-path evaluation) leak no tensor and stay finite', async (t) => {
    if (skip) return t.skip(skip);
    await useBackend('webgpu');
    const space = tinySpace({ ops: OPS });
    const net = new Supernet(space, options);
    const trainer = new Trainer(net, space, 3);
    const rng = new Rng(6);
    try {
      await assertNoLeak(async () => {
        const a = await trainer.archStep(batch(4, rng), 0);
        const w = await trainer.weightStep(batch(4, rng), 0.01);
        const e = await trainer.evaluate(batch(4, rng), { normal: [1, 4, 5, 2, 3], reduce: [5, 1, 3, 4, 2] });
        for (const s of [a, w, e]) assert.ok(Number.isFinite(s.loss), `loss ${s.loss}`);
      }, 3, { warmup: 1 });
    } finally {
      trainer.dispose();
      net.dispose();
    }
  });

  test('derived-network training steps leak no tensor and lower the loss on a repeated batch', async (t) => {
    if (skip) return t.skip(skip);
    await useBackend('webgpu');
    const space = tinySpace({ ops: OPS });
    const net = new DiscreteNetwork(space, randomGenotype(space, new Rng(3)), options);
    const opt = new Optimizer({ ...space.optimizers.weights, gradClip: 5 }, 'opt.test');
    const b = batch(8, new Rng(7));
    const losses: number[] = [];
    try {
      await assertNoLeak(async () => losses.push((await trainStep(net, opt, b, 0.05, 3)).loss), 6, { warmup: 1 });
      assert.ok(losses[losses.length - 1] < losses[0], `loss ${losses[0]} → ${losses[losses.length - 1]}`);
    } finally {
      opt.dispose();
      net.dispose();
      releaseBackend();
    }
  });
});
