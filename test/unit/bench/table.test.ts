// The headline manifest and the tables generated from it: each number is read from its record,
// the README and bench index blocks are exactly what the committed records give, and every record
// made from now on carries its provenance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandOf, HEADLINES, recordSpec, RECORDS, type Json } from '../../../bench/headlines.js';
import { headlineValues, markers, readmeTable, recordOrigin, replaceBlock, generate } from '../../../bench/table.js';
import { withOut } from '../../../bench/run-all.js';
import { provenance, stampRecord } from '../../../bench/record.js';

/** A reader over records given in memory, by record id. */
const reader = (byId: Record<string, Json>) => (file: string) => {
  const r = RECORDS.find((x) => x.file === file);
  return r ? byId[r.id] : undefined;
};
const valueOf = (byId: Record<string, Json>, id: string) => headlineValues(reader(byId)).find((v) => v.headline.id === id)?.value;

test('manifest: ids are unique, every headline reads records that exist, every record has a way to be made', () => {
  assert.equal(new Set(RECORDS.map((r) => r.id)).size, RECORDS.length);
  assert.equal(new Set(RECORDS.map((r) => r.file)).size, RECORDS.length);
  assert.equal(new Set(HEADLINES.map((h) => h.id)).size, HEADLINES.length);
  for (const h of HEADLINES) for (const id of h.records) assert.doesNotThrow(() => recordSpec(id), h.id);
  for (const r of RECORDS) {
    assert.ok(r.args || r.manual, `${r.id}: neither a command nor a manual step`);
    // A command writing into the scratch folder must move the record out of it.
    if (r.args?.some((a) => a.includes('{out}'))) assert.ok(Object.values(r.outputs ?? {}).includes(r.file), `${r.id}: record not among its outputs`);
    assert.match(commandOf(r), /\S/);
  }
  assert.ok(HEADLINES.some((h) => h.readme));
});

test('values: the peer ratio, the engine step and the search ratios come from their records', () => {
  const records: Record<string, Json> = {
    'peer-binary-k4': { summary: [{ name: 'tfjs-wasm naive', medianMs: 800 }, { name: 'tfjs-wasm cell-sgd', medianMs: 400 }, { name: 'pytorch 1 thread', medianMs: 300 }, { name: 'pytorch 2 threads', medianMs: 900 }] },
    'engine-step': { rows: [{ backend: 'wasm', config: 'binary-k4', variant: 'naive', medianMs: 400 }, { backend: 'wasm', config: 'binary-k4', variant: 'cell-sgd', medianMs: 100 }, { backend: 'cpu', config: 'binary-k4', variant: 'naive', medianMs: 9000 }] },
    'search-results-paper-long': { ratios: { x1: { cpuVsPcDarts: 0.5, macsVsPcDarts: 0.625 } } },
    'search-results-paper-long-memory': { batchRule: 'memory', batches: { bnas: 32, 'pc-darts': 32, darts: 9 }, ratios: { x1: { cpuVsPcDarts: 0.5, cpuVsDarts: 0.1 } } },
    // Older records keep the ratios flat, without a thread count.
    'search-results': { ratios: { cpuVsPcDarts: 0.9, cpuVsDarts: 0.45 } },
  };
  assert.equal(valueOf(records, 'peer-binary-k4'), '0.75× (this runtime 400 ms, PyTorch 300 ms)');
  assert.equal(valueOf(records, 'engine-step'), '400 → 100 ms (4.0×)');
  assert.equal(valueOf(records, 'search-long'), '0.50 (multiply-adds 0.63)');
  assert.equal(valueOf(records, 'search-darts-memory'), '0.10 (DARTS mode at batch 9, this method at 32)');
  assert.equal(valueOf(records, 'search-small'), '0.90, 0.45');
  assert.equal(valueOf(records, 'search-defaults'), undefined, 'a missing record gives no value');
});

