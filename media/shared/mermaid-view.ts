/**
 * Renders Mermaid text into containers: the packaged Mermaid script (no CDN) that both views
 * share (`dist/media/mermaid.js`, loaded before the view's own script), `securityLevel: 'strict'`,
 * theme from the VS Code theme, re-rendered when the theme changes, errors shown in place.
 * Renders run one at a time because Mermaid keeps global state during a render.
 */
import type MermaidLibrary from 'mermaid';
import { MERMAID_GLOBAL } from './mermaid-global-name.js';
import { h } from './dom.js';
import { cssVar, currentTheme, onThemeChange, type ThemeKind } from './theme.js';

interface Diagram {
  text: string;
  label: string;
  /** Zoom: a factor of the drawing's own size, or `fit` (the box's width). */
  zoom?: number | 'fit';
  /** Rendered text; skip a render when unchanged. */
  shown?: string;
  /** A render of this diagram is queued and not started: later texts ride along with it. */
  queued?: boolean;
  /** End and duration of the last render (ms, performance.now()), to pace live updates. */
  doneAt?: number;
  cost?: number;
}

/** A diagram is redrawn at most once per this many times its last render took (≤ 25 % of the time). */
const PACE = 4;
/** Mermaid's label size in drawing units (its default theme font size). */
const DRAWING_FONT_PX = 16;
/**
 * Default zoom: every drawing at the same scale, so the normal and the reduction cell show text of
 * one size, and labels at 12 px (never under 11); a wider drawing scrolls and pans instead of shrinking.
 */
export const DEFAULT_ZOOM = 0.75;
const ZOOM_STEP = 1.25;
const ZOOM_MIN = 0.2;
const ZOOM_MAX = 4;

const diagrams = new Map<HTMLElement, Diagram>();
let queue: Promise<void> = Promise.resolve();
let counter = 0;
let configuredFor: ThemeKind | undefined;

/** The shared Mermaid library (see mermaid-global.ts). */
function mermaidLibrary(): typeof MermaidLibrary {
  const library = (globalThis as Record<string, unknown>)[MERMAID_GLOBAL] as typeof MermaidLibrary | undefined;
  if (!library) throw new Error('the Mermaid script (mermaid.js) is not loaded in this page');
  return library;
}

function configure(kind: ThemeKind): void {
  const fontFamily = cssVar('--vscode-font-family', 'system-ui, sans-serif');
  const hc = kind === 'hc-dark' || kind === 'hc-light';
  // High contrast: lines and text in the page's own colours (whatever the theme defines),
  // borders in the contrast border colour.
  const page = getComputedStyle(document.body);
  const fg = page.color || (kind === 'hc-light' ? '#000000' : '#ffffff');
  const bg = page.backgroundColor && page.backgroundColor !== 'rgba(0, 0, 0, 0)' ? page.backgroundColor : kind === 'hc-light' ? '#ffffff' : '#000000';
  const border = cssVar('--vscode-contrastBorder', fg);
  mermaidLibrary().initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    // Entity codes (`#60;`) in labels become character references, shown as text.
    theme: hc ? 'base' : kind === 'light' ? 'default' : 'dark',
    themeVariables: hc
      ? { background: bg, primaryColor: bg, primaryTextColor: fg, primaryBorderColor: border, lineColor: fg, textColor: fg, edgeLabelBackground: bg, fontFamily }
      : { fontFamily },
    fontFamily,
    // The view sizes the drawing itself (see applyZoom): one scale for every diagram.
    flowchart: { useMaxWidth: false, curve: 'basis' },
  });
  configuredFor = kind;
}

/** Schedules `task` after every render already queued. */
function enqueue(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task, task);
  return queue;
}

async function renderNow(el: HTMLElement, d: Diagram, force: boolean): Promise<void> {
  if (!el.isConnected && !force) return;
  if (!force && d.shown === d.text) return;
  const kind = currentTheme();
  const id = `bnas-mermaid-${++counter}`;
  // The text may change while Mermaid works (a new derivation arrives): remember what was drawn.
  const text = d.text;
  try {
    if (configuredFor !== kind) configure(kind);
    const { svg } = await mermaidLibrary().render(id, text);
    // Mermaid's output under securityLevel 'strict' is sanitized SVG; labels were entity-escaped.
    el.innerHTML = svg;
    const root = el.querySelector('svg');
    root?.setAttribute('role', 'img');
    root?.setAttribute('aria-label', d.label);
    el.classList.remove('render-error');
    applyZoom(el, d);
  } catch (err) {
    el.classList.add('render-error');
    el.replaceChildren(
      h('div', { class: 'error', role: 'alert' }, `Could not draw ${d.label}: ${err instanceof Error ? err.message : String(err)}`),
      h('pre', { class: 'mermaid-source' }, text),
    );
    // Mermaid leaves its temporary element behind when a render fails.
    document.getElementById(id)?.remove();
    document.getElementById(`d${id}`)?.remove();
  }
  d.shown = text;
}

/**
 * Draws `text` into `el` (replacing what was there) unless the same text is already shown.
 * @param label accessible name of the drawing, also used in the error message.
 * @param paced live updates: wait until the last render's cost × 4 has passed (first draws do not wait).
 * @returns a promise settled when the drawing (or its error) is in place.
 */
