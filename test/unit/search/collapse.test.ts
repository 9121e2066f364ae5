import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOSTLY_PARAM_FREE, paramFreeLines, paramFreeShare } from '../../../runtime/search/collapse.js';
import type { OpSpec } from '../../../runtime/dsl/space.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';

const op = (name: string, kind: OpSpec['kind']): OpSpec => ({ name, kind, kernel: 3, dilation: 1, repeat: 1, builtin: true });
const OPS = [op('sep_conv_3x3', 'sep_conv'), op('max_pool_3x3', 'max_pool'), op('avg_pool_3x3', 'avg_pool'), op('skip_connect', 'skip'), op('none', 'zero')];
const concat = [2, 3];

test('parameter-free share: pools, stride-1 skips and none count; convs, unknown ops and stride-2 skips do not', () => {
  const g: Genotype = {
    // 3 of 4 parameter-free
    normal: [['skip_connect', 0], ['max_pool_3x3', 1], ['avg_pool_3x3', 2], ['sep_conv_3x3', 1]],
    normal_concat: concat,
    // skips on inputs 0 and 1 of a reduction cell are factorized reduces (weights); on node 2 a skip is an identity
    reduce: [['skip_connect', 0], ['skip_connect', 1], ['skip_connect', 2], ['my_op', 2]],
    reduce_concat: concat,
  };
  assert.deepEqual(paramFreeShare(g, OPS), { normal: 0.75, reduce: 0.25 });
  const lines = paramFreeLines(paramFreeShare(g, OPS), g);
  assert.equal(lines[0], 'parameter-free edges (pool, skip, none): normal 3 of 4, reduction 1 of 4');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^warning: the normal cell is mostly parameter-free/);
  for (const setting of ['train.epochs', 'data.train', 'pruning.start', '`ops`']) assert.ok(lines[1].includes(setting), setting);
});

test('no warning at or below half; both cells named when both are mostly parameter-free', () => {
  const half: Genotype = {
    normal: [['none', 0], ['max_pool_3x3', 1], ['sep_conv_3x3', 2], ['sep_conv_3x3', 1]],
    normal_concat: concat,
    reduce: [['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 2], ['sep_conv_3x3', 2]],
    reduce_concat: concat,
  };
  assert.equal(paramFreeShare(half, OPS).normal, MOSTLY_PARAM_FREE);
  assert.equal(paramFreeLines(paramFreeShare(half, OPS), half).length, 1);
  const pools: Genotype = { ...half, normal: half.normal.map(([, i]) => ['avg_pool_3x3', i] as const), reduce: half.reduce.map(([, i]) => ['max_pool_3x3', i] as const) };
  const share = paramFreeShare(pools, OPS);
  assert.deepEqual(share, { normal: 1, reduce: 1 });
  assert.match(paramFreeLines(share, pools)[1], /^warning: the normal and reduction cells are mostly parameter-free/);
});
