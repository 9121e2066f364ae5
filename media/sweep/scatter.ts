/**
 * Accuracy against search cost, one dot per finished trial: which settings buy accuracy with
 * time. Trial names go into `<title>` text nodes only. A dot is a button: it opens the trial.
 */
import { fmt, fmtSeconds, pct, s } from '../shared/dom.js';
import { ticks } from '../shared/ticks.js';
import type { TrialRow } from './model.js';

const W = 560;
const H = 260;
const M = { left: 52, right: 16, top: 24, bottom: 40 };

export function scatter(rows: readonly TrialRow[], best: string | undefined, open: (id: string) => void): SVGSVGElement {
  const pts = rows.filter((r): r is TrialRow & { accuracy: number; seconds: number } => r.accuracy !== undefined && r.seconds !== undefined);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'scatter', role: 'img', 'aria-label': `Accuracy against search time, ${pts.length} trials` });
  const xs = pts.map((p) => p.seconds);
  const ys = pts.map((p) => p.accuracy);
  const x1 = Math.max(1, ...xs) * 1.05;
  const y0 = Math.max(0, Math.min(1, ...ys) - 0.05);
  const y1 = Math.min(1, Math.max(0, ...ys) + 0.05);
  const X = (x: number) => M.left + (x / x1) * (W - M.left - M.right);
  const Y = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  for (const t of ticks(0, x1, 5)) {
    svg.append(s('line', { x1: X(t), x2: X(t), y1: M.top, y2: H - M.bottom, class: 'grid' }));
    svg.append(s('text', { x: X(t), y: H - M.bottom + 14, class: 'tick', 'text-anchor': 'middle' }, fmt(t)));
  }
  for (const t of ticks(y0, y1, 5)) {
    svg.append(s('line', { x1: M.left, x2: W - M.right, y1: Y(t), y2: Y(t), class: 'grid' }));
    svg.append(s('text', { x: M.left - 6, y: Y(t) + 4, class: 'tick', 'text-anchor': 'end' }, pct(t)));
  }
  svg.append(s('text', { x: (M.left + W - M.right) / 2, y: H - 6, class: 'axis-label', 'text-anchor': 'middle' }, 'search time (s)'));
  svg.append(s('text', { x: 12, y: M.top - 8, class: 'axis-label' }, 'accuracy'));
  for (const p of pts) {
    const dot = s(
      'circle',
      { cx: X(p.seconds), cy: Y(p.accuracy), r: p.id === best ? 6 : 4, class: p.id === best ? 'dot best' : 'dot', tabindex: 0, role: 'button', 'data-trial': p.id },
      s('title', {}, `${p.id}: ${pct(p.accuracy)} in ${fmtSeconds(p.seconds)}`),
    );
    dot.addEventListener('click', () => open(p.id));
    dot.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') open(p.id);
    });
    svg.append(dot);
  }
  return svg;
}
