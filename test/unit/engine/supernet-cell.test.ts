/**
 * The supernet computes the same thing with the engine's FusedCell as the test reference that runs
 * every op of its op table on its own (reference/op-cell.ts): the same weight names (so the same seed gives the same weights, and
 * checkpoints and pruned prefixes carry over), and the logits and the gradients of every weight,
 * α and β agree, in normal and reduction cells (stride-2 edges,
 * factorized reduce, bypass pooling), binary and real. If the op table changes what its ops
 * compute, this test says so: the fused cell has to follow.
 *
 * XNOR weights with sign activations (the language's default) run on power-of-two scales
 * (reference.ts, powerOfTwoFilter): with other scales a conv output that is exactly 0 in exact
 * arithmetic comes out as 0 or ±1 ulp depending on the order of the float additions, the next
 * sign turns that into ±1, and the two paths part by about 1e-2 in the logits without either
 * being wrong.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { OpByOpSupernet } from './reference/op-cell.js';
import { ALL_KIND_OPS, tinySpace } from '../supernet/helpers.js';
import { useBackend } from './backends.js';
import { powerOfTwoFilter, randomArr, relError } from './reference.js';

const OPS = ALL_KIND_OPS;

function gradients(net: Supernet, x: tf.Tensor4D, r: tf.Tensor2D, names: string[]) {
  return tf.tidy(() => {
    const vars = [...names.map((n) => net.weights.get(n)), ...net.arch.trainable()];
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net.forward(x, true), r)) as tf.Scalar, vars);
    return { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].dataSync()), logits: net.forward(x, true).dataSync() };
  });
}

/** Gives both networks the same power-of-two-scaled binary filters (the stem stays real). */
function exactScales(nets: Supernet[], binarize: SearchSpace['binarize']): void {
  const [first] = nets;
  let index = 0;
  for (const name of first.weights.names()) {
    const v = first.weights.get(name);
    if (v.rank !== 4 || name.startsWith('stem')) continue;
    const init = v.dataSync();
    const w = powerOfTwoFilter(name, v.shape, index++, binarize.scale, (i) => (init[i] < 0 ? -1 : 1), true);
    nets.forEach((net) => net.weights.get(name).assign(w));
    w.dispose();
  }
}

/** Label, quantizers, and λ of progressive binarization (1 when absent). */
const CONFIGS: [string, SearchSpace['binarize'], number?][] = [
  ['the default (xnor weights per layer, sign activations)', { weights: 'xnor', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'] }],
  ['xnor weights per channel, sign activations', { weights: 'xnor', scale: 'channel', activations: 'sign', keepReal: ['stem', 'classifier'] }],
  ['binary (sign weights, sign activations)', { weights: 'sign', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'] }],
  ['xnor weights per channel, real activations', { weights: 'xnor', scale: 'channel', activations: 'real', keepReal: ['stem', 'classifier'] }],
  ['binary with the identity shortcut around stride-1 convs', { weights: 'sign', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'], shortcut: true }],
  ['binary with the shortcut and a learned gain on the conv branch', { weights: 'sign', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'], shortcut: true, shortcutGain: 0.5 }],
  ['progressive binarization at λ = 0.4 (xnor per channel, sign activations, binary pre-processing)', { weights: 'xnor', scale: 'channel', activations: 'sign', keepReal: ['stem', 'classifier'], progressive: 2 }, 0.4],
  ['progressive binarization at λ = 0.7 with the shortcut (sign weights)', { weights: 'sign', scale: 'layer', activations: 'sign', keepReal: ['stem', 'classifier'], shortcut: true }, 0.7],
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`supernet fused cell on ${backend}`, () => {
    for (const [label, binarize, lambda = 1] of CONFIGS) {
      test(`${label}: same logits and gradients as op by op`, async () => {
        await useBackend(backend);
        const space = tinySpace({ ops: OPS, binarize, supernet: { cells: 2, reductions: [1], channels: 4, nodes: 2, stemMultiplier: 2 } });
        const options = { input: [8, 8, 3] as const, numClasses: 3, seed: 4 };
        const ref = new OpByOpSupernet(space, options);
        const net = new Supernet(space, options);
        ref.binaryShare = lambda;
        net.binaryShare = lambda;
        try {
          const names = net.weights.names().filter((n) => net.weights.get(n).trainable);
          assert.deepEqual([...names].sort(), ref.weights.names().filter((n) => ref.weights.get(n).trainable).sort(), 'same weight names');
          names.forEach((n) => assert.deepEqual(net.weights.get(n).dataSync(), ref.weights.get(n).dataSync(), `same initial ${n}`));
          if (binarize.weights === 'xnor' && binarize.activations === 'sign' && lambda === 1) exactScales([net, ref], binarize);
          assert.equal(net.computedOps(), ref.computedOps());
          const x = tf.tensor4d(Float32Array.from(randomArr([2, 8, 8, 3], 1).data), [2, 8, 8, 3]);
          const r = tf.tensor2d(Float32Array.from(randomArr([2, 3], 2).data), [2, 3]);
          const a = gradients(ref, x, r, names);
          const b = gradients(net, x, r, names);
          assert.ok(relError(b.logits, a.logits) < 1e-4, `logits ${relError(b.logits, a.logits)}`);
          const labels = [...names, ...net.arch.names()];
          b.grads.forEach((g, i) => assert.ok(relError(g, a.grads[i]) < 2e-3, `gradient of ${labels[i]}: ${relError(g, a.grads[i])}`));
          // Pruning and single paths keep agreeing.
          for (const [e, o] of [[0, 4], [2, 2], [4, 6]]) {
            for (const kind of ['normal', 'reduce'] as const) assert.deepEqual(net.prune(kind, e, o), ref.prune(kind, e, o), 'same pruned prefixes');
          }
          assert.deepEqual(net.weights.names().sort(), ref.weights.names().sort(), 'same weights left after pruning');
          assert.equal(net.computedOps(), ref.computedOps());
          const path = { normal: [1, 4, 5, 2, 3], reduce: [5, 1, 3, 4, 2] };
          const pa = tf.tidy(() => ref.forward(x, true, path).dataSync());
          const pb = tf.tidy(() => net.forward(x, true, path).dataSync());
          assert.ok(relError(pb, pa) < 1e-4, `single path ${relError(pb, pa)}`);
          tf.dispose([x, r]);
        } finally {
          ref.dispose();
          net.dispose();
        }
      });
    }
  });
}
