// The quality benchmark's writers (bench/quality/report.ts): statistics, tables and the
// accuracy-vs-search-time SVG, whose markers and error bars must follow the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedT } from '../../../runtime/sweep/stats.js';
import { accuracyTimeSvg, groupTable, incompleteBeta, modeTable, PLOT, stat, welch, type ModePoint } from '../../../bench/quality/report.js';
import { ticks } from '../../../media/shared/ticks.js';

const POINTS: ModePoint[] = [
  { mode: 'bnas', seconds: stat([30, 34, 32]), accuracy: stat([0.6, 0.7, 0.65]) },
  { mode: 'pc-darts', seconds: stat([40, 44, 42]), accuracy: stat([0.55, 0.56, 0.57]) },
  { mode: 'darts', seconds: stat([60, 70, 65]), accuracy: stat([0.5, 0.52, 0.48]) },
];

const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));

test('stat: mean and sample standard deviation', () => {
  const s = stat([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.mean, 5);
  assert.ok(Math.abs(s.std - Math.sqrt(32 / 7)) < 1e-12);
  assert.deepEqual(stat([3]), { mean: 3, std: 0, n: 1 });
  assert.ok(Number.isNaN(stat([]).mean));
});

test('ticks: round steps inside the range', () => {
  assert.deepEqual(ticks(0, 10), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(ticks(0.3, 0.71, 4), [0.3, 0.4, 0.5, 0.6, 0.7]);
  for (const t of ticks(13, 87)) assert.ok(t >= 13 && t <= 87);
});

test('SVG: one marker per mode, placed by its means; error bars span ± one std', () => {
  const svg = accuracyTimeSvg('t', POINTS);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const markers = [...svg.matchAll(/<circle class="marker"[^>]*>/g)].map((m) => attrs(m[0]));
  assert.deepEqual(markers.map((m) => m['data-mode']), ['bnas', 'pc-darts', 'darts']);
  markers.forEach((m, i) => {
    assert.equal(Number(m['data-x']), POINTS[i].seconds.mean);
    assert.ok(Math.abs(Number(m['data-y']) - 100 * POINTS[i].accuracy.mean) < 1e-9);
  });
  const cx = markers.map((m) => Number(m.cx)), cy = markers.map((m) => Number(m.cy));
  // Longer search → further right; higher accuracy → higher up (smaller y); all inside the frame.
  assert.ok(cx[0] < cx[1] && cx[1] < cx[2]);
  assert.ok(cy[0] < cy[1] && cy[1] < cy[2]);
  for (let i = 0; i < 3; i++) {
    assert.ok(cx[i] > PLOT.left && cx[i] < PLOT.width - PLOT.right);
    assert.ok(cy[i] > PLOT.top && cy[i] < PLOT.height - PLOT.bottom);
  }
  // x positions are linear in seconds: equal second gaps give equal pixel gaps.
  const pxPerSecond = (cx[1] - cx[0]) / (POINTS[1].seconds.mean - POINTS[0].seconds.mean);
  assert.ok(Math.abs((cx[2] - cx[1]) / (POINTS[2].seconds.mean - POINTS[1].seconds.mean) - pxPerSecond) < 1e-3);
  const xerr = [...svg.matchAll(/<line class="xerr"[^>]*>/g)].map((m) => attrs(m[0]));
  const yerr = [...svg.matchAll(/<line class="yerr"[^>]*>/g)].map((m) => attrs(m[0]));
  assert.equal(xerr.length, 3);
  assert.equal(yerr.length, 3);
  xerr.forEach((e, i) => assert.ok(Math.abs((Number(e.x2) - Number(e.x1)) - 2 * POINTS[i].seconds.std * pxPerSecond) < 0.05));
  // The darts mode has the widest time spread: its bar is the longest.
  assert.ok(Number(xerr[2].x2) - Number(xerr[2].x1) > Number(xerr[0].x2) - Number(xerr[0].x1));
  yerr.forEach((e, i) => assert.ok(Number(e.y1) > cy[i] && Number(e.y2) < cy[i], 'the bar straddles the marker'));
  assert.ok(svg.includes('search wall time (s)') && svg.includes('derived-cell test accuracy (%)'));
  assert.ok((svg.match(/class="xtick"/g) ?? []).length >= 3 && (svg.match(/class="ytick"/g) ?? []).length >= 3);
});

test('SVG: the CPU-time axis plots each mode at its CPU seconds', () => {
  const cpu = POINTS.map((p, i) => ({ ...p, cpuSeconds: stat([10 * (3 - i)]) }));
  const svg = accuracyTimeSvg('t', cpu, 'cpu');
  const xs = [...svg.matchAll(/<circle class="marker"[^>]*>/g)].map((m) => attrs(m[0]));
  assert.deepEqual(xs.map((m) => Number(m['data-x'])), [30, 20, 10]);
  assert.ok(Number(xs[0].cx) > Number(xs[1].cx) && Number(xs[1].cx) > Number(xs[2].cx), 'order follows CPU, not wall seconds');
  assert.ok(svg.includes('search CPU time (s)'));
  assert.ok(!svg.includes('class="chance"'), 'no chance line unless asked');
});

test('SVG: the chance line sits at the chance accuracy, below markers that beat it', () => {
  const svg = accuracyTimeSvg('t', POINTS, 'wall', 0.1);
  const line = attrs(/<line class="chance"[^>]*>/.exec(svg)?.[0] ?? '');
  const cy = [...svg.matchAll(/<circle class="marker"[^>]*>/g)].map((m) => Number(attrs(m[0]).cy));
  assert.equal(line.y1, line.y2);
  assert.ok(cy.every((y) => y < Number(line.y1)), 'every mode is above chance (10 %)');
  assert.ok(Number(line.y1) < PLOT.height - PLOT.bottom, 'the range is widened to show it');
});

test('SVG: mode names are escaped', () => {
  const svg = accuracyTimeSvg('a < b', [{ ...POINTS[0], mode: '<x&y>' }]);
  assert.ok(!svg.includes('<x&y>'));
  assert.ok(svg.includes('&lt;x&amp;y&gt;') && svg.includes('a &lt; b'));
});

test('tables: one row per group or mode, mean ± std in percent, float gap when measured', () => {
  const g = groupTable([
    { group: 'searched', accuracies: [0.5, 0.7], float: [0.8, 0.9] },
    { group: 'random', accuracies: [0.4, 0.4, 0.4] },
  ]).split('\n');
  assert.equal(g.length, 4);
  assert.equal(g[2], '| searched | 2 | 60.0 ± 14.1 | 85.0 ± 7.1 | 25.0 ± 7.1 |  |');
  assert.equal(g[3], '| random | 3 | 40.0 ± 0.0 | – | – |  |');
  const m = modeTable(POINTS).split('\n');
  assert.equal(m.length, 5);
  assert.equal(m[2], '| bnas | 3 | 32.0 ± 2.0 | – | 65.0 ± 5.0 |');
  assert.equal(modeTable([{ ...POINTS[0], cpuSeconds: stat([10, 12]) }]).split('\n')[2], '| bnas | 3 | 32.0 ± 2.0 | 11.0 ± 1.4 | 65.0 ± 5.0 |');
  // A mode run with no seeds (--mode-seeds darts=0): dashes, measured (NaN) or read back from JSON (null).
  const none = { ...POINTS[0], seconds: stat([]), cpuSeconds: stat([]), accuracy: stat([]) };
  assert.equal(modeTable([none]).split('\n')[2], '| bnas | 0 | – | – | – |');
  const fromJson = JSON.parse(JSON.stringify(none)) as typeof none;
  assert.equal(modeTable([fromJson]).split('\n')[2], '| bnas | 0 | – | – | – |');
});

test('incompleteBeta: exact values and Student t two-sided p-values from the tables', () => {
  assert.ok(Math.abs(incompleteBeta(0.5, 2, 3) - 11 / 16) < 1e-12);
  assert.ok(Math.abs(incompleteBeta(0.3, 1, 1) - 0.3) < 1e-12);
  assert.ok(Math.abs(incompleteBeta(0.9, 1, 2) - (1 - 0.1 ** 2)) < 1e-12, 'I_x(1, 2) = 1 − (1 − x)²');
  assert.equal(incompleteBeta(0, 2, 3), 0);
  assert.equal(incompleteBeta(1, 2, 3), 1);
  const p = (t: number, df: number) => incompleteBeta(df / (df + t * t), df / 2, 0.5);
  // Critical values: t(0.975; 5) = 2.571, t(0.975; 10) = 2.228, t(0.995; 10) = 3.169, normal 1.960.
  for (const [t, df, want] of [[2.571, 5, 0.05], [2.228, 10, 0.05], [3.169, 10, 0.01], [1.96, 1e6, 0.05]]) {
    assert.ok(Math.abs(p(t, df) - want) < 2e-4, `t = ${t}, df = ${df}: ${p(t, df)}`);
  }
});

test('welch: t, Welch–Satterthwaite df and p; symmetric; undefined for a single cell', () => {
  const a = stat([0.748, 0.741, 0.756]);
  const b = stat([0.729, 0.727, 0.721, 0.756, 0.722]);
  const w = welch(a, b);
  const se = Math.sqrt(a.std ** 2 / 3 + b.std ** 2 / 5);
  assert.ok(Math.abs(w.t - (a.mean - b.mean) / se) < 1e-12);
  const df = (a.std ** 2 / 3 + b.std ** 2 / 5) ** 2 / ((a.std ** 2 / 3) ** 2 / 2 + (b.std ** 2 / 5) ** 2 / 4);
  assert.ok(Math.abs(w.df - df) < 1e-9);
  assert.ok(w.p > 0.05 && w.p < 0.1, String(w.p));
  const r = welch(b, a);
  assert.ok(Math.abs(r.t + w.t) < 1e-12 && Math.abs(r.p - w.p) < 1e-12);
  assert.ok(welch(stat([0.1, 0.9, 0.5]), stat([0.5, 0.4, 0.6])).p > 0.9, 'equal means: p near 1');
  assert.ok(Number.isNaN(welch(stat([0.7]), b).p));
});

test('pairedT: the t-test of the differences, against scipy.stats.ttest_rel', () => {
  // scipy.stats.ttest_rel(a, b): t = 3.782306, p = 0.012859 (df 5)
  const a = [80.7, 80.95, 79.9, 80.98, 80.56, 80.93];
  const b = [79.75, 79.48, 79.05, 79.79, 77.75, 80.52];
  const r = pairedT(a, b);
  assert.ok(Math.abs(r.t - 3.782306) < 1e-5 && r.df === 5 && Math.abs(r.p - 0.012859) < 1e-5, JSON.stringify(r));
  assert.ok(Math.abs(r.diff - (stat(a).mean - stat(b).mean)) < 1e-12);
  // pairing matters: the same values unpaired are a weaker test
  assert.ok(welch(stat(a), stat(b)).p > r.p);
  // t changes sign with the order; p does not
  const s = pairedT(b, a);
  assert.ok(Math.abs(s.t + r.t) < 1e-12 && Math.abs(s.p - r.p) < 1e-12);
  // scipy: ttest_rel([1, 2, 3, 4], [1.5, 1.9, 3.6, 4.1]) gives t = -1.664630, p = 0.194575
  assert.ok(Math.abs(pairedT([1, 2, 3, 4], [1.5, 1.9, 3.6, 4.1]).p - 0.194575) < 1e-5);
  assert.ok(Number.isNaN(pairedT([1], [2]).p));
  assert.throws(() => pairedT([1, 2], [1]), /pairs/);
});
