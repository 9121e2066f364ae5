/**
 * The search optimizer (one fused kernel call per step) keeps the numbers of the per-variable
 * formulas it replaced: SGD with momentum equals tf.train.momentum, weight decay follows PyTorch,
 * Adam equals its formula (and tf.train.adam up to where ε sits), clipping scales to the global
 * norm, the cosine schedule anneals lr → lr/25, a checkpoint round trip of the slots continues
 * identically, and the tensor count does not grow over steps. On cpu and wasm.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../../../runtime/dsl/space.js';
import { assertNoLeak } from '../../../runtime/engine/memory.js';
import { clipByGlobalNorm, Optimizer, scheduledLr, type NamedGrads } from '../../../runtime/search/optimizers.js';
import type { SavedArray } from '../../../runtime/search/checkpoint.js';
import { useBackend } from '../engine/backends.js';
import { randomArr, relError } from '../engine/reference.js';

const SHAPES: Record<string, number[]> = { 'c0.w': [3, 3, 4, 1], 'c0.pw': [1, 1, 4, 4], bias: [5] };
const NAMES = Object.keys(SHAPES);
const value = (shape: number[], seed: number): tf.Tensor => tf.tensor(Float32Array.from(randomArr(shape, seed).data), shape);

function spec(over: Partial<OptimizerSpec>): OptimizerSpec {
  return { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0, betas: [0.5, 0.999], schedule: 'constant', ...over } as OptimizerSpec;
}

function vars(seed: number): Map<string, tf.Variable> {
  return new Map(NAMES.map((n, i) => [n, tf.variable(value(SHAPES[n], seed + i), true, `${n}#${seed}#${Math.random()}`)]));
}

function grads(step: number): NamedGrads {
  return new Map(NAMES.map((n, i) => [n, value(SHAPES[n], 100 + 10 * step + i)]));
}

/** The float64 formulas, variable by variable (PyTorch semantics). */
function reference(p0: Float32Array[], gs: Float32Array[][], o: OptimizerSpec, lr: number): Float64Array[] {
  return p0.map((init, v) => {
    const p = Float64Array.from(init);
    const m = new Float64Array(p.length);
    const s = new Float64Array(p.length);
    gs.forEach((stepGrads, t) => {
      for (let i = 0; i < p.length; i++) {
        const g = stepGrads[v][i] + o.weightDecay * p[i];
        if (o.kind === 'sgd') {
          m[i] = o.momentum * m[i] + g;
          p[i] -= lr * (o.momentum > 0 ? m[i] : g);
        } else {
          const [b1, b2] = o.betas;
          m[i] = b1 * m[i] + (1 - b1) * g;
          s[i] = b2 * s[i] + (1 - b2) * g * g;
          p[i] -= (lr * (m[i] / (1 - b1 ** (t + 1)))) / (Math.sqrt(s[i] / (1 - b2 ** (t + 1))) + 1e-8);
        }
      }
    });
    return p;
  });
}

