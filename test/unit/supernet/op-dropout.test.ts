/**
 * `regularize { dropout, dropout_ops, dropout_decay }`: inverted dropout on the outputs of
 * parameter-free ops during the search's weight and architecture steps (docs/method.md,
 * "Collapse"). The covered ops' outputs are zeroed or scaled by 1/(1 − p), conv ops are never
 * touched, the masks follow the seed, evaluation and pruning's probes never drop, the rate
 * follows P-DARTS's schedule, the schema rejects bad values, and no tensor is left behind.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../runtime/engine/index.js';
import { FusedCell } from '../../../runtime/engine/fused-cell.js';
import { ParamStore } from '../../../runtime/engine/params.js';
import { loadDataset, type Dataset } from '../../../runtime/data/index.js';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { dropoutCovers, Supernet } from '../../../runtime/supernet/supernet.js';
import { dropoutRate, Trainer } from '../../../runtime/search/trainer.js';
import { Optimizer } from '../../../runtime/search/optimizers.js';
import { evaluatePath, probeLosses } from '../../../runtime/search/replica-protocol.js';
import { tinySpace } from './helpers.js';

const BIN = { weights: 'xnor', scale: 'layer', activations: 'sign' } as const;
const C = 4;

before(async () => {
  await initBackend('wasm');
});

/** A one-node fused cell (edges from s0 and s1, K = 1) over the tiny space's ops: none, skip, max pool, sep conv. */
function oneNodeCell(space: SearchSpace): FusedCell {
  const entries = space.ops.map((o) => ({ name: o.name, kind: o.kind, kernel: o.kernel, dilation: o.dilation, repeat: o.repeat }));
  return new FusedCell(entries, {
    store: new ParamStore(4),
    channels: C,
    nodes: 1,
    k: 1,
    shuffle: false,
    reduction: false,
    binarize: BIN,
    naming: { opPrefix: (e, o) => `e${e}.o${o}.`, filter: (e, o, half, kind) => `e${e}.o${o}.${half}.${kind}`, gain: (e, o) => `e${e}.o${o}.gain` },
    buildOther: () => {
      throw new Error('no other ops in this cell');
    },
    dropoutCovers: (o, stride) => dropoutCovers(space, o, stride),
  });
}

/** The cell's output with every edge on op `o` (weight 1), with and without dropout. */
function outputs(cell: FusedCell, o: number, rate: number, seed = 'seed'): { plain: Float32Array; dropped: Float32Array } {
  return tf.tidy(() => {
    // s1 = 0: only the edge from s0 contributes (a pool or skip of zeros is zero after batch norm).
    const s0 = tf.randomUniform([2, 6, 6, C], 1, 2, 'float32', 7) as tf.Tensor4D;
    const s1 = tf.zeros([2, 6, 6, C]) as tf.Tensor4D;
    const w = tf.oneHot(tf.tensor1d([o, o], 'int32'), 4).toFloat() as tf.Tensor2D;
    const b = tf.ones([2]) as tf.Tensor1D;
    return {
      plain: cell.apply(s0, s1, w, b).dataSync() as Float32Array,
      dropped: cell.apply(s0, s1, w, b, undefined, { rate, seed }).dataSync() as Float32Array,
    };
  });
}

/** Checks that every value of `dropped` is 0 or plain/(1 − rate), and returns the share of zeros. */
function zeroShare(plain: Float32Array, dropped: Float32Array, rate: number): number {
  let zeros = 0;
  plain.forEach((p, i) => {
    if (dropped[i] === 0) zeros++;
    else assert.ok(Math.abs(dropped[i] - p / (1 - rate)) < 1e-5 * Math.max(1, Math.abs(p)), `value ${i}: ${dropped[i]} is neither 0 nor ${p}/(1 − ${rate})`);
  });
  return zeros / plain.length;
}

