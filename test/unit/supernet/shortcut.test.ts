/**
 * `binarize { shortcut = true }`: every stride-1 conv op of the op table computes x + op(x), the
 * same weights as without it; pools, skips and strided ops are untouched; the derived network
 * built from a space with the shortcut has the same parameters and a different function.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/backend.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import { takesShortcut, type OpSpec, type SearchSpace } from '../../../runtime/dsl/space.js';
import { buildOp } from '../../../runtime/supernet/candidate-ops.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';
import { SEARCH_BN } from '../../../runtime/supernet/supernet.js';
import { tinySpace } from './helpers.js';

const op = (name: string, kind: OpSpec['kind'], kernel = 3, dilation = 1): OpSpec => ({ name, kind, kernel, dilation, repeat: 1, builtin: true });
const BIN = { weights: 'xnor', scale: 'layer', activations: 'sign' } as const;

test('the shortcut adds the op input to stride-1 conv ops only', async () => {
  await initBackend('cpu');
  const x = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
  for (const spec of [op('sep_conv_3x3', 'sep_conv'), op('dil_conv_3x3', 'dil_conv', 3, 2), op('conv_3x3', 'conv'), op('max_pool_3x3', 'max_pool'), op('skip_connect', 'skip', 1)]) {
    for (const stride of [1, 2] as const) {
      const store = new ParamStore(7);
      const ctx = { store, prefix: 'e.', channels: 4, stride, binarize: BIN, bn: SEARCH_BN };
      const plain = buildOp(spec, ctx);
      const names = store.names();
      const withShortcut = buildOp(spec, { ...ctx, store: new ParamStore(7), shortcut: true });
      assert.ok(plain && withShortcut);
      const expected = takesShortcut(spec.kind, stride);
      assert.equal(expected, stride === 1 && ['sep_conv', 'dil_conv', 'conv'].includes(spec.kind));
      const diff = tf.tidy(() => {
        const a = plain.apply(x, true);
        const b = withShortcut.apply(x, true);
        return (expected ? tf.sub(b, tf.add(x, a)) : tf.sub(b, a)).abs().max().dataSync()[0];
      });
      assert.ok(diff < 1e-5, `${spec.name} stride ${stride}: ${diff}`);
      assert.ok(names.length > 0 || ['max_pool', 'skip'].includes(spec.kind), 'conv ops own weights');
    }
  }
  x.dispose();
});

test('a derived network with the shortcut has the same weights and computes something else', async () => {
  await initBackend('cpu');
  const ops = [op('sep_conv_3x3', 'sep_conv'), op('skip_connect', 'skip', 1), op('max_pool_3x3', 'max_pool')];
  const genotype = {
    normal: [['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['skip_connect', 0], ['sep_conv_3x3', 2]] as [string, number][],
    normal_concat: [2, 3],
    reduce: [['max_pool_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 2], ['skip_connect', 0]] as [string, number][],
    reduce_concat: [2, 3],
  };
  const base: Partial<SearchSpace> = { ops, supernet: { cells: 2, reductions: [1], channels: 4, nodes: 2, stemMultiplier: 2 } };
  const plainSpace = tinySpace(base);
  const shortSpace = tinySpace({ ...base, binarize: { ...plainSpace.binarize, shortcut: true } });
  const options = { input: [8, 8, 3] as [number, number, number], numClasses: 3, seed: 5 };
  const plain = new DiscreteNetwork(plainSpace, genotype, options);
  const short = new DiscreteNetwork(shortSpace, genotype, options);
  try {
    assert.equal(short.parameterCount(), plain.parameterCount());
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const d = tf.tidy(() => tf.sub(short.forward(x, false), plain.forward(x, false)).abs().max().dataSync()[0]);
    assert.ok(d > 1e-3, `the shortcut changes the function (${d})`);
    for (const net of [plain, short]) {
      tf.tidy(() => void net.forward(x, true));
      const before = tf.memory().numTensors;
      tf.tidy(() => void net.forward(x, true));
      assert.equal(tf.memory().numTensors, before, `no tensor leak (${net === plain ? 'without' : 'with'} the shortcut)`);
    }
    x.dispose();
  } finally {
    plain.dispose();
    short.dispose();
  }
});

test('a shortcut gain starting at 0 makes every shortcut conv op of the supernet start as skip_connect, and training moves the gain', async () => {
  await initBackend('cpu');
  const { Supernet } = await import('../../../runtime/supernet/supernet.js');
  const ops = [op('sep_conv_3x3', 'sep_conv'), op('conv_3x3', 'conv'), op('dil_conv_3x3', 'dil_conv', 3, 2), op('skip_connect', 'skip', 1), op('max_pool_3x3', 'max_pool')];
  const base = tinySpace({ ops, supernet: { cells: 2, reductions: [1], channels: 4, nodes: 2, stemMultiplier: 2 } });
  const gained = tinySpace({ ops, supernet: base.supernet, binarize: { ...base.binarize, shortcut: true, shortcutGain: 0 } });
  const options = { input: [8, 8, 3] as [number, number, number], numClasses: 3, seed: 5 };
  const net = new Supernet(gained, options);
  try {
    const gains = net.weights.names().filter((n) => n.endsWith('.gain'));
    // Normal cell: 5 edges × 3 conv ops; reduction cell: only its one stride-1 edge (node 0 → node 1).
    assert.equal(gains.length, 5 * 3 + 3, gains.join(' '));
    gains.forEach((n) => assert.equal(net.weights.get(n).dataSync()[0], 0));
    // Every conv op alone on its edge computes what skip_connect alone computes.
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const onlyOp = (o: number) => ({ normal: Array(5).fill(o), reduce: [3, 3, 3, 3, o] });
    const skip = tf.tidy(() => net.forward(x, true, onlyOp(3)).dataSync());
    for (const o of [0, 1, 2]) {
      const y = tf.tidy(() => net.forward(x, true, onlyOp(o)).dataSync());
      assert.ok(y.every((v, i) => Math.abs(v - skip[i]) < 1e-4), `${ops[o].name} with gain 0 is skip_connect`);
    }
    // The gain gets a gradient: the conv branch can grow from 0.
    const grads = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot([0, 2], 3), net.forward(x, true) as tf.Tensor2D) as tf.Scalar, gains.map((n) => net.weights.get(n)));
      return gains.map((n) => Math.abs(grads[net.weights.get(n).name].dataSync()[0]));
    });
    assert.ok(grads.some((g) => g > 1e-6), `some gain has a gradient (${grads.join(', ')})`);
    x.dispose();
  } finally {
    net.dispose();
  }
});
