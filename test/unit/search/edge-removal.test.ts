import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runSearch } from '../../../runtime/search/search.js';
import { Trainer } from '../../../runtime/search/trainer.js';
import { probeLosses } from '../../../runtime/search/replica-protocol.js';
import { edgeRemovalLosses, removalProbes } from '../../../runtime/search/edge-evidence.js';
import { deriveGenotype, deriveLimitsOf, type CellArch } from '../../../runtime/search/derive.js';
import { readCheckpoint } from '../../../runtime/search/checkpoint.js';
import { EDGE_REMOVED, Supernet } from '../../../runtime/supernet/supernet.js';
import { parseRunEvent, type RunEvent } from '../../../runtime/protocol/events.js';
import { CELL_KINDS, type CellKind } from '../../../runtime/protocol/genotype.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

const base = tinySpace({ data: { train: 64, test: 16 }, train: { epochs: 2, batch: 8, warmup: 0, seed: 5 } });
const fx = searchFixture(base.data, 5, 'edge-removal');

const rig = (space: SearchSpace) => {
  const net = new Supernet(space, { input: [fx.dataset.height, fx.dataset.width, fx.dataset.channels], numClasses: fx.dataset.numClasses, seed: 9 });
  return { net, trainer: new Trainer(net, space, fx.dataset.numClasses) };
};

test('a removed edge reaches its node through neither its ops nor its partial-channel bypass; no tensor leak', async () => {
  const ab = fx.dataset.arch.iterator().next(8);
  const none = base.ops.findIndex((o) => o.name === 'none');
  // Without partial channels and edge normalization, removing an edge is restricting it to the zero op.
  const whole = rig(tinySpace({ ...base, sampling: { k: 1, shuffle: false, edgeNormalization: false } }));
  // With K = 2 half the channels bypass the ops: the zero op leaves them, removal does not.
  const partial = rig(base);
  try {
    const tensors = tf.memory().numTensors;
    for (const cell of CELL_KINDS) {
      for (const edge of [0, 4]) {
        const removed = await probeLosses(whole.trainer, { cell, edge, op: EDGE_REMOVED }, [ab]);
        const zero = await probeLosses(whole.trainer, { cell, edge, op: none }, [ab]);
        const full = await probeLosses(whole.trainer, undefined, [ab]);
        assert.ok(Math.abs(removed[0] - zero[0]) < 1e-6, `${cell} edge ${edge}, K = 1: removed ${removed[0]} = zero op ${zero[0]}`);
        assert.notEqual(removed[0], full[0], 'removal changes the loss');
        const pRemoved = await probeLosses(partial.trainer, { cell, edge, op: EDGE_REMOVED }, [ab]);
        const pZero = await probeLosses(partial.trainer, { cell, edge, op: none }, [ab]);
        assert.ok(Math.abs(pRemoved[0] - pZero[0]) > 1e-6, `${cell} edge ${edge}, K = 2: the bypass is removed too`);
      }
    }
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind by the probes');
  } finally {
    whole.net.dispose();
    partial.net.dispose();
  }
});

test('an op taken out of an edge\'s mix gives the loss of the supernet that abandoned it; no tensor leak', async () => {
  const ab = fx.dataset.arch.iterator().next(8);
  // Sign weights keep the binary sums exact: with XNOR scales a sum that cancels can round to ±1 ulp
  // or 0 depending on how many edges share a kernel call, and the next sign flips with it.
  const { net, trainer } = rig(tinySpace({ ...base, binarize: { ...base.binarize, weights: 'sign' } }));
  try {
    const tensors = tf.memory().numTensors;
    const conv = base.ops.findIndex((o) => o.kind === 'sep_conv');
    const full = await probeLosses(trainer, undefined, [ab]);
    const without = await probeLosses(trainer, { cell: 'normal', edge: 3, op: conv, without: true }, [ab]);
    const otherKind = await probeLosses(trainer, { cell: 'reduce', edge: 3, op: conv, without: true }, [ab]);
    assert.notEqual(without[0], full[0], 'taking the op out changes the loss');
    assert.notEqual(otherKind[0], without[0], 'the probe names its cell kind');
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind by the probes');
    net.prune('normal', 3, conv);
    const abandoned = await probeLosses(trainer, undefined, [ab]);
    assert.ok(Math.abs(abandoned[0] - without[0]) < 1e-5, `without ${without[0]} = after abandoning ${abandoned[0]}`);
  } finally {
    net.dispose();
  }
});

