/**
 * A tiny network of engine ops (real stem, binary sep_conv and dil_conv, pools, BN, skip) trains:
 * its loss falls on a fixed batch within a few dozen steps; and no tensor leaks over many steps.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildCandidateOp, candidateSpecOf, type CandidateOp } from './reference/candidate-ops.js';
import { conv2d } from '../../../runtime/engine/conv.js';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { batchNorm } from '../../../runtime/engine/norm.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import type { BinarizeOptions } from '../../../runtime/engine/quantize.js';
import { useBackend } from './backends.js';
import { randomArr } from './reference.js';

const CLASSES = 4;
const C = 8;

class TinyNet {
  readonly store = new ParamStore(11);
  private readonly ops: CandidateOp[];

  constructor(bin: BinarizeOptions) {
    this.store.create('stem', [3, 3, 3, C]);
    this.store.create('fc.w', [C, CLASSES]);
    this.store.create('fc.b', [CLASSES], 'zeros');
    const o = { store: this.store, channels: C, binarize: bin };
    this.ops = [
      buildCandidateOp(candidateSpecOf('sep_conv_3x3'), { ...o, prefix: 'a', stride: 1 }),
      buildCandidateOp(candidateSpecOf('max_pool_3x3'), { ...o, prefix: 'p', stride: 2 }),
      buildCandidateOp(candidateSpecOf('dil_conv_3x3'), { ...o, prefix: 'd', stride: 1 }),
      buildCandidateOp(candidateSpecOf('skip_connect'), { ...o, prefix: 's', stride: 2 }),
    ];
  }

  /** @param x [B, 8, 8, 3] float32; @returns logits [B, CLASSES] */
  logits(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = batchNorm(conv2d(x, this.store.get('stem') as tf.Tensor4D, 1));
      h = tf.add(h, this.ops[0].apply(h));
      h = this.ops[1].apply(h);
      h = tf.add(h, this.ops[2].apply(h));
      h = this.ops[3].apply(h);
      const pooled = tf.mean(h, [1, 2]);
      return tf.add(tf.matMul(pooled, this.store.get('fc.w') as tf.Tensor2D), this.store.get('fc.b'));
    });
  }
}

function batch(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = randomArr([16, 8, 8, 3], 123);
  const labels = Array.from({ length: 16 }, (_, i) => i % CLASSES);
  return {
    x: tf.tensor4d(Float32Array.from(x.data), [16, 8, 8, 3]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES).toFloat() as tf.Tensor2D,
  };
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`a tiny network trains on ${backend}`, () => {
    for (const [label, bin] of [
      ['binary weights (xnor)', { weights: 'xnor', scale: 'channel', activations: 'real' }],
      ['fully binary (xnor + sign)', { weights: 'xnor', scale: 'layer', activations: 'sign' }],
    ] as [string, BinarizeOptions][]) {
      test(`${label}: loss falls on a fixed batch within 40 steps, no tensor leak`, async () => {
        await useBackend(backend);
        const net = new TinyNet(bin);
        const { x, y } = batch();
        const opt = tf.train.adam(0.02);
        const losses: number[] = [];
        const step = (): void => {
          const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.logits(x)) as tf.Scalar, true, net.store.trainable());
          losses.push((loss as tf.Scalar).dataSync()[0]);
          loss?.dispose();
        };
        await assertNoLeak(step, 39, { warmup: 1 });
        assert.ok(losses.every(Number.isFinite), 'finite losses');
        assert.ok(losses[39] < 0.5 * losses[0], `loss ${losses[0].toFixed(3)} → ${losses[39].toFixed(3)}`);
        opt.dispose();
        x.dispose();
        y.dispose();
        net.store.dispose();
      });
    }
  });
}

test('assertNoLeak reports a leaking step', async () => {
  const kept: tf.Tensor[] = [];
  await assert.rejects(assertNoLeak(() => kept.push(tf.ones([2])), 3), /tensor leak: .* \(1\.0 per step\)/);
  kept.forEach((t) => t.dispose());
});
