/**
 * A small SVG line chart (no chart library: the run view needs lines, axes, a legend and speed).
 * Long series are reduced to the minimum and maximum per pixel column before drawing, so a run
 * with tens of thousands of steps costs the same to draw as one with a few hundred.
 */
import type { Point } from '../run/run-model.js';
import { fmt, s } from './dom.js';
import { ticks } from './ticks.js';

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
  /** CSS class giving the colour (`series-0` … `series-5`, mapped to VS Code chart colours). */
  readonly cls: string;
  readonly dashed?: boolean;
  /** Draw a dot at every point (for per-epoch series). */
  readonly markers?: boolean;
  /** Thin, faint line (for noisy step losses). */
  readonly faint?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly Series[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise from the data. */
  readonly yDomain?: readonly [number, number];
  /** Minimum x extent (e.g. the planned number of epochs). */
  readonly xMax?: number;
  /** Formats y values for ticks and the summary. */
  readonly yFormat?: (y: number) => string;
}

const W = 560;
const H = 230;
const M = { left: 48, right: 12, top: 26, bottom: 34 };

/**
 * Keeps the first, last, minimum and maximum point of every pixel column, in x order.
 * @param pixels number of columns the plot has.
 */
export function decimate(points: readonly Point[], x0: number, x1: number, pixels: number): Point[] {
  if (points.length <= pixels * 2 || !(x1 > x0)) return points.filter((p) => Number.isFinite(p.y));
  const out: Point[] = [];
  let col = -1;
  let bucket: Point[] = [];
  const flush = () => {
    if (!bucket.length) return;
    let lo = bucket[0]!;
    let hi = bucket[0]!;
    for (const p of bucket) {
      if (p.y < lo.y) lo = p;
      if (p.y > hi.y) hi = p;
    }
    const keep = new Set([bucket[0]!, lo, hi, bucket.at(-1)!]);
    out.push(...bucket.filter((p) => keep.has(p)));
    bucket = [];
  };
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue;
    const c = Math.floor(((p.x - x0) / (x1 - x0)) * pixels);
    if (c !== col) {
      flush();
      col = c;
    }
    bucket.push(p);
  }
  flush();
  return out;
}

/** Draws the chart as a new <svg> element with role img and a summary as its accessible name. */
export function lineChart(o: LineChartOptions): SVGSVGElement {
  const yf = o.yFormat ?? ((y: number) => fmt(y));
  const all = o.series.flatMap((se) => se.points).filter((p) => Number.isFinite(p.y));
  const xMax = Math.max(o.xMax ?? 1, ...all.map((p) => p.x), 1);
  let [yLo, yHi] = o.yDomain ?? [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (!all.length && !o.yDomain) [yLo, yHi] = [0, 1];
  if (yHi - yLo < 1e-9) [yLo, yHi] = [yLo - 0.5, yHi + 0.5];
  if (!o.yDomain) {
    const pad = (yHi - yLo) * 0.05;
    [yLo, yHi] = [yLo - pad, yHi + pad];
  }
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + (x / xMax) * pw;
  const sy = (y: number) => M.top + ph - ((Math.min(Math.max(y, yLo), yHi) - yLo) / (yHi - yLo)) * ph;

  const summary = o.series
    .filter((se) => se.points.length)
    .map((se) => `${se.name} ${yf(se.points.at(-1)!.y)}`)
    .join(', ');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart line-chart', role: 'img', 'aria-label': `${o.title}. ${summary ? `Latest: ${summary}` : 'No data yet'}.`, tabindex: 0 });
  svg.append(s('title', {}, `${o.title}${summary ? ` (latest: ${summary})` : ''}`));
  svg.append(s('text', { x: M.left, y: 16, class: 'chart-title' }, o.title));

  const grid = s('g', { class: 'grid', 'aria-hidden': 'true' });
  for (const t of ticks(yLo, yHi, 4)) {
    grid.append(s('line', { x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t) }));
    grid.append(s('text', { x: M.left - 6, y: sy(t) + 4, class: 'tick', 'text-anchor': 'end' }, yf(t)));
  }
  for (const t of ticks(0, xMax, Math.min(8, Math.ceil(xMax)))) {
    if (!Number.isInteger(t) && xMax > 2) continue;
    grid.append(s('text', { x: sx(t), y: H - M.bottom + 14, class: 'tick', 'text-anchor': 'middle' }, fmt(t)));
  }
  grid.append(s('line', { x1: M.left, x2: W - M.right, y1: M.top + ph, y2: M.top + ph, class: 'axis' }));
  grid.append(s('text', { x: M.left + pw / 2, y: H - 4, class: 'axis-label', 'text-anchor': 'middle' }, o.xLabel));
  grid.append(s('text', { x: 12, y: M.top + ph / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${M.top + ph / 2})` }, o.yLabel));
  svg.append(grid);

  for (const se of o.series) {
    const pts = decimate(se.points, 0, xMax, pw);
    if (!pts.length) continue;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
    const g = s('g', { class: `series ${se.cls}${se.faint ? ' faint' : ''}`, 'data-series': se.name });
    g.append(s('path', { d, 'stroke-dasharray': se.dashed ? '5 3' : undefined }));
    if (se.markers) for (const p of pts) g.append(s('circle', { cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 2.5 }, s('title', {}, `${se.name}, epoch ${fmt(p.x)}: ${yf(p.y)}`)));
    svg.append(g);
  }

  // Legend on the top right, one entry per series.
  let lx = W - M.right;
  for (const se of [...o.series].reverse()) {
    const label = s('text', { x: lx, y: 16, class: 'legend', 'text-anchor': 'end' }, se.name);
    const width = se.name.length * 6.2;
    svg.append(label, s('line', { x1: lx - width - 18, x2: lx - width - 4, y1: 12, y2: 12, class: `legend-swatch ${se.cls}`, 'stroke-dasharray': se.dashed ? '4 2' : undefined }));
    lx -= width + 28;
  }
  return svg;
}