test('edge evidence: one probe per edge of both cell kinds after the baseline, reported as the loss each removal adds', async () => {
  const seen: (unknown | undefined)[][] = [];
  const losses = await edgeRemovalLosses(async (probes) => {
    seen.push([...probes]);
    // Two examples a probe: their mean is what counts.
    return probes.map((p, i) => (p ? [2 + i / 100 - 0.5, 2 + i / 100 + 0.5] : [1.5, 2.5]));
  }, 5);
  assert.equal(seen.length, 1, 'one measurement: the baseline and every probe on the same batches');
  assert.equal(seen[0][0], undefined, 'the unrestricted supernet first');
  assert.deepEqual(seen[0].slice(1), removalProbes(5));
  assert.ok(removalProbes(5).every((p) => p.op === EDGE_REMOVED));
  const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]) < 1e-12);
  assert.ok(close(losses.normal, [0.01, 0.02, 0.03, 0.04, 0.05]), String(losses.normal));
  assert.ok(close(losses.reduce, [0.06, 0.07, 0.08, 0.09, 0.1]), String(losses.reduce));
});

test('derive.edges = removal: the search measures every edge at the end, reports it, and keeps the inputs it names', async () => {
  const space = tinySpace({ ...base, derive: { edges: 'removal', probeBatches: 2, maxInnerEdges: 1 } });
  const out = join(fx.root, 'removal');
  const r = await runSearch({ space, spaceText: 'x', outDir: out, dataset: fx.dataset, keepBackend: true, stepEventSeconds: 0 });
  assert.equal(r.status, 'finished', r.message);
  const events = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => parseRunEvent(JSON.parse(l)) as RunEvent);
  const final = events.find((e) => e.type === 'genotype' && e.final);
  assert.ok(final?.type === 'genotype' && final.edge_evidence, 'the final genotype carries the evidence');
  const evidence = final.edge_evidence as Record<CellKind, number[]>;
  for (const k of CELL_KINDS) {
    assert.equal(evidence[k].length, 5);
    assert.ok(evidence[k].every(Number.isFinite));
    assert.equal(new Set(evidence[k]).size, 5, `${k}: each edge has its own number`);
  }
  assert.ok(events.some((e) => e.type === 'step' && e.phase === 'derive'), 'the probes report progress');
  assert.ok(events.filter((e) => e.type === 'genotype' && !e.final).every((e) => e.type === 'genotype' && !e.edge_evidence), 'epoch previews carry none');
  // The cells are what derivation gives from the run's α, β and alive ops with that evidence.
  const saved = readCheckpoint<{ alive: Record<CellKind, boolean[][]> }>(out);
  const n = space.ops.length;
  const arch = (k: CellKind): CellArch => {
    const a = saved.arrays.get(`a/alpha.${k}`)?.data as Float32Array;
    return { alphas: saved.state.alive[k].map((_, e) => Array.from(a.subarray(e * n, (e + 1) * n))), betas: Array.from(saved.arrays.get(`a/beta.${k}`)?.data as Float32Array), alive: saved.state.alive[k] };
  };
  const limits = { normal: { ...deriveLimitsOf(space, 'normal'), removal: evidence.normal }, reduce: { ...deriveLimitsOf(space, 'reduce'), removal: evidence.reduce } };
  const names = space.ops.map((o) => o.name);
  const expected = deriveGenotype({ normal: arch('normal'), reduce: arch('reduce') }, names, 2, true, limits);
  assert.deepEqual(r.result?.genotype, expected);
  // Node 1 (edges 2, 3, 4 from c_{k-2}, c_{k-1} and node 0) keeps the two inputs whose removal costs most.
  for (const k of CELL_KINDS) {
    const top = [2, 3, 4].sort((x, y) => evidence[k][y] - evidence[k][x]).slice(0, 2).map((e) => e - 2).sort();
    assert.deepEqual((r.result?.genotype[k] ?? []).slice(2).map(([, from]) => from).sort(), top, `${k}: node 1 keeps its most-needed inputs`);
  }
});
