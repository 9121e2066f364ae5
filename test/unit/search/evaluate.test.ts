// The additions to evaluation for the quality benchmark: the real-valued twin of a space (the
// binary-vs-float gap) and adapting reference genotypes to a space's ops and node count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { REAL } from '../../../runtime/engine/quantize.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';
import { adaptGenotype, realValuedSpace } from '../../../runtime/search/evaluate.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';
import { binarizeFor } from '../../../runtime/supernet/supernet.js';

function space(ops: string, nodes = 4): SearchSpace {
  const { space: s, diagnostics } = loadSearchSpace(`search "t" {
  data { source = synthetic, train = 64, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = ${nodes} }
  ops = [${ops}]
  binarize { weights = xnor, activations = sign }
  train { epochs = 3, batch = 8, warmup = 1, seed = 3 }
}`);
  assert.ok(s, JSON.stringify(diagnostics));
  return s;
}

const PC_DARTS: Genotype = JSON.parse(readFileSync('bench/search/reference-cells/pc-darts-cifar.json', 'utf8'));

test('realValuedSpace: every part of the network is real-valued, nothing else changes', () => {
  const s = space('sep_conv_3x3, max_pool_3x3, skip_connect, none');
  const r = realValuedSpace(s);
  for (const part of ['ops', 'stem', 'preprocess', 'classifier'] as const) assert.deepEqual(binarizeFor(r, part), REAL, part);
  assert.notDeepEqual(binarizeFor(s, 'ops'), REAL, 'the original space stays binary');
  assert.equal(s.binarize.weights, 'xnor');
  assert.deepEqual({ ...r, binarize: s.binarize }, s);
});

test('adaptGenotype: ops of the space kept, others mapped to the nearest op of the same kind, then family', () => {
  const s = space('sep_conv_3x3, dil_conv_3x3, avg_pool_3x3, skip_connect, none');
  const a = adaptGenotype(PC_DARTS, s);
  const names = new Set(s.ops.map((o) => o.name));
  for (const [op] of [...a.genotype.normal, ...a.genotype.reduce]) assert.ok(names.has(op), op);
  const subs = new Set(a.substitutions.map((x) => `${x.from}->${x.to}`));
  // PC-DARTS's cell uses sep_conv_5x5 (same kind, nearest kernel) and max_pool_3x3 (pool family).
  assert.deepEqual([...subs].sort(), ['max_pool_3x3->avg_pool_3x3', 'sep_conv_5x5->sep_conv_3x3']);
  assert.equal(a.droppedNodes, 0);
  // Inputs and node count unchanged; ops of the space untouched.
  assert.deepEqual(a.genotype.normal.map((e) => e[1]), PC_DARTS.normal.map((e) => e[1]));
  assert.deepEqual(a.genotype.normal[4], ['sep_conv_3x3', 0], 'sep_conv_5x5 replaced in place');
  assert.deepEqual(a.genotype.normal[6], ['avg_pool_3x3', 0], 'an op of the space is kept');
  assert.deepEqual(a.genotype.reduce[1], ['avg_pool_3x3', 0], 'max_pool_3x3 replaced in place');

  // Only dilated convs: a separable conv falls back to the conv family.
  const d = adaptGenotype(PC_DARTS, space('dil_conv_3x3, max_pool_3x3, skip_connect, none'));
  assert.ok(d.substitutions.some((x) => x.from === 'sep_conv_3x3' && x.to === 'dil_conv_3x3'));
  assert.ok(d.substitutions.some((x) => x.from === 'avg_pool_3x3' && x.to === 'max_pool_3x3'));
  assert.ok(!d.substitutions.some((x) => x.from === 'max_pool_3x3'), 'max_pool_3x3 is in the space');
});

test('adaptGenotype: nodes beyond the space are dropped and the adapted cell builds and runs', () => {
  const s = space('sep_conv_3x3, max_pool_3x3, skip_connect, none', 2);
  const a = adaptGenotype(PC_DARTS, s);
  assert.equal(a.droppedNodes, 2);
  assert.equal(a.genotype.normal.length, 4);
  assert.deepEqual(a.genotype.normal_concat, [2, 3]);
  assert.ok([...a.genotype.normal, ...a.genotype.reduce].every(([, input]) => input < 4));
  const net = new DiscreteNetwork(s, a.genotype, { input: [8, 8, 3], numClasses: 5, seed: 1 });
  try {
    const before = tf.memory().numTensors;
    const shape = tf.tidy(() => net.forward(tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D, false).shape);
    assert.deepEqual(shape, [2, 5]);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    net.dispose();
  }
});

test('adaptGenotype: every reference cell fits the quality spaces without substitutions outside them', () => {
  for (const f of ['synthetic', 'fashion-mnist']) {
    const s = loadSearchSpace(readFileSync(`bench/quality/${f}.bnas`, 'utf8')).space;
    assert.ok(s, f);
    const names = new Set(s.ops.map((o) => o.name));
    for (const ref of readdirSync('bench/search/reference-cells')) {
      const g = adaptGenotype(JSON.parse(readFileSync(join('bench/search/reference-cells', ref), 'utf8')), s).genotype;
      for (const [op] of [...g.normal, ...g.reduce]) assert.ok(names.has(op), `${ref}: ${op} not in ${f}`);
    }
  }
});

test('adaptGenotype: an unknown op name is left for the network builder to report', () => {
  const g: Genotype = { normal: [['warp_9x9', 0], ['skip_connect', 1]], normal_concat: [2], reduce: [['skip_connect', 0], ['skip_connect', 1]], reduce_concat: [2] };
  const a = adaptGenotype(g, space('sep_conv_3x3, skip_connect, none', 1));
  assert.equal(a.genotype.normal[0][0], 'warp_9x9');
  assert.equal(a.substitutions.length, 0);
});
