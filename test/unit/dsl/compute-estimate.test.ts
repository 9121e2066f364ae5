/**
 * The supernet compute estimate (runtime/dsl/compute.ts) counts the multiply-adds of the layout
 * the runtime builds: checked on a two-cell space worked out by hand, and on the properties the
 * search benchmark's analysis relies on (bench/search/macs.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeWithAlive, estimateSupernetCompute, loadSearchSpace, opMacsPerPixel, pruningBounds, searchMacs, totalMacs, type PruneEvent, type SearchSpace } from '../../../runtime/dsl/index.js';

function space(body: string): SearchSpace {
  const r = loadSearchSpace(`search s { ${body} budget { memory_mb = 1000000 } }`);
  assert.ok(r.space, JSON.stringify(r.diagnostics));
  return r.space;
}

const TINY = space(`
  data { source = synthetic, image = 4 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 1, stem_multiplier = 1 }
  ops = [none, skip_connect, max_pool_3x3, sep_conv_3x3]
  sampling { k = 2 }`);

describe('supernet compute estimate', () => {
  it('counts a two-cell space as worked out by hand', () => {
    const e = estimateSupernetCompute(TINY);
    // Stem: 4×4 pixels × 3×3 taps × 3 input channels × 4 output channels.
    assert.equal(e.stem, 16 * 9 * 3 * 4);
    // Cell 0 (normal, C = 4, 4×4): two 1×1 convs 4 → 4. Cell 1 (reduction, C = 8, inputs 4×4):
    // two 1×1 convs 4 → 8 at the inputs' size.
    assert.equal(e.preprocess, 16 * (4 * 4 + 4 * 4) + 16 * (4 * 8 + 4 * 8));
    // Mix: cell 0, 2 edges × 16 pixels × 4 channels; cell 1, 2 stride-2 edges × 4 pixels × 8
    // channels, plus the 2×2 pooling of the 4 bypassed channels.
    assert.equal(e.mix, 2 * 16 * 4 + 2 * (4 * 8 + 4 * 4 * 4));
    // Head: global pooling of 2×2 × 8 channels, then 8 → 6 classes (the synthetic source's).
    assert.equal(e.head, 4 * 8 + 8 * 6);
    // Normal edges (C/K = 2 channels, 16 pixels): none 0, identity 0, max pool 9·2, separable
    // conv 2·(9·2 + 2·2) per pixel.
    assert.deepEqual(e.ops.normal, [[0, 0, 16 * 18, 16 * 44], [0, 0, 16 * 18, 16 * 44]]);
    // Reduction edges (C/K = 4, stride 2, 4 pixels): a factorized reduce 4·4, pool 9·4, separable 2·(9·4 + 4·4).
    assert.deepEqual(e.ops.reduce, [[0, 4 * 16, 4 * 36, 4 * 104], [0, 4 * 16, 4 * 36, 4 * 104]]);
    assert.equal(e.fixed, e.stem + e.preprocess + e.mix + e.head);
    assert.equal(e.total, e.fixed + 2 * (16 * 18 + 16 * 44) + 2 * (4 * 16 + 4 * 36 + 4 * 104));
  });

  it('a supernet with every op alive costs the total, one with none alive the fixed part', () => {
    const e = estimateSupernetCompute(TINY);
    const all = { normal: e.ops.normal.map((r) => r.map(() => true)), reduce: e.ops.reduce.map((r) => r.map(() => true)) };
    const none = { normal: e.ops.normal.map((r) => r.map(() => false)), reduce: e.ops.reduce.map((r) => r.map(() => false)) };
    assert.equal(computeWithAlive(e, all), e.total);
    assert.equal(computeWithAlive(e, none), e.fixed);
    all.normal[0][3] = false;
    assert.equal(computeWithAlive(e, all), e.total - e.ops.normal[0][3]);
  });

  it('partial channels shrink the ops, not the fixed part; bigger images grow both by the pixel count', () => {
    const k1 = estimateSupernetCompute(space('sampling { k = 1 } supernet { channels = 16 }'));
    const k4 = estimateSupernetCompute(space('sampling { k = 4 } supernet { channels = 16 }'));
    assert.equal(k4.stem + k4.preprocess + k4.head, k1.stem + k1.preprocess + k1.head);
    assert.ok(k4.total - k4.fixed < (k1.total - k1.fixed) / 3, `ops at k=4 ${k4.total - k4.fixed} vs k=1 ${k1.total - k1.fixed}`);
    const small = estimateSupernetCompute(space('data { image = 8 }'));
    const large = estimateSupernetCompute(space('data { image = 32 }'));
    assert.equal(large.imageSize, 32);
    assert.ok(Math.abs((large.total - large.head) / (small.total - small.head) - 16) < 1e-9);
  });

  it('an op repeated twice costs its strided first copy plus a stride-1 copy', () => {
    const s = space('op twice { kind = sep_conv, kernel = 3, repeat = 2 } ops = [sep_conv_3x3, twice]');
    const [once, twice] = s.ops;
    assert.equal(opMacsPerPixel(twice, 4, 1), 2 * opMacsPerPixel(once, 4, 1));
    assert.equal(opMacsPerPixel(s.ops[0], 4, 2), opMacsPerPixel(s.ops[0], 4, 1));
  });
});

describe('search compute estimate', () => {
  const S = space(`
    data { source = synthetic, image = 8, train = 2048, split = 0.5 }
    supernet { cells = 3, reductions = [1], channels = 8, nodes = 2 }
    ops = [none, skip_connect, max_pool_3x3, sep_conv_3x3, dil_conv_5x5]
    pruning { criterion = performance, start = 1, every = 1, drop = 1, samples = 2 }
    train { epochs = 6, batch = 32, warmup = 2 }`);

  it('an unpruned search is its steps, architecture steps after the warm-up and validation passes, over every op', () => {
    const e = estimateSupernetCompute(S);
    const none: SearchSpace = { ...S, pruning: { ...S.pruning, criterion: 'none' } };
    const epochs = searchMacs(none, []);
    assert.equal(epochs.length, 6);
    // 1024 weight images in 32 steps of 32; 1024 architecture images validated every epoch.
    assert.equal(epochs[0].train, 32 * 32 * 3 * e.total);
    assert.equal(epochs[2].train, 32 * 32 * (3 + 2) * e.total);
    assert.equal(epochs[5].valid, 1024 * e.total);
    assert.ok(epochs.every((x) => x.prune === 0));
    assert.equal(pruningBounds(none).best, totalMacs(epochs));
  });

  it('any rounds the schedule allows cost between the best and the worst bound; the best costs less than no pruning', () => {
    const b = pruningBounds(S);
    assert.ok(b.best < b.worst && b.best < b.unpruned, JSON.stringify(b));
    const e = estimateSupernetCompute(S);
    // Rounds after epochs 1..5 that abandon ops in a seeded random order, keeping a real op last.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 5; trial++) {
      const events: PruneEvent[] = [];
      for (const cell of ['normal', 'reduce'] as const) {
        e.ops[cell].forEach((row, edge) => {
          const order = row.map((_, op) => op).sort(() => rand() - 0.5).filter((op) => op !== 0);
          const dropped = [0, ...order.slice(0, -1)].sort(() => rand() - 0.5);
          dropped.forEach((op, i) => events.push({ epoch: i + 1, cell, edge, op }));
        });
      }
      const t = totalMacs(searchMacs(S, events));
      assert.ok(t >= b.best - 1e-6 && t <= b.worst + 1e-6, `trial ${trial}: ${t} not in [${b.best}, ${b.worst}]`);
    }
  });

  it('a round costs its candidates only in the epochs that end with one', () => {
    const events: PruneEvent[] = [{ epoch: 3, cell: 'normal', edge: 0, op: 4 }];
    const epochs = searchMacs(S, events);
    assert.ok(epochs[2].prune > 0);
    assert.ok(epochs.filter((x) => x.epoch !== 3).every((x) => x.prune === 0));
    // From epoch 4 on the abandoned op is not computed.
    assert.ok(epochs[3].train < epochs[2].train);
    assert.equal(epochs[3].opsAlive, epochs[2].opsAlive - 1);
  });

  it('with few steps an epoch the candidates of the rounds cost more than the abandoned ops save', () => {
    const small: SearchSpace = { ...S, data: { ...S.data, train: 256 } };
    const b = pruningBounds(small);
    assert.ok(b.best > b.unpruned, JSON.stringify(b));
  });
});
