// Parity of the exported PyTorch network with the runtime's evaluation network (discrete.ts): with
// the same weights (batch-norm terms and running statistics perturbed so they matter), the logits
// in inference mode agree within 1e-4, and so do one training step's loss, gradients of every
// weight (the straight-through estimators included) and the updated running statistics. Odd sizes
// (10 → 5 → 3) exercise TensorFlow's asymmetric 'same' padding and the factorized reduce's padding.
// Then the exported network trains: its loss falls within a few dozen steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { BinarizeSpec, SearchSpace } from '../../../runtime/dsl/space.js';
import { Rng } from '../../../runtime/random/rng.js';
import { exportPytorch } from '../../../runtime/export/pytorch.js';
import { encodeSafetensors, runtimeTensors, type NamedTensor } from '../../../runtime/export/weights.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';
import { crossEntropy, gradsOf } from '../../../runtime/search/trainer.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';
import { powerOfTwoFilter } from '../engine/reference.js';
import { findTorchPython, needs, torchCheck } from './python.js';

const dir = mkdtempSync(join(tmpdir(), 'bnas-parity-'));
const [H, W, C, CLASSES, BATCH] = [10, 10, 3, 5, 4];

function customOps(binarize: BinarizeSpec): SearchSpace {
  const { space } = loadSearchSpace(readFileSync('examples/custom-ops.bnas', 'utf8'));
  assert.ok(space);
  return { ...space, data: { ...space.data, image: H }, binarize };
}

/** Every op of custom-ops.bnas, plus built-ins outside the space (conv_3x3, avg_pool_3x3, dil_conv_3x3). */
const GENOTYPE: Genotype = {
  normal: [['sep_conv_3x3', 0], ['wide_dil', 1], ['double_pointwise', 0], ['big_pool', 2], ['skip_connect', 1], ['conv_3x3', 3]],
  normal_concat: [2, 3, 4],
  reduce: [['skip_connect', 0], ['avg_pool_3x3', 1], ['wide_dil', 0], ['double_pointwise', 2], ['dil_conv_3x3', 1], ['none', 3]],
  reduce_concat: [3, 4],
};

const tensor = (name: string, t: tf.Tensor): NamedTensor => ({ name, shape: t.shape, data: Float32Array.from(t.dataSync()) });

/** Writes model.py, the weights and the runtime's results on a fixed batch; returns their paths. */
async function fixture(space: SearchSpace, label: string): Promise<[string, string, string]> {
  const net = new DiscreteNetwork(space, GENOTYPE, { input: [H, W, C], numClasses: CLASSES, seed: 7 });
  const rng = new Rng(100);
  const { weights: wq, activations, scale } = space.binarize;
  try {
    tf.tidy(() => {
      for (const [index, name] of net.weights.names().entries()) {
        const v = net.weights.get(name);
        const noise = () => tf.tensor(Array.from({ length: v.size }, () => rng.normal()), v.shape);
        if (wq === 'xnor' && activations === 'sign' && (v.rank === 4 || name === 'classifier.w')) v.assign(powerOfTwoFilter(name, v.shape, index, scale, () => (rng.normal() < 0 ? -1 : 1)));
        else if (name.endsWith('.gamma')) v.assign(tf.add(1, tf.mul(0.2, noise())));
        else if (name.endsWith('.beta') || name.endsWith('.runningMean')) v.assign(tf.mul(0.2, noise()));
        else if (name.endsWith('.runningVar')) v.assign(tf.add(1, tf.mul(0.3, tf.abs(noise()))));
      }
    });
    const weights = join(dir, `${label}.safetensors`);
    writeFileSync(weights, encodeSafetensors(await runtimeTensors(net.weights)));
    const out: NamedTensor[] = [];
    {
      const x = tf.tensor4d(Array.from({ length: BATCH * H * W * C }, () => rng.normal()), [BATCH, H, W, C]);
      const labels = tf.tensor1d([0, 1, 2, 4], 'int32');
      const onehot = tf.tidy(() => tf.oneHot(labels, CLASSES).toFloat() as tf.Tensor2D);
      const logits = tf.tidy(() => net.forward(x, false));
      out.push(tensor('x', x), tensor('labels', labels), tensor('logits', logits));
      const vars = new Map(Object.entries(net.weights.trainableMap()));
      const r = await gradsOf(vars, () => {
        const logits = net.forward(x, true);
        return { loss: crossEntropy(logits, onehot), logits };
      }, labels);
      out.push({ name: 'loss', shape: [1], data: Float32Array.from([r.loss]) });
      for (const [name, g] of r.grads) out.push(tensor(`grad.${name}`, g));
      tf.dispose([...r.grads.values(), x, labels, onehot, logits]);
    }
    for (const t of await runtimeTensors(net.weights)) if (/\.running(Mean|Var)$/.test(t.name)) out.push({ ...t, name: `after.${t.name}` });
    const results = join(dir, `${label}.fixture.safetensors`);
    writeFileSync(results, encodeSafetensors(out));
    const model = join(dir, `${label}.py`);
    writeFileSync(model, exportPytorch(space, GENOTYPE, { input: [C, H, W], numClasses: CLASSES }));
    return [model, weights, results];
  } finally {
    net.dispose();
  }
}