export function renderMermaid(el: HTMLElement, text: string, label: string, paced = false): Promise<void> {
  const d = diagrams.get(el) ?? { text, label };
  d.text = text;
  d.label = label;
  if (!diagrams.has(el)) addControls(el, d);
  diagrams.set(el, d);
  // A live run derives a genotype every epoch; while a render waits, newer texts replace its
  // text instead of queueing more renders, so the drawing never lags behind by a backlog.
  if (d.queued) return queue;
  d.queued = true;
  return enqueue(async () => {
    // Pace redraws of a changing diagram: Mermaid renders synchronously for a long time, and a
    // fast run must not spend the page's time redrawing cells nobody can read that fast.
    const wait = paced ? (d.doneAt ?? 0) + PACE * (d.cost ?? 0) - performance.now() : 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    d.queued = false;
    const t0 = performance.now();
    await renderNow(el, d, false);
    d.doneAt = performance.now();
    d.cost = d.doneAt - t0;
  });
}

/** The SVG text currently shown in `el`, for export: at the drawing's own size, without the view's zoom. */
export function renderedSvg(el: HTMLElement): string | undefined {
  const svg = el.querySelector('svg');
  if (!svg) return undefined;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.style.removeProperty('width');
  copy.style.removeProperty('height');
  return new XMLSerializer().serializeToString(copy);
}

/** The drawing's own size (its viewBox). */
function drawingSize(svg: SVGSVGElement): { width: number; height: number } {
  const vb = svg.viewBox.baseVal;
  return vb && vb.width ? { width: vb.width, height: vb.height } : { width: svg.getBBox().width, height: svg.getBBox().height };
}

/** Sizes the drawing in `el` by its zoom: a fixed scale of its own size, or the box's width for `fit`. */
function applyZoom(el: HTMLElement, d: Diagram): void {
  const svg = el.querySelector('svg');
  if (!svg) return;
  const size = drawingSize(svg);
  const scale = d.zoom === 'fit' ? Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, (el.clientWidth - 2) / size.width)) : (d.zoom ?? DEFAULT_ZOOM);
  svg.style.width = `${Math.round(size.width * scale)}px`;
  svg.style.height = `${Math.round(size.height * scale)}px`;
  el.dataset.zoom = String(Math.round(scale * 100) / 100);
  el.title = `Zoom ${Math.round(scale * 100)} % (labels ${Math.round(DRAWING_FONT_PX * scale)} px). Drag to pan; Ctrl + wheel zooms.`;
}

/** Sets the zoom of the drawing in `el` and redraws its size (`fit`, a factor, or a step in or out). */
export function zoomDiagram(el: HTMLElement, zoom: number | 'fit' | 'in' | 'out' | 'reset'): void {
  const d = diagrams.get(el);
  if (!d) return;
  const now = Number(el.dataset.zoom ?? DEFAULT_ZOOM);
  d.zoom =
    zoom === 'in' ? Math.min(ZOOM_MAX, now * ZOOM_STEP)
    : zoom === 'out' ? Math.max(ZOOM_MIN, now / ZOOM_STEP)
    : zoom === 'reset' ? DEFAULT_ZOOM
    : zoom;
  applyZoom(el, d);
}

/** Zoom buttons and "open larger" above the box, drag-to-pan and Ctrl + wheel zoom in it. */
function addControls(el: HTMLElement, d: Diagram): void {
  el.classList.add('zoomable');
  const button = (text: string, title: string, action: () => void) => {
    const b = h('button', { type: 'button', class: 'diagram-button', title, 'aria-label': title }, text);
    b.addEventListener('click', action);
    return b;
  };
  const bar = h('div', { class: 'diagram-controls', role: 'toolbar', 'aria-label': 'Diagram zoom' },
    button('−', 'Zoom out', () => zoomDiagram(el, 'out')),
    button('+', 'Zoom in', () => zoomDiagram(el, 'in')),
    button('100 %', 'Default size', () => zoomDiagram(el, 'reset')),
    button('Fit', 'Fit the width', () => zoomDiagram(el, 'fit')),
    button('Open larger', 'Open the drawing in a large overlay', () => openLarger(el, d.label)),
  );
  el.before(bar);
  el.addEventListener('wheel', (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    zoomDiagram(el, e.deltaY < 0 ? 'in' : 'out');
  }, { passive: false });
  let drag: { x: number; y: number; left: number; top: number } | undefined;
  el.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop };
    el.classList.add('panning');
  });
  el.addEventListener('pointermove', (e) => {
    if (!drag) return;
    el.scrollLeft = drag.left - (e.clientX - drag.x);
    el.scrollTop = drag.top - (e.clientY - drag.y);
  });
  const stop = () => {
    drag = undefined;
    el.classList.remove('panning');
  };
  el.addEventListener('pointerup', stop);
  el.addEventListener('pointerleave', stop);
}

/** Shows a copy of the drawing in a modal overlay at twice the default zoom (Escape or Close ends it). */
function openLarger(el: HTMLElement, label: string): void {
  const svg = el.querySelector('svg');
  if (!svg) return;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const size = drawingSize(svg);
  copy.style.width = `${Math.round(size.width * DEFAULT_ZOOM * 2)}px`;
  copy.style.height = `${Math.round(size.height * DEFAULT_ZOOM * 2)}px`;
  const close = h('button', { type: 'button', class: 'diagram-button', autofocus: true }, 'Close');
  const dialog = h('dialog', { class: 'diagram-dialog', 'aria-label': label }, h('div', { class: 'diagram-dialog-bar' }, h('span', {}, label), close), h('div', { class: 'diagram-dialog-body' }, copy)) as HTMLDialogElement;
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/** Re-renders every diagram whenever the VS Code theme changes. Call once per page. */
export function followTheme(onRendered?: () => void): void {
  onThemeChange(() => {
    for (const [el, d] of diagrams) {
      if (!el.isConnected) {
        diagrams.delete(el);
        continue;
      }
      void enqueue(() => renderNow(el, d, true));
    }
    void enqueue(async () => onRendered?.());
  });
}

/** Resolves when all queued renders are done (used by tests and the benchmark). */
export function mermaidIdle(): Promise<void> {
  return enqueue(async () => {});
}