test('which ops dropout covers: the identity skip (skip), also pools (param_free); never none, convs or a stride-2 skip', () => {
  const ops = tinySpace().ops.map((o) => o.name);
  const covered = (mode: 'skip' | 'param_free', stride: 1 | 2) => {
    const space = tinySpace({ regularize: { dropout: 0.3, dropoutOps: mode } });
    return ops.filter((_, o) => dropoutCovers(space, o, stride));
  };
  assert.deepEqual(covered('skip', 1), ['skip_connect']);
  assert.deepEqual(covered('skip', 2), []);
  assert.deepEqual(covered('param_free', 1), ['skip_connect', 'max_pool_3x3']);
  assert.deepEqual(covered('param_free', 2), ['max_pool_3x3']);
  assert.deepEqual(ops.filter((_, o) => dropoutCovers(tinySpace(), o, 1)), ['skip_connect'], 'skip is the default');
});

test('fused cell: a covered op\'s values are zeroed or scaled by 1/(1 − p); other ops are untouched; the mask follows the seed', () => {
  const skipOnly = oneNodeCell(tinySpace({ regularize: { dropout: 0.5, dropoutOps: 'skip' } }));
  const allFree = oneNodeCell(tinySpace({ regularize: { dropout: 0.5, dropoutOps: 'param_free' } }));
  for (const rate of [0.5, 0.2]) {
    const skip = outputs(skipOnly, 1, rate);
    const share = zeroShare(skip.plain, skip.dropped, rate);
    assert.ok(Math.abs(share - rate) < 0.1, `skip: ${share} of the values dropped at rate ${rate}`);
  }
  // Max pool: untouched when only skips are covered, dropped with param_free.
  const poolSkipOnly = outputs(skipOnly, 2, 0.5);
  assert.deepEqual(poolSkipOnly.dropped, poolSkipOnly.plain);
  const pool = outputs(allFree, 2, 0.5);
  const share = zeroShare(pool.plain, pool.dropped, 0.5);
  assert.ok(share > 0.35 && share < 0.65, `pool: ${share} dropped`);
  // The separable conv is never covered.
  const conv = outputs(allFree, 3, 0.5);
  assert.deepEqual(conv.dropped, conv.plain);
  // Rate 0 is the plain pass; the same seed draws the same mask, another seed another one.
  const zero = outputs(allFree, 1, 0);
  assert.deepEqual(zero.dropped, zero.plain);
  assert.deepEqual(outputs(allFree, 1, 0.5, 'a').dropped, outputs(allFree, 1, 0.5, 'a').dropped);
  assert.notDeepEqual(outputs(allFree, 1, 0.5, 'a').dropped, outputs(allFree, 1, 0.5, 'b').dropped);
});

test('the rate follows P-DARTS: linear during the warm-up, then dropout·exp(−decay·(epoch − warmup − 1))', () => {
  const space = (regularize: Partial<SearchSpace['regularize']>) => tinySpace({ train: { epochs: 25, warmup: 10 }, regularize });
  const s = space({ dropout: 0.4, dropoutDecay: 0.2 });
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(dropoutRate(s, 1), (0.4 * 24) / 25);
  close(dropoutRate(s, 10), (0.4 * 15) / 25);
  close(dropoutRate(s, 11), 0.4);
  close(dropoutRate(s, 12), 0.4 * Math.exp(-0.2));
  close(dropoutRate(s, 25), 0.4 * Math.exp(-0.2 * 14));
  close(dropoutRate(space({ dropout: 0.4, dropoutDecay: 0 }), 20), 0.4);
  close(dropoutRate(space({ dropout: 0.7 }), 12), 0.7 * Math.exp(-0.2));
  assert.equal(dropoutRate(space({ dropout: 0 }), 11), 0);
  assert.equal(dropoutRate(space({}), 11), 0, 'off by default');
  assert.equal(dropoutRate(tinySpace({ train: { epochs: 3, warmup: 0 }, regularize: { dropout: 0.3 } }), 1), 0.3, 'no warm-up: the full rate from the first epoch');
});

