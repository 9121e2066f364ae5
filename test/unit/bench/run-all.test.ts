// The bench runner's headline table: numbers are taken from each area's JSON as recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headlines } from '../../../bench/run-all.js';

test('headlines: peer ratio, search ratios, quality verdict and editor numbers from the areas JSON', () => {
  const rows = headlines([
    { area: 'peers', status: 'ran', data: { f: { k: 4, summary: [{ name: 'tfjs-wasm naive', medianMs: 800 }, { name: 'tfjs-wasm fused', medianMs: 400 }, { name: 'pytorch 1 thread', medianMs: 300 }, { name: 'pytorch 2 threads', medianMs: 900 }] } } },
    { area: 'search', status: 'collected', data: { f: { ratios: { cpuVsPcDarts: 0.5, cpuVsDarts: 0.25 } } } },
    {
      area: 'quality', status: 'ran', data: {
        f: {
          results: [{
            dataset: 'synthetic',
            modes: [{ mode: 'bnas', seconds: { mean: 10, n: 3 } }, { mode: 'pc-darts', seconds: { mean: 20, n: 3 } }, { mode: 'darts', seconds: { mean: 40, n: 3 } }],
            headline: { searched: { mean: 0.6, std: 0.02, n: 3 }, random: { mean: 0.5, std: 0.03, n: 5 }, margin: 0.1, beatsRandomBeyondNoise: true },
            groups: [{ group: 'searched', accuracies: [0.6, 0.6], float: [0.8, 0.9] }],
          }],
        },
      },
    },
    { area: 'webview', status: 'ran', data: { stdout: { events: 100, firstRender: { totalMs: 250 }, liveBatch10: { eventsPerSecond: 900 } } } },
  ]);
  const value = (area: string, part: string) => rows.find((r) => r.area === area && r.metric.includes(part))?.value;
  assert.equal(value('peers', 'PyTorch'), '0.75× (PyTorch 300 ms, this runtime 400 ms)');
  assert.equal(value('search', 'PC-DARTS'), '0.50 (50 % less)');
  assert.equal(value('search', '÷ DARTS mode'), '0.25');
  assert.equal(value('quality', 'random'), '60.0 % ± 2.0 % vs 50.0 % ± 3.0 % → +10.0 points, beyond the noise');
  assert.equal(value('quality', 'gap'), '25.0 points');
  assert.equal(value('webview', 'first render'), '250');
  assert.equal(rows.filter((r) => r.area === 'search').length, 2);
  assert.equal(rows.find((r) => r.area === 'search (quality run)')?.value, '0.50, 0.25', 'wall time when CPU time is not recorded');
});

test('headlines: the quality run gives the mode time ratios in CPU time when recorded', () => {
  const rows = headlines([{
    area: 'quality', status: 'ran', data: {
      f: { results: [{ dataset: 'x', modes: [{ mode: 'bnas', seconds: { mean: 6, n: 2 }, cpuSeconds: { mean: 3, n: 2 } }, { mode: 'pc-darts', seconds: { mean: 12, n: 2 }, cpuSeconds: { mean: 4, n: 2 } }, { mode: 'darts', seconds: { mean: 24, n: 2 }, cpuSeconds: { mean: 12, n: 2 } }], headline: { searched: { mean: 0.2, std: 0.1, n: 2 }, random: { mean: 0.25, std: 0.01, n: 3 }, margin: -0.05, beatsRandomBeyondNoise: false }, groups: [] }] },
    },
  }]);
  const s = rows.find((r) => r.area === 'search (quality run)');
  assert.ok(s?.metric.includes('CPU time (x, 2 seeds)'));
  assert.equal(s?.value, '0.75, 0.25');
  assert.match(rows.find((r) => r.area === 'quality')?.value ?? '', /-5\.0 points, within the noise$/);
});

test('headlines: a search record under the memory rule names DARTS mode batch; a record without DARTS mode has no DARTS row', () => {
  const rows = headlines([
    {
      area: 'search', status: 'collected', data: {
        mem: { space: 'bench/search/space-paper-steps.bnas', batchRule: 'memory', batches: { bnas: 32, 'pc-darts': 32, darts: 9 }, ratios: { x1: { cpuVsPcDarts: 0.8, cpuVsDarts: 0.2 } } },
        pair: { space: 'bench/search/space.bnas', ratios: { x1: { cpuVsPcDarts: 0.9 } } },
      },
    },
  ]);
  const darts = rows.filter((r) => r.area === 'search' && r.metric.includes('DARTS mode') && !r.metric.includes('PC-DARTS'));
  assert.equal(darts.length, 1);
  assert.match(darts[0].metric, /space-paper-steps\.bnas.*memory-matched batch 9 against 32/);
  assert.equal(darts[0].value, '0.20');
  assert.ok(rows.some((r) => r.metric.includes('space.bnas') && r.value.startsWith('0.90')));
});
