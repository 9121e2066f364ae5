/**
 * The parent guide's term (runtime/search/guide.ts): KL(p ‖ softmax(α)) and its gradient on α
 * against a hand computation, pruned ops left out of both; the weight schedule; the parent space
 * is full precision without pruning; a trainer adds exactly w·(softmax(α) − p) to α's gradient,
 * nothing without a guide or at weight 0, and leaves no tensor behind.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/index.js';
import { guideKl, guideWeight, parentSpace } from '../../../runtime/search/guide.js';
import { Trainer } from '../../../runtime/search/trainer.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { CELL_KINDS } from '../../../runtime/protocol/genotype.js';
import type { NamedGrads } from '../../../runtime/search/optimizers.js';
import { tinySpace } from '../supernet/helpers.js';

before(() => initBackend('wasm'));

const softmax = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

/** KL(p ‖ q) and ∂/∂α by hand: p restricted to alive ops and renormalized, q = softmax over alive ops. */
function byHand(alpha: number[][], alive: boolean[][], parent: number[][]): { kl: number; grad: number[][] } {
  let kl = 0;
  const grad = alpha.map((row, e) => {
    const idx = row.map((_, o) => o).filter((o) => alive[e][o]);
    const q = softmax(idx.map((o) => row[o]));
    const mass = idx.reduce((s, o) => s + parent[e][o], 0);
    const p = idx.map((o) => parent[e][o] / mass);
    idx.forEach((_, i) => (kl += p[i] * (Math.log(p[i]) - Math.log(q[i]))));
    const g = row.map(() => 0);
    idx.forEach((o, i) => (g[o] = q[i] - p[i]));
    return g;
  });
  return { kl, grad };
}

const close = (a: number[][], b: number[][], tol: number) =>
  a.forEach((row, e) => row.forEach((x, o) => assert.ok(Math.abs(x - b[e][o]) < tol, `[${e}][${o}]: ${x} vs ${b[e][o]}`)));

describe('guide term', () => {
  it('KL and its gradient match the hand computation, with a pruned op', () => {
    const alpha = [[0.3, -0.2, 0.1], [0.5, 0.4, -1.0]];
    const alive = [[true, true, true], [true, false, true]];
    const parent = [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]];
    const want = byHand(alpha, alive, parent);
    const v = tf.variable(tf.tensor2d(alpha));
    const mask = tf.tensor2d(alive.map((r) => r.map((a) => (a ? 0 : -1e9))));
    const p = tf.tensor2d(parent);
    const { value, grads } = tf.variableGrads(() => guideKl(v, mask, p), [v]);
    assert.ok(Math.abs(value.dataSync()[0] - want.kl) < 1e-6, `${value.dataSync()[0]} vs ${want.kl}`);
    close(grads[v.name].arraySync() as number[][], want.grad, 1e-6);
    assert.equal((grads[v.name].arraySync() as number[][])[1][1], 0, 'a pruned op gets no gradient');
    tf.dispose([v, mask, p, value, ...Object.values(grads)]);
  });

  it('KL is 0 when the search already has the parent distribution', () => {
    const parent = [softmax([1, 2, 0.5])];
    const kl = tf.tidy(() => guideKl(tf.tensor2d([[1, 2, 0.5]]), tf.zeros([1, 3]) as tf.Tensor2D, tf.tensor2d(parent)).dataSync()[0]);
    assert.ok(Math.abs(kl) < 1e-6);
  });

  it('weight: linear from w in the first architecture epoch, constant with decay none, 0 without a guide', () => {
    const space = tinySpace({ train: { epochs: 5, warmup: 1 } });
    const g = { parent: 'real', epochs: 3, weight: 2, decay: 'linear' } as const;
    // 0-based epochs 1..4 are the architecture epochs.
    assert.deepEqual([1, 2, 3, 4].map((e) => guideWeight({ ...space, guide: g }, e)), [2, 1.5, 1, 0.5]);
    assert.deepEqual([1, 4].map((e) => guideWeight({ ...space, guide: { ...g, decay: 'none' } }, e)), [2, 2]);
    assert.equal(guideWeight(space, 1), 0);
    assert.equal(guideWeight({ ...space, guide: { ...g, weight: 0 } }, 1), 0);
  });

  it('the parent space is the same search at full precision, guide.epochs long, without pruning or guide', () => {
    const space = { ...tinySpace({ train: { epochs: 5, warmup: 1 } }), guide: { parent: 'real', epochs: 3, weight: 1, decay: 'linear' } as const };
    const p = parentSpace(space);
    assert.equal(p.binarize.weights, 'none');
    assert.equal(p.binarize.activations, 'real');
    assert.equal(p.pruning.criterion, 'none');
    assert.equal(p.train.epochs, 3);
    assert.equal(p.guide, undefined);
    const { guide: _guide, ...rest } = space;
    assert.deepEqual({ ...p, binarize: space.binarize, pruning: space.pruning, train: space.train }, rest);
  });
});

