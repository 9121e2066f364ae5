/**
 * The fused kernels compute only the gradients the backward pass differentiates
 * (runtime/engine/tfjs-patches.ts): pointwise + BN runs its input gradient alone when the filters
 * are not differentiated (the architecture step) and its filter gradient alone when the input is
 * not; the channel mix leaves out its coefficient sums when the coefficients are not (the weight
 * step). What is computed has the very bits of the all-at-once kernel, on the SIMD kernels and on
 * the TypeScript loops; the tensor count does not grow over steps.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { channelMix, pointwiseBn } from '../../../runtime/engine/cell-kernels.js';
import { gradNeeded, useGradNeeds } from '../../../runtime/engine/tfjs-patches.js';
import { simdInUse } from '../../../runtime/engine/simd.js';
import type { Batch } from '../../../runtime/data/index.js';
import { Rng } from '../../../runtime/random/rng.js';
import { Trainer } from '../../../runtime/search/trainer.js';
import { Supernet } from '../../../runtime/supernet/supernet.js';
import { tinySpace } from '../supernet/helpers.js';
import { useBackend } from './backends.js';
import { randomArr } from './reference.js';

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Float32Array.from(randomArr(shape, seed).data), shape);
}

/** Kernels run by `f` (names and output shapes), and what it returns as arrays. */
async function profiled(f: () => tf.Tensor[] | Promise<tf.Tensor[]>): Promise<{ kernels: { name: string; outputs: number }[]; values: Float32Array[] }> {
  let values: Float32Array[] = [];
  const profile = await tf.profile(async () => {
    const ts = await f();
    values = ts.map((t) => t.dataSync() as Float32Array);
    tf.dispose(ts);
  });
  return { kernels: profile.kernels.map((k) => ({ name: k.name, outputs: k.outputShapes.length })), values };
}

const PW_KERNELS = ['BnasPointwiseBnGrad', 'BnasPointwiseBnInputGrad', 'BnasPointwiseBnFilterGrad'];

/** Gradients of Σ pointwiseBn(x, w)·r w.r.t. the chosen variables, and which pointwise gradient kernels ran. */
async function pointwiseGrads(x: tf.Variable, w: tf.Variable, r: tf.Tensor, signInput: boolean, wrt: 'x' | 'w' | 'both') {
  const vars = wrt === 'x' ? [x] : wrt === 'w' ? [w] : [x, w];
  const run = await profiled(() => {
    const g = tf.variableGrads(() => tf.sum(tf.mul(pointwiseBn(x as unknown as tf.Tensor4D, w as unknown as tf.Tensor3D, signInput), r)) as tf.Scalar, vars);
    g.value.dispose();
    return vars.map((v) => g.grads[v.name]);
  });
  return { ran: run.kernels.map((k) => k.name).filter((k) => PW_KERNELS.includes(k)), grads: new Map(vars.map((v, i) => [v === x ? 'x' : 'w', run.values[i]])) };
}

/** Groups × channels a group: the SIMD 4-channel kernel, its 2-channel form, the wide kernel; the loops off wasm. */
const POINTWISE_CASES: [number, number][] = [
  [3, 4],
  [4, 2],
  [2, 8],
];

describe('pointwise + BN: only the gradient a pass needs, same bits', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    // Off the SIMD kernels wide groups run as stock ops (a batched product), not this kernel.
    for (const [g, c] of POINTWISE_CASES.filter(([, c]) => backend === 'wasm' || c < 8)) {
      for (const signInput of [false, true]) {
        test(`${backend}, ${g} groups of ${c}, sign ${signInput}`, async () => {
          assert.equal(await useBackend(backend), undefined);
          if (backend === 'wasm') assert.ok(simdInUse(), 'the SIMD kernels are on');
          const x = tf.variable(rand([2, 5, 5, g * c], 1));
          const w = tf.variable(rand([g, c, c], 2));
          const r = rand([2, 5, 5, g * c], 3);
          const onlyX = await pointwiseGrads(x, w, r, signInput, 'x');
          const onlyW = await pointwiseGrads(x, w, r, signInput, 'w');
          const both = await pointwiseGrads(x, w, r, signInput, 'both');
          assert.deepEqual(onlyX.ran, ['BnasPointwiseBnInputGrad'], 'input only (the architecture step): no filter gradient');
          assert.deepEqual(onlyW.ran, ['BnasPointwiseBnFilterGrad'], 'filter only: no input gradient');
          assert.deepEqual(both.ran, ['BnasPointwiseBnGrad'], 'both: one pass');
          assert.deepEqual(onlyX.grads.get('x'), both.grads.get('x'), 'dx bit for bit');
          assert.deepEqual(onlyW.grads.get('w'), both.grads.get('w'), 'dw bit for bit');
          assert.ok(both.grads.get('w')?.some((v) => v !== 0), 'a real gradient');
          tf.dispose([x, w, r]);
        });
      }
    }
  }
});

/** Map and coefficient gradients of Σ channelMix(maps, coef)·r, and the output count of the mix gradient kernel. */
async function mixGrads(maps: tf.Variable[], coef: tf.Variable, r: tf.Tensor, terms: Int32Array, wrtCoef: boolean) {
  const vars = wrtCoef ? [...maps, coef] : maps;
  const run = await profiled(() => {
    const g = tf.variableGrads(() => tf.sum(tf.mul(channelMix(maps as unknown as tf.Tensor4D[], terms, 4, coef as unknown as tf.Tensor1D), r)) as tf.Scalar, vars);
    g.value.dispose();
    return vars.map((v) => g.grads[v.name]);
  });
  return { outputs: run.kernels.filter((k) => k.name === 'BnasChannelMixGrad').map((k) => k.outputs), grads: run.values };
}