const CASES: [string, BinarizeSpec][] = [
  ['xnor per channel, sign, keep_real stem/preprocess/classifier', { weights: 'xnor', scale: 'channel', activations: 'sign', keepReal: ['stem', 'preprocess', 'classifier'] }],
  ['xnor per layer, sign, nothing kept real', { weights: 'xnor', scale: 'layer', activations: 'sign', keepReal: [] }],
  ['xnor per channel, real activations', { weights: 'xnor', scale: 'channel', activations: 'real', keepReal: [] }],
  ['sign weights, real activations', { weights: 'sign', scale: 'layer', activations: 'real', keepReal: ['classifier'] }],
  ['float', { weights: 'none', scale: 'layer', activations: 'real', keepReal: [] }],
  ['xnor per channel, real activations, identity shortcut', { weights: 'xnor', scale: 'channel', activations: 'real', keepReal: [], shortcut: true }],
];

for (const [i, [label, binarize]] of CASES.entries()) {
  test(`parity with the runtime (${label}): logits in inference, one training step's gradients`, async (t) => {
    const python = findTorchPython();
    if (!needs(t, python, 'PyTorch')) return;
    const [model, weights, results] = await fixture(customOps(binarize), `case${i}`);
    const r = torchCheck(python, 'parity', model, weights, results) as Record<string, number> & { grads_missing: string[] };
    t.diagnostic(JSON.stringify(r));
    // Unscaled sign weights grow the logits to ~1e8: there the bound is relative.
    assert.ok(r.logits <= 1e-4 * Math.max(1, r.logits_scale), `logits differ by ${r.logits} (largest logit ${r.logits_scale})`);
    assert.ok(r.loss <= 1e-5 * Math.max(1, r.logits_scale), `loss differs by ${r.loss}`);
    assert.deepEqual(r.grads_missing, [], 'every weight has a runtime gradient');
    assert.ok(r.grads_count > 20, String(r.grads_count));
    assert.ok(r.grads_scale > 0);
    assert.ok(r.grads <= 1e-4 * Math.max(1, r.grads_scale), `gradient of ${r.grads_worst} differs by ${r.grads} (largest gradient ${r.grads_scale})`);
    assert.ok(r.running_count > 20, String(r.running_count));
    assert.ok(r.running <= 1e-5, `running statistics differ by ${r.running} (relative)`);
  });
}

test('the exported network trains: its loss falls within a few dozen steps', async (t) => {
  const python = findTorchPython();
  if (!needs(t, python, 'PyTorch')) return;
  const model = join(dir, 'train.py');
  writeFileSync(model, exportPytorch(customOps(CASES[0][1]), GENOTYPE, { input: [C, H, W], numClasses: CLASSES }));
  const { losses } = torchCheck(python, 'train', model, '40') as { losses: number[] };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(losses.slice(0, 5));
  const last = mean(losses.slice(-5));
  t.diagnostic(`mean loss of the first 5 steps ${first.toFixed(3)}, of the last 5 ${last.toFixed(3)}`);
  assert.ok(losses.every(Number.isFinite));
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
});

test('the file\'s __main__: trains, prints the test accuracy, saves weights that load_weights reads', (t) => {
  const python = findTorchPython();
  if (!needs(t, python, 'PyTorch')) return;
  const model = join(dir, 'main.py');
  writeFileSync(model, exportPytorch(customOps(CASES[0][1]), GENOTYPE, { input: [C, 12, 12], numClasses: CLASSES }));
  const out = torchCheck(python, 'main', model, mkdtempSync(join(dir, 'main-'))) as { stdout: string; parameters: number };
  assert.match(out.stdout, /epoch 1\/2: loss \d+\.\d+, train acc/);
  assert.match(out.stdout, /epoch 2\/2: loss \d+\.\d+/);
  assert.match(out.stdout, /test accuracy \d+\.\d\d%/);
  assert.ok(out.parameters > 0);
});