describe('trainer with a guide', () => {
  // SGD with lr 1 and no momentum or decay: the α update is minus the gradient it was given.
  const sgd = { kind: 'sgd', lr: 1, momentum: 0, weightDecay: 0, betas: [0.5, 0.999], schedule: 'constant' } as const;
  const guide = { parent: 'real', epochs: 2, weight: 0.5, decay: 'linear' } as const;

  /** α after one applyArchGrads with zero data gradients at 0-based epoch `epoch`; and the tensors left. */
  function step(withGuide: boolean, weight: number, epoch: number) {
    const space = { ...tinySpace({ train: { epochs: 4, warmup: 1 }, optimizers: { arch: sgd } as never }), guide: { ...guide, weight } };
    const net = new Supernet(space, { input: [8, 8, 3], numClasses: 4, seed: 5 });
    // A pruned op on each cell kind's first edge: the guide skips it.
    net.prune('normal', 0, 2);
    net.prune('reduce', 0, 1);
    const trainer = new Trainer(net, space, 4);
    const parent = Object.fromEntries(CELL_KINDS.map((k) => [k, net.alive[k].map((row, e) => softmax(row.map((_, o) => Math.sin(3 * e + o))))])) as Record<'normal' | 'reduce', number[][]>;
    if (withGuide) trainer.guideBy(parent);
    const before = Object.fromEntries(CELL_KINDS.map((k) => [k, net.arch.get(`alpha.${k}`).arraySync() as number[][]]));
    const tensors = tf.memory().numTensors;
    const grads: NamedGrads = new Map(net.arch.names().map((n) => [n, tf.zerosLike(net.arch.get(n))]));
    trainer.applyArchGrads(grads, epoch);
    const left = tf.memory().numTensors - tensors;
    const after = Object.fromEntries(CELL_KINDS.map((k) => [k, net.arch.get(`alpha.${k}`).arraySync() as number[][]]));
    const alive = { normal: net.alive.normal.map((r) => [...r]), reduce: net.alive.reduce.map((r) => [...r]) };
    trainer.dispose();
    net.dispose();
    return { before, after, parent, alive, left };
  }

  it('adds w·(softmax(α) − p) to α, w from the schedule', () => {
    // Epoch 2 (0-based) of 4 with warm-up 1: w = 0.5·(1 − 1/3).
    const r = step(true, 0.5, 2);
    const w = 0.5 * (1 - 1 / 3);
    for (const k of CELL_KINDS) {
      const { grad } = byHand(r.before[k], r.alive[k], r.parent[k]);
      close(r.after[k], r.before[k].map((row, e) => row.map((a, o) => a - w * grad[e][o])), 1e-6);
    }
    assert.ok(r.left <= 0, `${r.left} tensors left`);
  });

  it('changes nothing without a guide or at weight 0', () => {
    for (const r of [step(false, 0.5, 2), step(true, 0, 2)]) {
      for (const k of CELL_KINDS) assert.deepEqual(r.after[k], r.before[k]);
    }
  });
});
