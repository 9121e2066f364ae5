/**
 * The supernet memory estimate behaves like the thing it estimates: linear in the batch, smaller
 * with more partial-channel groups k and with fewer ops, larger with bigger images; and it drives
 * the `memory-over-budget` warning.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellChannels, classesOf, estimateSupernetMemory, loadSearchSpace, type SearchSpace } from '../../../runtime/dsl/index.js';

function space(body: string): SearchSpace {
  const r = loadSearchSpace(`search s { ${body} budget { memory_mb = 1000000 } }`);
  assert.ok(r.space, JSON.stringify(r.diagnostics));
  return r.space;
}

describe('supernet memory estimate', () => {
  it('activations grow linearly with the batch', () => {
    const a = estimateSupernetMemory(space('train { batch = 16 }'));
    const b = estimateSupernetMemory(space('train { batch = 32 }'));
    assert.ok(Math.abs(b.activationsMb / a.activationsMb - 2) < 1e-9);
    assert.equal(a.parameters, b.parameters);
  });

  it('partial channels (larger k) cut the activations, and k = 1 is the most expensive', () => {
    const mb = [1, 2, 4, 8].map((k) => estimateSupernetMemory(space(`sampling { k = ${k} }`)).activationsMb);
    for (let i = 1; i < mb.length; i++) assert.ok(mb[i]! < mb[i - 1]!, mb.join(' > '));
    assert.ok(mb[0]! / mb[2]! > 2, `k=4 should save more than half: ${mb}`);
  });

  it('fewer ops and smaller images need less memory', () => {
    const all = estimateSupernetMemory(space(''));
    const few = estimateSupernetMemory(space('ops = [skip_connect, sep_conv_3x3]'));
    assert.ok(few.totalMb < all.totalMb);
    const small = estimateSupernetMemory(space('data { image = 8 }'));
    const large = estimateSupernetMemory(space('data { image = 32 }'));
    assert.ok(Math.abs(large.activationsMb / small.activationsMb - 16) < 1.5, `${large.activationsMb / small.activationsMb}`);
  });

  it('reports per-cell channels and resolutions', () => {
    const s = space('data { image = 16 } supernet { cells = 5, reductions = [1, 3], channels = 8 }');
    const e = estimateSupernetMemory(s);
    assert.deepEqual(cellChannels(s), [8, 16, 16, 32, 32]);
    assert.deepEqual(e.cells.map((c) => [c.channels, c.resolution, c.reduction]), [
      [8, 16, false],
      [16, 8, true],
      [16, 8, false],
      [32, 4, true],
      [32, 4, false],
    ]);
    assert.ok(e.parameters > 0);
    assert.ok(Math.abs(e.cells.reduce((x, c) => x + c.activationsMb, 0) - e.activationsMb) < e.activationsMb);
  });

  it('the budget warning quotes the same estimate', () => {
    const text = 'search s { data { image = 32 } supernet { channels = 16 } train { batch = 64 } budget { memory_mb = 50 } }';
    const r = loadSearchSpace(text);
    const w = r.diagnostics.find((d) => d.code === 'memory-over-budget');
    assert.ok(w && r.space, JSON.stringify(r.diagnostics));
    const mb = Math.round(estimateSupernetMemory(r.space).totalMb);
    assert.equal(w.data?.estimateMb, mb);
    assert.ok(w.message.includes(`about ${mb} MB`));
    assert.ok(!loadSearchSpace(text.replace('memory_mb = 50', `memory_mb = ${mb + 1}`)).diagnostics.some((d) => d.code === 'memory-over-budget'));
  });
});

describe('the run\'s estimate', () => {
  it('is the editor estimate with the data set\'s sizes: same numbers for the space\'s own, more classes add head weights', async () => {
    // The runtime's estimate lives with the supernet (it may not be imported by the DSL) and
    // passes what the data set says; the budget warning must quote the number a run would report.
    const { estimateSupernetMemory: runtimeEstimate } = await import('../../../runtime/supernet/memory.js');
    const { examples } = await import('./helpers.js');
    const { imageSizeOf } = await import('../../../runtime/dsl/index.js');
    for (const e of examples()) {
      const s = loadSearchSpace(e.text).space!;
      const mine = estimateSupernetMemory(s);
      const channels = s.data.source === 'cifar10' || s.data.source === 'synthetic' ? 3 : 1;
      const theirs = runtimeEstimate(s, imageSizeOf(s), channels, s.train.batch);
      assert.equal(theirs.totalMb, mine.totalMb, e.name);
      assert.equal(theirs.totalBytes, Math.round(mine.totalMb * 1024 * 1024), e.name);
      const more = runtimeEstimate(s, imageSizeOf(s), channels, s.train.batch, 100);
      const last = loadSearchSpace(e.text).space!.supernet;
      const added = 100 - classesOf(s);
      assert.equal(more.parameters - theirs.parameters, added * (last.nodes * cellChannels(s).at(-1)! + 1), `${e.name}: more classes × (the last cell's output channels + a bias)`);
    }
  });
});
