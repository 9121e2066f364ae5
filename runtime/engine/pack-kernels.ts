/**
 * Weight packing of the fast cell path: the filters of many layers quantized (XNOR / sign, each
 * layer with its own scale) and packed into one, in one loop kernel each way; the ops are
 * `packWeights` and `packMany` in cell-kernels.ts.
 */
import type { JsKernel } from './js-kernels.js';
import type { BinarizeOptions } from './quantize.js';
import { sgn } from './sign-norm-kernels.js';

// ---------------------------------------------------------------- weight packing + quantizers

/** How many layers' filters are packed into one and how each is quantized. */
export interface PackAttrs {
  /** `dw`: n filters [k, k, c, 1] → [k, k, n·c, 1]; `pw`: n filters [1, 1, c, c] → [n, c, c]. */
  readonly layout: 'dw' | 'pw';
  readonly weights: BinarizeOptions['weights'];
  readonly scale: BinarizeOptions['scale'];
}

/**
 * Scale a of each element's group (XNOR-Net: mean |w| over the layer, or over the layer's output
 * channel; for a depthwise filter the channel is its input channel) and the group size n.
 */
function xnorScales(w: Float32Array, scale: 'layer' | 'channel', c: number): { a: Float64Array; n: number } {
  const size = w.length;
  const a = new Float64Array(scale === 'layer' ? 1 : c);
  // dw [k, k, c, 1] and pw [1, 1, c, c] both have their scale channel innermost.
  const group = (i: number): number => (scale === 'layer' ? 0 : i % c);
  for (let i = 0; i < size; i++) a[group(i)] += Math.abs(w[i]);
  const n = size / a.length;
  for (let j = 0; j < a.length; j++) a[j] /= n;
  return { a, n };
}

/** Position in the packed filter of element i of layer e (c channels, `size` elements a layer). */
function packedIndex(layout: 'dw' | 'pw', i: number, e: number, c: number, n: number, size: number): number {
  // dw [k, k, c, 1]: element (tap, ch) goes to tap·(n·c) + e·c + ch; pw: contiguous per layer.
  return layout === 'dw' ? Math.floor(i / c) * n * c + e * c + (i % c) : e * size + i;
}

export const packForward: JsKernel<PackAttrs> = {
  name: 'BnasPackWeights',
  outputShapes: (s, a) => {
    const [k, , c] = s[0];
    return [a.layout === 'dw' ? [k, k, s.length * c, 1] : [s.length, c, c]];
  },
  compute(ws, [out], shapes, { layout, weights, scale }) {
    const c = shapes[0][2];
    ws.forEach((w, e) => {
      const { a } = weights === 'xnor' ? xnorScales(w, scale, c) : { a: undefined };
      for (let i = 0; i < w.length; i++) {
        const v = w[i];
        const q = weights === 'none' ? v : sgn(v) * (a ? a[a.length === 1 ? 0 : i % c] : 1);
        out[packedIndex(layout, i, e, c, ws.length, w.length)] = q;
      }
    });
  },
};
/** Inputs: dy (packed), w0…w(n−1). Outputs: one gradient per layer. */
export const packBackward: JsKernel<PackAttrs> = {
  name: 'BnasPackWeightsGrad',
  outputShapes: (s) => s.slice(1).map((x) => [...x]),
  compute(ins, outs, shapes, { layout, weights, scale }) {
    const dy = ins[0];
    const ws = ins.slice(1);
    const c = shapes[1][2];
    ws.forEach((w, e) => {
      const { a, n } = weights === 'xnor' ? xnorScales(w, scale, c) : { a: undefined, n: 1 };
      const dw = outs[e];
      for (let i = 0; i < w.length; i++) {
        const d = dy[packedIndex(layout, i, e, c, ws.length, w.length)];
        const inside = w[i] <= 1 && w[i] >= -1;
        if (weights === 'none') dw[i] = d;
        else if (weights === 'sign') dw[i] = inside ? d : 0;
        else dw[i] = d * (1 / n + (inside ? (a as Float64Array)[(a as Float64Array).length === 1 ? 0 : i % c] : 0));
      }
    });
  },
};

/** Several packs in one kernel call: group g packs `counts[g]` consecutive inputs with `layouts[g]`. */
export interface PackManyAttrs {
  readonly layouts: ('dw' | 'pw')[];
  readonly counts: number[];
  readonly weights: BinarizeOptions['weights'];
  readonly scale: BinarizeOptions['scale'];
}

/** [first input, count] of each group. */
function packGroups(counts: readonly number[]): [number, number][] {
  let at = 0;
  return counts.map((n) => {
    const g: [number, number] = [at, n];
    at += n;
    return g;
  });
}

/** Inputs: every group's layers in order. Outputs: one packed filter per group (as BnasPackWeights). */
export const packManyForward: JsKernel<PackManyAttrs> = {
  name: 'BnasPackMany',
  outputShapes: (s, a) => packGroups(a.counts).flatMap(([at, n], g) => packForward.outputShapes(s.slice(at, at + n), { ...a, layout: a.layouts[g] })),
  compute(ws, outs, shapes, a) {
    packGroups(a.counts).forEach(([at, n], g) => packForward.compute(ws.slice(at, at + n), [outs[g]], shapes.slice(at, at + n), { ...a, layout: a.layouts[g] }));
  },
};
/** Inputs: dy of each group's packed filter, then every layer. Outputs: one gradient per layer. */
export const packManyBackward: JsKernel<PackManyAttrs> = {
  name: 'BnasPackManyGrad',
  outputShapes: (s, a) => s.slice(a.counts.length).map((x) => [...x]),
  compute(ins, outs, shapes, a) {
    const G = a.counts.length;
    packGroups(a.counts).forEach(([at, n], g) =>
      packBackward.compute([ins[g], ...ins.slice(G + at, G + at + n)], outs.slice(at, at + n), [shapes[g], ...shapes.slice(G + at, G + at + n)], { ...a, layout: a.layouts[g] }),
    );
  },
};
