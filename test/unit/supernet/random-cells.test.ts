// Random cells (runtime/supernet/random-cells.ts): the uniform rule, and the caps rule that draws
// uniformly among the cells obeying the derivation caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { CELL_KINDS, type Genotype } from '../../../runtime/protocol/genotype.js';
import { Rng } from '../../../runtime/random/rng.js';
import { capsOf, obeysCaps, randomGenotype, type CellCaps } from '../../../runtime/supernet/random-cells.js';

function spaceOf(ops: string, derive = ''): SearchSpace {
  const { space, diagnostics } = loadSearchSpace(`search "r" {
  data { source = synthetic, train = 32, test = 16, image = 8 }
  supernet { cells = 3, reductions = [1], channels = 4, nodes = 4 }
  ops = [${ops}]
  ${derive}
  train { epochs = 4, batch = 16, seed = 1 }
  optimizer weights { kind = adam, lr = 0.01, weight_decay = 0 }
}`);
  assert.ok(space, JSON.stringify(diagnostics.map((d) => d.message)));
  return space;
}

const OPS = 'conv_3x3, conv_1x1, max_pool_3x3, avg_pool_3x3, skip_connect, none';
const obeys = (g: Genotype, space: SearchSpace, caps: CellCaps) => CELL_KINDS.every((k) => obeysCaps(g[k], k, space, caps));

test('capsOf: the caps of the space\'s derive block, the defaults where it has none', () => {
  assert.deepEqual(capsOf(spaceOf(OPS, 'derive { max_param_free = 3, max_inner_edges = 2 }')), { maxParamFree: 3, maxInnerEdges: 2 });
  const defaults = capsOf(spaceOf(OPS));
  assert.ok(defaults.maxParamFree !== undefined && defaults.maxInnerEdges !== undefined, JSON.stringify(defaults));
});

test('obeysCaps: counts parameter-free ops (a stride-2 skip of a reduction cell has weights) and edges from intermediate nodes', () => {
  const space = spaceOf(OPS);
  const cell: Genotype['normal'] = [['skip_connect', 0], ['max_pool_3x3', 1], ['conv_3x3', 0], ['avg_pool_3x3', 2], ['conv_1x1', 3], ['conv_3x3', 1], ['conv_3x3', 0], ['conv_3x3', 1]];
  assert.equal(obeysCaps(cell, 'normal', space, { maxParamFree: 3 }), true);
  assert.equal(obeysCaps(cell, 'normal', space, { maxParamFree: 2 }), false);
  // In the reduction cell the skip reads input 0 at stride 2: a factorized reduce, with weights.
  assert.equal(obeysCaps(cell, 'reduce', space, { maxParamFree: 2 }), true);
  assert.equal(obeysCaps(cell, 'reduce', space, { maxParamFree: 1 }), false);
  assert.equal(obeysCaps(cell, 'normal', space, { maxInnerEdges: 2 }), true);
  assert.equal(obeysCaps(cell, 'normal', space, { maxInnerEdges: 1 }), false);
  assert.equal(obeysCaps(cell, 'normal', space, {}), true);
});

test('the caps rule: every cell obeys the caps, where uniform cells often do not; several cells obey them', () => {
  const space = spaceOf(OPS, 'derive { max_param_free = 2, max_inner_edges = 1 }');
  const caps = capsOf(space);
  let uniformBreaks = 0;
  const capped = new Set<string>();
  for (let seed = 1; seed <= 100; seed++) {
    const g = randomGenotype(space, new Rng(seed), caps);
    assert.ok(obeys(g, space, caps), JSON.stringify(g));
    for (const k of CELL_KINDS) assert.equal(g[k].length, 8);
    assert.ok(!g.normal.some(([op]) => op === 'none'));
    capped.add(JSON.stringify(g.normal));
    if (!obeys(randomGenotype(space, new Rng(seed)), space, caps)) uniformBreaks++;
  }
  assert.ok(uniformBreaks > 50, `only ${uniformBreaks} of 100 uniform genotypes break the caps: the test would not tell the rules apart`);
  assert.ok(capped.size > 90, `${capped.size} distinct normal cells of 100`);
});

test('the caps rule is the uniform draw conditioned on the caps: the first cells of the same stream that obey them', () => {
  const space = spaceOf(OPS);
  const caps: CellCaps = { maxParamFree: 1, maxInnerEdges: 0 };
  for (let seed = 1; seed <= 5; seed++) {
    const g = randomGenotype(space, new Rng(seed), caps);
    // The uniform rule draws cell after cell from the stream (normal, then reduce): the same cells one at a time.
    const rng = new Rng(seed);
    const cells: Genotype['normal'][] = [];
    const nextCell = () => {
      if (!cells.length) {
        const u = randomGenotype(space, rng);
        cells.push(u.normal, u.reduce);
      }
      return cells.shift()!;
    };
    let normal = nextCell();
    while (!obeysCaps(normal, 'normal', space, caps)) normal = nextCell();
    let reduce = nextCell();
    while (!obeysCaps(reduce, 'reduce', space, caps)) reduce = nextCell();
    assert.deepEqual(g.normal, normal);
    assert.deepEqual(g.reduce, reduce);
  }
});

test('caps no cell can obey are reported at once, with the way out', () => {
  const space = spaceOf('max_pool_3x3, avg_pool_3x3, skip_connect, none');
  // Every op is parameter-free at stride 1: a normal cell cannot have fewer than 8.
  assert.throws(() => randomGenotype(space, new Rng(1), { maxParamFree: 2 }), /no random normal cell can obey the derivation caps.*--random-rule uniform/);
  // At stride 2 the skip is a factorized reduce, so only the normal cell is impossible; without caps both draw.
  assert.ok(randomGenotype(space, new Rng(1)));
});

test('the uniform rule draws the recorded random cells of a seed again (bench/quality/results-sweep/cells-6cells, group R)', () => {
  const file = 'bench/quality/protocol-conv-6.bnas';
  const { space } = loadSearchSpace(readFileSync(file, 'utf8'), { filePath: file });
  assert.ok(space);
  const record = JSON.parse(readFileSync('bench/quality/results-sweep/cells-6cells/evaluations.json', 'utf8')) as { evaluations: { group: string; seed: number; genotype: Genotype }[] };
  for (const seed of [1, 2]) {
    const recorded = record.evaluations.filter((e) => e.group === 'R' && e.seed === seed).map((e) => e.genotype);
    assert.equal(recorded.length, 3);
    const rng = Rng.stream(seed, 'random-cells');
    for (const g of recorded) assert.deepEqual(randomGenotype(space, rng), g);
  }
});