function runSteps(opt: Optimizer, params: Map<string, tf.Variable>, steps: number, lr: number, first = 0): Float32Array[][] {
  const seen: Float32Array[][] = [];
  for (let t = first; t < first + steps; t++) {
    const g = grads(t);
    seen.push(NAMES.map((n) => g.get(n)?.dataSync() as Float32Array));
    opt.apply(params, g, lr);
    tf.dispose([...g.values()]);
  }
  return seen;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`search optimizer on ${backend}`, () => {
    test('SGD with momentum equals tf.train.momentum over steps', async () => {
      await useBackend(backend);
      const a = vars(1);
      const b = vars(1);
      const stock = tf.train.momentum(0.05, 0.9);
      const opt = new Optimizer(spec({}), 'opt.w');
      for (let t = 0; t < 3; t++) {
        const g = grads(t);
        stock.applyGradients(NAMES.map((n) => ({ name: (a.get(n) as tf.Variable).name, tensor: g.get(n) as tf.Tensor })));
        opt.apply(b, g, 0.05);
        tf.dispose([...g.values()]);
      }
      for (const n of NAMES) assert.ok(relError((b.get(n) as tf.Variable).dataSync(), (a.get(n) as tf.Variable).dataSync()) < 1e-5, n);
      stock.dispose();
      opt.dispose();
      tf.dispose([...a.values(), ...b.values()]);
    });

    for (const o of [
      spec({ weightDecay: 3e-4 }),
      spec({ momentum: 0, weightDecay: 1e-3 }),
      spec({ kind: 'adam', lr: 6e-4, weightDecay: 1e-3 }),
      spec({ kind: 'adam', lr: 3e-3, betas: [0.9, 0.99] }),
    ]) {
      test(`${o.kind} momentum ${o.momentum} wd ${o.weightDecay} β ${o.betas.join('/')} follows the formula`, async () => {
        await useBackend(backend);
        const params = vars(7);
        const p0 = NAMES.map((n) => (params.get(n) as tf.Variable).dataSync().slice() as Float32Array);
        const opt = new Optimizer(o, 'opt.x');
        const seen = runSteps(opt, params, 4, o.lr);
        const want = reference(p0, seen, o, o.lr);
        NAMES.forEach((n, v) => assert.ok(relError((params.get(n) as tf.Variable).dataSync(), want[v]) < 2e-5, n));
        // Plain SGD keeps no slot; momentum one per variable; Adam two.
        const slots = (await opt.save()).length;
        assert.equal(slots, o.kind === 'adam' ? 2 * NAMES.length : o.momentum > 0 ? NAMES.length : 0);
        opt.dispose();
        tf.dispose([...params.values()]);
      });
    }

    test('Adam equals tf.train.adam (ε is added after the bias correction there: loose tolerance)', async () => {
      await useBackend(backend);
      const a = vars(3);
      const b = vars(3);
      const stock = tf.train.adam(1e-3, 0.5, 0.999, 1e-8);
      const opt = new Optimizer(spec({ kind: 'adam', lr: 1e-3 }), 'opt.a');
      for (let t = 0; t < 3; t++) {
        const g = grads(t);
        stock.applyGradients(NAMES.map((n) => ({ name: (a.get(n) as tf.Variable).name, tensor: g.get(n) as tf.Tensor })));
        opt.apply(b, g, 1e-3);
        tf.dispose([...g.values()]);
      }
      for (const n of NAMES) assert.ok(relError((b.get(n) as tf.Variable).dataSync(), (a.get(n) as tf.Variable).dataSync()) < 1e-4, n);
      stock.dispose();
      opt.dispose();
      tf.dispose([...a.values(), ...b.values()]);
    });

    test('clipping by global norm: returns the norm, scales to the clip, leaves small gradients alone', async () => {
      await useBackend(backend);
      const g = grads(0);
      const flat = [...g.values()].flatMap((t) => [...t.dataSync()]);
      const norm = Math.sqrt(flat.reduce((s, x) => s + x * x, 0));
      const before = g.get('bias') as tf.Tensor;
      const keep = before.dataSync().slice();
      assert.ok(Math.abs((clipByGlobalNorm(g, norm * 2) as number) - norm) < 1e-4 * norm);
      assert.equal(g.get('bias'), before, 'under the clip the gradients are the same tensors');
      assert.ok(Math.abs((clipByGlobalNorm(g, norm / 4) as number) - norm) < 1e-4 * norm);
      assert.ok(before.isDisposed, 'the unclipped gradient is disposed');
      const clipped = [...g.values()].flatMap((t) => [...t.dataSync()]);
      assert.ok(Math.abs(Math.sqrt(clipped.reduce((s, x) => s + x * x, 0)) - norm / 4) < 1e-4 * norm);
      assert.ok(relError((g.get('bias') as tf.Tensor).dataSync(), Float32Array.from(keep, (x) => x / 4)) < 1e-5);
      tf.dispose([...g.values()]);
    });

    test('slots survive a checkpoint round trip: the resumed optimizer continues identically', async () => {
      await useBackend(backend);
      for (const o of [spec({ weightDecay: 3e-4 }), spec({ kind: 'adam', lr: 6e-4 })]) {
        const a = vars(11);
        const opt = new Optimizer(o, 'opt.r');
        runSteps(opt, a, 2, o.lr);
        const saved: SavedArray[] = await opt.save();
        const b = new Map([...a].map(([n, v]) => [n, tf.variable(v.clone(), true, `${n}#copy#${Math.random()}`)]));
        const resumed = new Optimizer(o, 'opt.r');
        resumed.load(new Map(saved.map((s) => [s.name, s])), opt.steps);
        runSteps(opt, a, 2, o.lr, 2);
        runSteps(resumed, b, 2, o.lr, 2);
        for (const n of NAMES) assert.deepEqual((b.get(n) as tf.Variable).dataSync(), (a.get(n) as tf.Variable).dataSync(), `${o.kind} ${n}`);
        opt.dispose();
        resumed.dispose();
        tf.dispose([...a.values(), ...b.values()]);
      }
    });

    test('no tensor leak over steps, with clipping (SGD and Adam)', async () => {
      await useBackend(backend);
      for (const o of [spec({ weightDecay: 1e-4 }), spec({ kind: 'adam', lr: 1e-3 })]) {
        const params = vars(5);
        const opt = new Optimizer(o, 'opt.l');
        const step = (t: number): void => {
          const g = grads(t);
          clipByGlobalNorm(g, 0.1);
          opt.apply(params, g, o.lr);
          tf.dispose([...g.values()]);
        };
        step(0);
        await assertNoLeak(() => {
          for (let t = 1; t < 4; t++) step(t);
        });
        opt.dispose();
        tf.dispose([...params.values()]);
      }
    });
  });
}

test('cosine schedule anneals lr → lr/25 over the epochs; constant stays', () => {
  const o = spec({ lr: 0.025, schedule: 'cosine' });
  assert.equal(scheduledLr(o, 0, 10), 0.025);
  assert.ok(Math.abs(scheduledLr(o, 10, 10) - 0.001) < 1e-12);
  assert.ok(Math.abs(scheduledLr(o, 5, 10) - (0.001 + 0.012)) < 1e-12);
  assert.equal(scheduledLr(spec({ lr: 0.1 }), 7, 10), 0.1);
});
