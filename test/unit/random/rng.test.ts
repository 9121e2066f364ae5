/** The runtime's one seeded generator: determinism, resumable state, named streams, distributions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, hashInts, permutation } from '../../../runtime/random/rng.js';

const draw = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

test('the same seed gives the same sequence, and a saved state continues it exactly', () => {
  const a = new Rng(42);
  assert.deepEqual(draw(a, 20), draw(new Rng(42), 20));
  assert.notDeepEqual(draw(new Rng(42), 20), draw(new Rng(43), 20));
  const saved: number = JSON.parse(JSON.stringify(a.state()));
  const expected = [a.next(), a.normal(), a.int(1000), a.uniform(-3, 5), a.seed(), a.next()];
  const b = new Rng(0);
  b.restore(saved);
  assert.deepEqual([b.next(), b.normal(), b.int(1000), b.uniform(-3, 5), b.seed(), b.next()], expected, 'normal() leaves no hidden state behind');
});

test('a named stream depends only on (seed, name, counters): not on other streams or the order they are made in', () => {
  const first = Rng.stream(7, 'prune');
  const other = Rng.stream(7, 'init');
  draw(other, 100);
  const prune = draw(first, 10);
  const otherFirst = Rng.stream(7, 'init');
  const pruneLater = Rng.stream(7, 'prune');
  draw(otherFirst, 3);
  assert.deepEqual(draw(pruneLater, 10), prune);
  const streams = [
    Rng.stream(7, 'prune'), Rng.stream(7, 'init'), Rng.stream(8, 'prune'),
    Rng.stream(7, 'order/weights', 0), Rng.stream(7, 'order/weights', 1), Rng.stream(7, 'order/weights', 0, 1), Rng.stream(7, 'order/weights', 1, 0),
    Rng.stream(2 ** 32 + 7, 'prune'), Rng.stream(-7, 'prune'),
  ].map((r) => draw(r, 4).join());
  assert.equal(new Set(streams).size, streams.length, 'names, counters, their order and seeds beyond 32 bits all change the stream');
});

test('hashInts folds every bit of integers up to 2^53 and is order-sensitive', () => {
  const values = [0, 1, -1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 52 + 3, Number.MAX_SAFE_INTEGER];
  assert.equal(new Set(values.map((v) => hashInts(v))).size, values.length);
  assert.notEqual(hashInts(1, 2), hashInts(2, 1));
  for (const v of values) assert.ok(Number.isInteger(hashInts(v)) && hashInts(v) >= 0 && hashInts(v) < 2 ** 32);
});

test('uniform, integer, normal and seed draws have the documented ranges and moments', () => {
  const r = Rng.stream(3, 'moments');
  const n = 40000;
  let mean = 0;
  let z1 = 0;
  let z2 = 0;
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    mean += u / n;
    counts[r.int(10)]++;
    const z = r.normal();
    z1 += z / n;
    z2 += (z * z) / n;
    const s = r.seed();
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
  }
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  assert.ok(counts.every((c) => Math.abs(c - n / 10) < 0.06 * (n / 10)), `int(10) counts ${counts}`);
  assert.ok(Math.abs(z1) < 0.03 && Math.abs(z2 - 1) < 0.04, `normal: mean ${z1}, E[z²] ${z2}`);
  for (let i = 0; i < 1000; i++) {
    const u = r.uniform(-2, 3);
    assert.ok(u >= -2 && u < 3);
  }
});

test('permutation is a permutation and puts each element first about equally often', () => {
  const firsts = new Array<number>(5).fill(0);
  for (let t = 0; t < 5000; t++) {
    const p = permutation(5, Rng.stream(1, 'perm', t));
    assert.deepEqual(Array.from(p).sort(), [0, 1, 2, 3, 4]);
    firsts[p[0]]++;
  }
  assert.ok(firsts.every((c) => Math.abs(c - 1000) < 120), `first elements ${firsts}`);
  assert.deepEqual(permutation(50, Rng.stream(9, 'perm')), permutation(50, Rng.stream(9, 'perm')));
});