test('schema: rates in [0, 1), the two op sets and a decay ≥ 0 validate; other values are diagnosed', () => {
  const codes = (body: string) => loadSearchSpace(`search "d" { regularize { ${body} } }`).diagnostics.map((d) => d.code);
  assert.deepEqual(codes('dropout = 0.3, dropout_ops = param_free, dropout_decay = 0'), []);
  const s = loadSearchSpace('search "d" { regularize { dropout = 0.7, dropout_ops = param_free, dropout_decay = 0.1 } }').space;
  assert.deepEqual(s?.regularize, { diversity: 0, tau: 7.7, dropout: 0.7, dropoutOps: 'param_free', dropoutDecay: 0.1 });
  assert.deepEqual(codes('dropout = 1'), ['out-of-range']);
  assert.deepEqual(codes('dropout = -0.1'), ['out-of-range']);
  assert.deepEqual(codes('dropout_decay = -1'), ['out-of-range']);
  assert.deepEqual(codes('dropout_ops = pools'), ['unknown-value']);
  assert.deepEqual(codes('dropout = skip'), ['wrong-type']);
});

test('only the weight and architecture steps drop: evaluation, pruning\'s probes and candidates compute as without dropout; no tensor leak', async () => {
  const base = tinySpace({ data: { train: 64, test: 16 }, train: { epochs: 2, batch: 8, warmup: 0, seed: 5 } });
  const withDrop = tinySpace({ ...base, regularize: { dropout: 0.5, dropoutOps: 'param_free' } });
  const dataset: Dataset = await loadDataset(base.data, { seed: 5 });
  const rig = (space: SearchSpace) => {
    const net = new Supernet(space, { input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses, seed: 9 });
    return { net, trainer: new Trainer(net, space, dataset.numClasses), sgd: new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.prune') };
  };
  const plain = rig(base);
  const dropping = rig(withDrop);
  try {
    const wb = dataset.weights.iterator().next(8);
    const ab = dataset.arch.iterator().next(8);
    const drop = { rate: 0.5, seed: '17' };
    const values = async (r: Promise<{ grads: Map<string, tf.Tensor> }>) => {
      const { grads } = await r;
      const out = new Map([...grads].map(([n, g]) => [n, Array.from(g.dataSync())]));
      tf.dispose([...grads.values()]);
      return out;
    };
    // A step with dropout differs from one without; the same draw gives the same gradients.
    const w0 = await values(dropping.trainer.weightGrads(wb));
    const w1 = await values(dropping.trainer.weightGrads(wb, undefined, drop));
    assert.notDeepEqual(w1, w0, 'dropout changes the weight gradients');
    assert.deepEqual(await values(dropping.trainer.weightGrads(wb, undefined, drop)), w1);
    assert.notDeepEqual(await values(dropping.trainer.archGrads(ab, 0, drop)), await values(dropping.trainer.archGrads(ab, 0)), 'and the α gradients');
    // The space's dropout setting alone changes nothing: only a step's draw drops.
    assert.deepEqual(await values(plain.trainer.weightGrads(wb)), w0);
    assert.deepEqual(await plain.trainer.evaluate(ab), await dropping.trainer.evaluate(ab));
    const probe = { cell: 'normal' as const, edge: 0, op: 1 };
    assert.deepEqual(await probeLosses(plain.trainer, probe, [ab]), await probeLosses(dropping.trainer, probe, [ab]));
    const path = { normal: [1, 1, 2, 1, 3], reduce: [2, 1, 1, 3, 1] };
    const batches = { train: [wb], eval: [ab] };
    assert.deepEqual(await evaluatePath(plain.trainer, path, batches, 0.05, plain.sgd), await evaluatePath(dropping.trainer, path, batches, 0.05, dropping.sgd));
    // No tensor is left behind by dropping steps (after the optimizer's slots exist).
    await dropping.trainer.weightStep(wb, 0.01, undefined, undefined, drop);
    await dropping.trainer.archStep(ab, 0, drop);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await dropping.trainer.weightStep(wb, 0.01, undefined, undefined, { rate: 0.5, seed: `w${i}` });
      await dropping.trainer.archStep(ab, 0, { rate: 0.5, seed: `a${i}` });
    }
    assert.equal(tf.memory().numTensors, count);
  } finally {
    for (const r of [plain, dropping]) {
      r.trainer.dispose();
      r.sgd.dispose();
      r.net.dispose();
    }
  }
});