test('values: quality verdicts, the pooled comparison with PC-DARTS mode and the float gap', () => {
  const fashion = (bnas: number[], pc: number[]) => ({
    dataset: 'fashion-mnist',
    groups: [{ group: 'searched (bnas, one cell per seed)', accuracies: bnas, float: bnas.map((x) => x + 0.05) }, { group: 'searched (PC-DARTS mode)', accuracies: pc }],
    headline: { searched: { mean: 0.6, std: 0.02, n: 3 }, random: { mean: 0.5, std: 0.03, n: 5 }, margin: 0.1, beatsRandomBeyondNoise: true },
    modes: [{ mode: 'bnas', cpuSeconds: { mean: 3 } }, { mode: 'pc-darts', cpuSeconds: { mean: 4 } }, { mode: 'darts', cpuSeconds: { mean: 12 } }],
  });
  const records: Record<string, Json> = {
    'quality-results': { results: [{ ...fashion([0.6, 0.62, 0.58], [0.6, 0.6, 0.6]), dataset: 'synthetic' }, fashion([0.6, 0.62, 0.58], [0.6, 0.6, 0.6])] },
    'quality-results-long': { results: [fashion([0.7, 0.72], [0.7, 0.74])] },
    'quality-results-long-b': { results: [fashion([0.71], [0.72])] },
  };
  assert.equal(valueOf(records, 'quality-fashion'), '60.0 ± 2.0 % vs 50.0 ± 3.0 % (3 seeds, 5 random cells): +10.0 points, beyond the noise');
  assert.equal(valueOf(records, 'quality-gap'), '5.0, 5.0 points');
  assert.equal(valueOf(records, 'quality-mode-time'), '0.75, 0.25');
  // Two records pooled: 3 seeds of each mode.
  assert.match(valueOf(records, 'quality-vs-pc-long') ?? '', /^71\.0 ± 1\.0 % vs 72\.0 ± 2\.0 % \(3 seeds each, Welch p = 0\.\d\d\)$/);
  assert.equal(valueOf(records, 'quality-vs-pc-defaults'), undefined);
});

test('values: the 6-cell evaluations pool the searched groups, compare them (today\'s defaults and the BNAS rule) with random cells, and pair them with the reference by seed', () => {
  const ev = (group: string, seed: number, accuracy: number) => ({ group, seed, accuracy });
  const records: Record<string, Json> = {
    'quality-cells-6cells': {
      evaluations: [
        // searched: H (re-derived) and S (fresh) pool into four seeds, 0.80 ± 0.02
        ev('H', 1, 0.78), ev('H', 2, 0.8), ev('S', 3, 0.82), ev('S', 4, 0.8),
        // a group that is not searched must not enter the pool
        ev('A', 1, 0.5),
        ev('R', 1, 0.76), ev('R', 1, 0.74), ev('R', 2, 0.75),
        ev('Q', 1, 0.79), ev('Q', 2, 0.79), ev('Q', 3, 0.8), ev('Q', 4, 0.78),
        // reference on three of the four seeds: differences −0.01, −0.02, +0.01
        ev('C', 1, 0.79), ev('C', 2, 0.82), ev('C', 3, 0.81),
        // under today's defaults (Z), two seeds the reference has: differences +0.02, 0
        ev('Z', 1, 0.81), ev('Z', 2, 0.82),
      ],
    },
  };
  assert.match(valueOf(records, 'quality-6cells-bnas-rule-random') ?? '', /^80\.0 ± 1\.6 % vs 75\.0 ± 1\.0 % \(4 seeds, 3 random cells\): \+5\.0 points, 5\.0× their std, Welch p [<=] /);
  assert.match(valueOf(records, 'quality-6cells-random') ?? '', /^81\.5 ± 0\.7 % vs 75\.0 ± 1\.0 % \(2 seeds, 3 random cells\): \+6\.5 points, 6\.5× their std, Welch p [<=] /);
  assert.match(valueOf(records, 'quality-6cells-confidence-reference') ?? '', /^\+1\.00 points paired over 2 seeds \(ahead on 1\), p = 0\.\d{3}$/);
  assert.match(valueOf(records, 'quality-6cells-caps') ?? '', /^80\.0 ± 1\.6 % vs 79\.0 ± 0\.8 % \(4 seeds, 4 random cells\): \+1\.0 points, 1\.2× their std, Welch p = 0\.\d{3}$/);
  // paired over the three seeds the reference has: mean −0.67 points, ahead on one
  assert.match(valueOf(records, 'quality-6cells-reference') ?? '', /^−0\.67 points paired over 3 seeds \(ahead on 1\), p = 0\.\d{3}$/);
  assert.equal(valueOf({}, 'quality-6cells-random'), undefined, 'a missing record gives no value');
});

