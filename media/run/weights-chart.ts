/**
 * Heat map of the architecture weights of one cell kind over the search: a row per edge, a column
 * group per op, inside each group one column per epoch (left to right), plus a group for the edge
 * weight β. Ops that were pruned leave their columns empty from then on.
 */
import type { AlphasEvent, PrunedEvent } from '../../runtime/protocol/events.js';
import type { CellKind } from '../../runtime/protocol/genotype.js';
import { edgeName } from '../../runtime/protocol/mermaid.js';
import { fmt, s } from '../shared/dom.js';

export interface WeightsChartInput {
  readonly cell: CellKind;
  readonly ops: readonly string[];
  readonly edges: number;
  /** `alphas` events of this cell kind in epoch order. */
  readonly alphas: readonly AlphasEvent[];
  /** Planned epochs (columns reserved for the rest of a live run). */
  readonly epochs: number;
  readonly pruned: readonly PrunedEvent[];
}

const ROW = 20;
const LEFT = 140;
const TOP = 84;
const GAP = 8;
/** Width of the op columns of all epochs together: wide enough to use the view, one epoch ≥ 3 px. */
const GROUP_WIDTH = 120;
/** Steps of the colour scale drawn above the map. */
const SCALE_STEPS = 10;
const SCALE_STEP_W = 14;

/** The legend of a heat map (HTML text under the drawing, so it wraps and can be read). */
export function weightsLegend(o: WeightsChartInput): string {
  let maxW = 0;
  for (const a of o.alphas) for (const w of a.weights) for (const v of Object.values(w)) maxW = Math.max(maxW, v);
  const maxB = Math.max(0, ...o.alphas.flatMap((a) => a.betas));
  const epochs = Math.max(o.epochs, o.alphas.at(-1)?.epoch ?? 0, 1);
  return `Colour: op weight softmax(α) from 0 to ${fmt(maxW)} (brightest), edge weight β from 0 to ${fmt(maxB)}. Each op column holds epochs 1 to ${epochs}, left to right; a red bar marks where pruning removed the op.`;
}

/** Draws the heat map; returns an <svg> with an accessible summary. */
export function weightsChart(o: WeightsChartInput): SVGSVGElement {
  const epochs = Math.max(o.epochs, o.alphas.length, o.alphas.at(-1)?.epoch ?? 0, 1);
  const cw = Math.max(3, Math.min(20, Math.floor(GROUP_WIDTH / epochs)));
  const gw = cw * epochs;
  const groups = [...o.ops, 'β (edge)'];
  const width = Math.max(LEFT + groups.length * (gw + GAP) + 8, LEFT + 2 * (SCALE_STEPS * SCALE_STEP_W + 150));
  const height = TOP + o.edges * ROW + 8;
  const kindName = o.cell === 'normal' ? 'normal' : 'reduction';

  // Colour intensity is relative to the largest op weight in the map, so early near-uniform
  // softmax weights (1/|ops|) are still visible; the legend gives the absolute scale.
  let maxW = 0;
  for (const a of o.alphas) for (const w of a.weights) for (const v of Object.values(w)) maxW = Math.max(maxW, v);
  if (maxW <= 0) maxW = 1;
  const maxB = Math.max(1e-9, ...o.alphas.flatMap((a) => a.betas));

  const last = o.alphas.at(-1);
  const strongest = last?.weights.map((w, e) => {
    const best = Object.entries(w).sort((a, b) => b[1] - a[1])[0];
    return best ? `${edgeName(e)}: ${best[0]} ${fmt(best[1])}` : '';
  });
  const label = last
    ? `Architecture weights of the ${kindName} cell, ${o.alphas.length} epochs, ${o.edges} edges. Strongest op per edge at epoch ${last.epoch}: ${strongest!.join('; ')}.`
    : `Architecture weights of the ${kindName} cell: no data yet.`;
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart heatmap', role: 'img', 'aria-label': label, tabindex: 0, 'data-cell': o.cell });
  svg.append(s('title', {}, label));

  svg.append(colourScale('swatch', 'α', maxW, LEFT), colourScale('swatch beta', 'β', maxB, LEFT + SCALE_STEPS * SCALE_STEP_W + 150));
  groups.forEach((name, g) => {
    const x0 = LEFT + g * (gw + GAP);
    svg.append(s('text', { x: x0 + 2, y: TOP - 8, class: 'op-label', transform: `rotate(-28 ${x0 + 2} ${TOP - 8})` }, name));
    svg.append(s('rect', { x: x0 - 0.5, y: TOP - 0.5, width: gw + 1, height: o.edges * ROW + 1, class: 'group-frame' }));
  });
  for (let e = 0; e < o.edges; e++) {
    svg.append(s('text', { x: LEFT - 6, y: TOP + e * ROW + ROW * 0.72, class: 'edge-label', 'text-anchor': 'end' }, edgeName(e)));
  }

  const cells = s('g', { class: 'cells' });
  o.alphas.forEach((a, col) => {
    const xCol = col * cw;
    a.weights.forEach((w, e) => {
      const y = TOP + e * ROW;
      o.ops.forEach((op, g) => {
        const v = w[op];
        if (v === undefined) return;
        cells.append(
          s('rect', { x: LEFT + g * (gw + GAP) + xCol, y: y + 1, width: cw, height: ROW - 2, class: 'heat', 'fill-opacity': (0.06 + 0.94 * (v / maxW)).toFixed(3) },
            s('title', {}, `${kindName} ${edgeName(e)}, ${op}, epoch ${a.epoch}: ${fmt(v)}`)),
        );
      });
      const b = a.betas[e];
      if (b !== undefined) {
        cells.append(
          s('rect', { x: LEFT + o.ops.length * (gw + GAP) + xCol, y: y + 1, width: cw, height: ROW - 2, class: 'heat beta', 'fill-opacity': (0.06 + 0.94 * (b / maxB)).toFixed(3) },
            s('title', {}, `${kindName} ${edgeName(e)}, edge weight β, epoch ${a.epoch}: ${fmt(b)}`)),
        );
      }
    });
  });
  svg.append(cells);

  // Pruning marks: a small tick where an op left an edge.
  const marks = s('g', { class: 'prune-marks', 'aria-hidden': 'true' });
  for (const p of o.pruned) {
    const g = o.ops.indexOf(p.op);
    const col = o.alphas.findIndex((a) => a.epoch >= p.epoch);
    if (g < 0 || p.edge >= o.edges) continue;
    const x = LEFT + g * (gw + GAP) + (col < 0 ? o.alphas.length : col) * cw + cw;
    marks.append(s('line', { x1: x, x2: x, y1: TOP + p.edge * ROW + 1, y2: TOP + p.edge * ROW + ROW - 1 }));
  }
  svg.append(marks);
  return svg;
}

/** A stepped colour scale from 0 to `max` (the map's opacities), with its ends labelled. */
function colourScale(cls: string, name: string, max: number, x: number): SVGGElement {
  const g = s('g', { class: 'colour-scale', 'aria-hidden': 'true' });
  g.append(s('text', { x: x - 6, y: 15, class: 'scale-label', 'text-anchor': 'end' }, `${name} 0`));
  for (let i = 0; i < SCALE_STEPS; i++) {
    g.append(s('rect', { x: x + i * SCALE_STEP_W, y: 4, width: SCALE_STEP_W, height: 14, class: cls, 'fill-opacity': (0.06 + (0.94 * (i + 1)) / SCALE_STEPS).toFixed(3) }));
  }
  g.append(s('text', { x: x + SCALE_STEPS * SCALE_STEP_W + 6, y: 15, class: 'scale-label' }, fmt(max)));
  return g;
}