describe('channel mix: no coefficient sums when the coefficients are not differentiated (the weight step), same bits', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    test(backend, async () => {
      assert.equal(await useBackend(backend), undefined);
      const maps = [tf.variable(rand([2, 6, 6, 8], 4)), tf.variable(rand([2, 6, 6, 4], 5))];
      const coef = tf.variable(rand([3], 6));
      const r = rand([2, 6, 6, 4], 7);
      // target, map, channel, coefficient: a 4-channel run, single terms, a term of weight 1.
      const terms = Int32Array.from([0, 0, 4, 0, 1, 0, 5, 0, 2, 0, 6, 0, 3, 0, 7, 0, 0, 1, 2, 1, 3, 1, 0, 2, 1, 1, 1, -1]);
      const weights = await mixGrads(maps, coef, r, terms, false);
      const all = await mixGrads(maps, coef, r, terms, true);
      assert.deepEqual(weights.outputs, [2], 'map gradients only');
      assert.deepEqual(all.outputs, [3], 'maps and coefficients');
      assert.deepEqual(weights.grads, all.grads.slice(0, 2), 'map gradients bit for bit');
      assert.ok(all.grads[2].every((v) => v !== 0), 'each coefficient has a gradient');
      tf.dispose([...maps, coef, r]);
    });
  }
});

test('architecture-like steps (input only) do not grow the tensor count', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  const x = tf.variable(rand([2, 4, 4, 8], 8));
  const w = tf.variable(rand([2, 4, 4], 9));
  const coef = tf.variable(rand([2], 10));
  const terms = Int32Array.from([0, 0, 0, 0, 1, 0, 1, 1, 2, 0, 2, 0, 3, 0, 3, 1]);
  const step = (wrt: tf.Variable[]): void => {
    const g = tf.variableGrads(() => {
      const y = pointwiseBn(x as unknown as tf.Tensor4D, w as unknown as tf.Tensor3D, true);
      return tf.sum(tf.square(channelMix([y], terms, 4, coef as unknown as tf.Tensor1D))) as tf.Scalar;
    }, wrt);
    tf.dispose([g.value, ...Object.values(g.grads)]);
  };
  step([coef]);
  step([w]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 4; i++) {
    step([coef]);
    step([w]);
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, w, coef]);
});

test('outside a backward pass, and after one that threw, every gradient counts as needed', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  const v = tf.variable(tf.scalar(1));
  const other = tf.scalar(2);
  assert.equal(gradNeeded(other.id), true);
  assert.throws(() => tf.variableGrads(() => {
    throw new Error('forward failed');
  }, [v]), /forward failed/);
  assert.equal(gradNeeded(other.id), true, 'the failed pass left no scope behind');
  let inside: boolean | undefined;
  const g = tf.variableGrads(() => {
    const y = tf.mul(v, other) as tf.Scalar;
    const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.add(args[0] as tf.Tensor, 0),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => ((inside = gradNeeded(other.id)), [dy as tf.Tensor]),
    }));
    return probe(y) as tf.Scalar;
  }, [v]);
  assert.equal(inside, false, 'inside the pass, a tensor not computed from the variables is not needed');
  tf.dispose([v, other, g.value, ...Object.values(g.grads)]);
});

test('in the supernet: the architecture step runs the pointwise input gradient only, the weight step mixes without coefficient sums', async () => {
  assert.equal(await useBackend('wasm'), undefined);
  const space = tinySpace({ supernet: { cells: 2, reductions: [1], channels: 8, nodes: 2, stemMultiplier: 2 } });
  const net = new Supernet(space, { input: [8, 8, 3], numClasses: 4, seed: 2 });
  const trainer = new Trainer(net, space, 4);
  const rng = new Rng(5);
  const b: Batch = { x: new Float32Array(8 * 8 * 8 * 3).map(() => rng.normal()), y: Int32Array.from({ length: 8 }, () => rng.int(4)), n: 8, shape: [8, 8, 8, 3] };
  try {
    const kernels = async (phase: 'arch' | 'weights'): Promise<{ name: string; outputs: number }[]> =>
      (
        await profiled(async () => {
          const r = phase === 'arch' ? await trainer.archGrads(b, 1) : await trainer.weightGrads(b);
          return [...r.grads.values()];
        })
      ).kernels;
    const arch = (await kernels('arch')).map((k) => k.name);
    assert.ok(arch.includes('BnasPointwiseBnInputGrad'), 'the arch step differentiates the pointwise inputs');
    assert.ok(!arch.includes('BnasPointwiseBnGrad') && !arch.includes('BnasPointwiseBnFilterGrad'), 'and no filter gradient');
    const weights = await kernels('weights');
    assert.ok(weights.some((k) => k.name === 'BnasPointwiseBnGrad'), 'the weight step computes both products in one pass');
    // The same mix gradients without the switch output one coefficient gradient more each where a mix has coefficients.
    const mixOutputs = (ks: { name: string; outputs: number }[]): number[] => ks.filter((k) => k.name === 'BnasChannelMixGrad').map((k) => k.outputs);
    useGradNeeds(false);
    const stock = await kernels('weights');
    useGradNeeds(true);
    const [on, off] = [mixOutputs(weights), mixOutputs(stock)];
    assert.equal(on.length, off.length, 'the same mix gradient calls');
    assert.ok(on.length > 0 && on.some((n, i) => n === off[i] - 1), `coefficient gradients left out: ${on} vs ${off}`);
    assert.ok(on.every((n, i) => n === off[i] || n === off[i] - 1));
  } finally {
    net.dispose();
  }
});
