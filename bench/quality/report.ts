/**
 * Writers of the quality evaluation's outputs: summary statistics, the markdown table and the
 * accuracy-vs-search-time SVG plot. Pure functions of the recorded numbers (no TensorFlow.js), so
 * a unit test can check that the drawing follows the data.
 */
import { ticks } from '../../media/shared/ticks.js';
import { stat, type Stat } from '../../runtime/sweep/stats.js';

export { incompleteBeta, stat, welch, type Stat } from '../../runtime/sweep/stats.js';

/** One point of the accuracy-vs-search-time plot: a search mode over its seeds. */
export interface ModePoint {
  readonly mode: string;
  /** Search wall seconds over the seeds. */
  readonly seconds: Stat;
  /** Search CPU seconds (user + system) over the seeds: robust when other processes share the cores. */
  readonly cpuSeconds?: Stat;
  /** Derived-cell test accuracy (fraction) over the seeds. */
  readonly accuracy: Stat;
}

/** A row of the accuracy table: a group of cells trained under the one protocol. */
export interface GroupRow {
  readonly group: string;
  /** Test accuracies (fractions), one per cell (or per seed). */
  readonly accuracies: readonly number[];
  /** Real-valued accuracies of the same cells, when measured (the binary-vs-float gap). */
  readonly float?: readonly number[];
  readonly note?: string;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}` : '–');
const pm = (s: Stat) => (s.n ? `${pct(s.mean)} ± ${pct(s.std)}` : '–');

/** The markdown table of the groups: mean ± std test accuracy (%), the float accuracy and the gap. */
export function groupTable(rows: readonly GroupRow[]): string {
  const lines = ['| group | cells | binary test acc % (mean ± std) | float test acc % | gap (points) | note |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const b = stat(r.accuracies);
    const f = r.float ? stat(r.float) : undefined;
    const gap = f ? stat(r.float!.map((x, i) => x - r.accuracies[i])) : undefined;
    lines.push(`| ${r.group} | ${b.n} | ${pm(b)} | ${f ? pm(f) : '–'} | ${gap ? pm(gap) : '–'} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

/** The markdown table of the search modes: search seconds and derived-cell accuracy, mean ± std. */
export function modeTable(points: readonly ModePoint[]): string {
  // A mode with no seeds has no mean (NaN when measured, null once written to JSON): a dash.
  const s = (x?: Stat) => (x && Number.isFinite(x.mean) ? `${x.mean.toFixed(1)} ± ${(x.std ?? 0).toFixed(1)}` : '–');
  const lines = ['| mode | seeds | search wall s (mean ± std) | search CPU s (mean ± std) | derived-cell test acc % (mean ± std) |', '|---|---|---|---|---|'];
  for (const p of points) lines.push(`| ${p.mode} | ${p.accuracy.n} | ${s(p.seconds)} | ${s(p.cpuSeconds)} | ${pm(p.accuracy)} |`);
  return lines.join('\n');
}

/** Plot geometry, exported so tests can invert the mapping. */
export const PLOT = { width: 560, height: 380, left: 64, right: 150, top: 36, bottom: 52 } as const;

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The axis range of the plot: data ± error bars, padded, starting at 0 for seconds. */
function range(values: readonly (readonly [number, number])[], floorZero: boolean): [number, number] {
  let lo = Math.min(...values.map(([m, s]) => m - s));
  let hi = Math.max(...values.map(([m, s]) => m + s));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.12;
  lo = floorZero ? 0 : lo - pad;
  hi += pad;
  const t = ticks(lo, hi);
  const step = t.length > 1 ? t[1] - t[0] : pad;
  return [floorZero ? 0 : Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/**
 * The accuracy-vs-search-time plot as a standalone SVG: x = search seconds (`time`: wall, or CPU
 * when every point has it), y = derived-cell test accuracy (%), one marker per mode at its means
 * (`data-mode`, `data-x`, `data-y` attributes give the plotted values), error bars of ± one
 * standard deviation on both axes, a legend, and a dashed line at `chance` accuracy (fraction) when given.
 */
export function accuracyTimeSvg(title: string, modes: readonly ModePoint[], time: 'wall' | 'cpu' = 'wall', chance?: number): string {
  const { width, height, left, right, top, bottom } = PLOT;
  const points = modes.map((p) => ({ ...p, seconds: time === 'cpu' && p.cpuSeconds ? p.cpuSeconds : p.seconds }));
  const pw = width - left - right, ph = height - top - bottom;
  const [x0, x1] = range(points.map((p) => [p.seconds.mean, p.seconds.std]), true);
  const [y0, y1] = range([...points.map((p) => [100 * p.accuracy.mean, 100 * p.accuracy.std] as const), ...(chance === undefined ? [] : [[100 * chance, 0] as const])], false);
  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => top + ph - ((v - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(2);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left + pw / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    out.push(`<line class="xtick" x1="${f(sx(t))}" y1="${top + ph}" x2="${f(sx(t))}" y2="${top + ph + 5}" stroke="#333"/>`,
      `<text x="${f(sx(t))}" y="${top + ph + 18}" text-anchor="middle">${t}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    out.push(`<line class="ytick" x1="${left - 5}" y1="${f(sy(t))}" x2="${left}" y2="${f(sy(t))}" stroke="#333"/>`,
      `<line x1="${left}" y1="${f(sy(t))}" x2="${left + pw}" y2="${f(sy(t))}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${f(sy(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  if (chance !== undefined) {
    out.push(`<line class="chance" x1="${left}" y1="${f(sy(100 * chance))}" x2="${left + pw}" y2="${f(sy(100 * chance))}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${left + pw - 4}" y="${f(sy(100 * chance) - 4)}" text-anchor="end" fill="#666">chance</text>`);
  }
  out.push(`<text x="${left + pw / 2}" y="${height - 12}" text-anchor="middle">search ${time === 'cpu' ? 'CPU' : 'wall'} time (s)</text>`,
    `<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle">derived-cell test accuracy (%)</text>`);
  points.forEach((p, i) => {
    const c = COLOURS[i % COLOURS.length];
    const x = sx(p.seconds.mean), y = sy(100 * p.accuracy.mean);
    const ex = [sx(p.seconds.mean - p.seconds.std), sx(p.seconds.mean + p.seconds.std)];
    const ey = [sy(100 * (p.accuracy.mean - p.accuracy.std)), sy(100 * (p.accuracy.mean + p.accuracy.std))];
    out.push(`<g class="mode" stroke="${c}">`,
      `<line class="xerr" x1="${f(ex[0])}" y1="${f(y)}" x2="${f(ex[1])}" y2="${f(y)}"/>`,
      `<line class="yerr" x1="${f(x)}" y1="${f(ey[0])}" x2="${f(x)}" y2="${f(ey[1])}"/>`,
      `<circle class="marker" data-mode="${esc(p.mode)}" data-x="${p.seconds.mean}" data-y="${100 * p.accuracy.mean}" cx="${f(x)}" cy="${f(y)}" r="5" fill="${c}"/>`,
      '</g>');
    const ly = top + 10 + 20 * i;
    out.push(`<circle cx="${left + pw + 18}" cy="${ly}" r="5" fill="${c}"/>`,
      `<text x="${left + pw + 28}" y="${ly + 4}">${esc(p.mode)} (n = ${p.accuracy.n})</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
