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
    flowchart: { useMaxWidth: true, curve: 'basis' },
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

/** The SVG text currently shown in `el`, for export. */
export function renderedSvg(el: HTMLElement): string | undefined {
  const svg = el.querySelector('svg');
  return svg ? new XMLSerializer().serializeToString(svg) : undefined;
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