test('values: the ranking rows read τ with its interval, the pull of the parameter-free share and the within-share τ, one supernet seed a record', () => {
  const rec = (tau: number, within: number, withinP: number): Json => ({
    tau, ci95: [tau - 0.1, tau + 0.1], two_sided_p: 0.0004, cells: [1, 2, 3],
    against_param_free: { estimate: { tau: 0.3 } }, within_param_free: { tau: within, permutation_p: withinP },
  });
  const k4 = { 'ranking-recorded-seed1': rec(-0.24, -0.12, 0.96), 'ranking-recorded-seed2': rec(0.15, 0.29, 0.0001) };
  assert.equal(
    valueOf(k4, 'quality-ranking'),
    'τ −0.24 [−0.34, −0.14] (two-sided p < 0.001), +0.15 [+0.05, +0.25] (two-sided p < 0.001) over 3 cells; '
      + 'the estimate follows the parameter-free share (τ +0.30, +0.30); among cells of equal share τ −0.12 (one-sided p = 0.960), +0.29 (one-sided p < 0.001)',
  );
  // A record without the within-share τ gives no value rather than a partial one.
  const old = { ...k4, 'ranking-recorded-seed2': { ...(rec(0.15, 0, 0) as object), within_param_free: undefined } as Json };
  assert.equal(valueOf(old, 'quality-ranking'), undefined);
  // Each row reads only its own records: the K = 1 row needs all three of its seeds.
  const k1 = { 'ranking-recorded-k1-seed1': rec(0.15, 0.29, 0.0001), 'ranking-recorded-k1-seed2': rec(0.04, 0.22, 0.0003) };
  assert.equal(valueOf(k1, 'quality-ranking-k1'), undefined);
  assert.match(valueOf({ ...k1, 'ranking-recorded-k1-seed3': rec(0.05, 0.23, 0.0006) }, 'quality-ranking-k1') ?? '', /^τ \+0\.15 .*, \+0\.05 .* among cells of equal share τ \+0\.29 .*, \+0\.23 \(one-sided p < 0\.001\)$/);
});

test('tables: the README shows the readme rows, a dash for a missing value, links relative to the document', () => {
  const values = headlineValues(reader({}));
  const table = readmeTable(values, '.');
  const rows = table.split('\n').slice(2);
  assert.equal(rows.length, HEADLINES.filter((h) => h.readme).length);
  assert.ok(rows.every((r) => r.includes('| – |')));
  assert.ok(table.includes('](bench/engine/results/engine-step-simd.json)'));
  assert.ok(readmeTable(values, 'bench').includes('](engine/results/engine-step-simd.json)'));
});

test('replaceBlock: replaces only between the markers and refuses a text without them', () => {
  const { begin, end } = markers('x');
  const text = `before\n${begin}\nold\n${end}\nafter\n`;
  assert.equal(replaceBlock(text, 'x', 'new'), `before\n${begin}\nnew\n${end}\nafter\n`);
  assert.equal(replaceBlock(replaceBlock(text, 'x', 'new'), 'x', 'new'), replaceBlock(text, 'x', 'new'), 'idempotent');
  assert.throws(() => replaceBlock('no markers', 'x', 'new'), /no markers/);
});

test('the committed README, bench index and results are what the committed records give', () => {
  for (const [file, text] of generate()) assert.ok(readFileSync(file, 'utf8') === text, `${file} is not what the records give: run npm run bench:table`);
});

test('provenance: a stamped record keeps its data and carries command, commit, versions and load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bnas-record-'));
  try {
    const file = join(dir, 'r.json');
    writeFileSync(file, JSON.stringify({ provenance: { command: 'old' }, rows: [1, 2] }));
    stampRecord(file, 'node bench/x.ts --out {out}', 'wasm');
    const r = JSON.parse(readFileSync(file, 'utf8')) as Json;
    assert.deepEqual(r.rows, [1, 2]);
    const p = r.provenance as ReturnType<typeof provenance>;
    assert.equal(p.command, 'node bench/x.ts --out {out}');
    assert.match(p.commit, /^([0-9a-f]{40}|unknown)$/);
    assert.equal(p.versions.node, process.version);
    assert.equal(p.versions.backend, 'wasm');
    assert.match(p.versions.tfjs ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(p.machine.loadavg.length, 3);
    assert.ok(p.machine.cores >= 1);
    assert.match(recordOrigin(r), /Z, commit [0-9a-f]{7}|commit unknown/);
    assert.match(recordOrigin({ date: '2026-01-01T00:00:00Z' }), /^2026-01-01T00:00Z, no provenance/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withOut: the scratch folder is filled into every argument', () => {
  assert.deepEqual(withOut(['a', '--out', '{out}', '{out}/x'], '/tmp/s'), ['a', '--out', '/tmp/s', '/tmp/s/x']);
});
