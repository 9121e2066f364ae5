/**
 * Headless Chromium (Debian's `/usr/bin/chromium`) driven by playwright-core, and a page that
 * loads a webview bundle the way VS Code does, with a stubbed `acquireVsCodeApi` that records
 * what the view posts and keeps its state.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SWEEP_VIEW_SCRIPTS } from '../../runtime/protocol/sweep-view.js';
import { viewScripts } from '../../runtime/protocol/webview.js';

/** A view bundle under dist/media. */
export type ViewName = 'run' | 'search-space' | 'sweep';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches headless Chromium with the flags that keep it off the network. */
export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export type Theme = 'vscode-dark' | 'vscode-light' | 'vscode-high-contrast' | 'vscode-high-contrast-light';

/**
 * A view's page files built by scripts/build.mjs: its scripts in load order (the shared Mermaid
 * script, then e.g. dist/media/run/main.js) and its CSS.
 */
export function bundle(name: ViewName): { scripts: string[]; css: string } {
  const scripts = (name === 'sweep' ? SWEEP_VIEW_SCRIPTS : viewScripts(name)).map((path) => join(ROOT, 'dist', 'media', ...path.split('/')));
  for (const js of scripts) if (!existsSync(js)) throw new Error(`${js} is missing: run npm run build first`);
  return { scripts, css: join(ROOT, 'dist', 'media', name, 'main.css') };
}

/**
 * Opens a page like a VS Code webview: body class for the theme, the bundle's CSS and script,
 * `acquireVsCodeApi` stubbed. Posted messages collect in `window.__posted`.
 * Resolves once the view has posted `ready`.
 */
export async function openWebview(browser: Browser, name: ViewName, theme: Theme = 'vscode-dark', state?: unknown): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as Page & { errors: string[] }).errors = errors;
  // A string, not a function: tsx would add `__name(...)` helpers the page does not have.
  // Functions given to page.evaluate get the same helpers, hence the `__name` stand-in.
  await page.addInitScript(`
    window.__name = (f) => f;
    window.__posted = [];
    window.__state = ${JSON.stringify(state ?? null)} ?? undefined;
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => window.__state,
        setState: (s) => { window.__state = s; },
      };
    };`);
  const b = bundle(name);
  // The stand-in theme variables are the report page's palette (VS Code injects its own).
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${pathToFileURL(b.css)}"></head>` +
    `<body class="${theme} bnas-standalone"><main id="app"></main>${b.scripts.map((js) => `<script src="${pathToFileURL(js)}"></script>`).join('')}</body></html>`;
  mkdirSync(join(ROOT, 'test-artifacts', '.pages'), { recursive: true });
  const file = join(ROOT, 'test-artifacts', '.pages', `${name}-${theme}-${process.pid}-${Math.random().toString(36).slice(2)}.html`);
  await import('node:fs/promises').then((fs) => fs.writeFile(file, html));
  await page.goto(pathToFileURL(file).href, { timeout: 120_000 });
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'), undefined, { timeout: 120_000 });
  return page;
}

/** Posts a message to the page as the extension would (`webview.postMessage`). */
/**
 * One browser and one page of `name` for a whole describe block: opened before its tests, closed
 * after them. Call inside `describe`; the page exists from the first test on.
 */
export function sharedWebview(name: ViewName, theme: Theme = 'vscode-dark'): { page(): Page } {
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async () => {
    browser = await launch();
    page = await openWebview(browser, name, theme);
  });
  after(async () => browser?.close());
  return {
    page: () => {
      if (!page) throw new Error(`the ${name} view is not open yet`);
      return page;
    },
  };
}

export async function postToView(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

/** Waits until every Mermaid render queued so far has finished. */
export async function mermaidSettled(page: Page): Promise<void> {
  // One animation frame first, so queued events are applied and their renders queued.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  await page.evaluate(() => (window as unknown as { bnasMermaidIdle: () => Promise<void> }).bnasMermaidIdle());
}

/** Saves a full-page screenshot to test-artifacts/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Smallest on-screen size (px) of any label in the diagrams under `selector`: the label's font
 * size in drawing units times the drawing's scale (rendered width over viewBox width).
 */
export async function diagramLabelPx(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (boxes) =>
    boxes.map((box) => {
      const svg = box.querySelector('svg')!;
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const labels = [...svg.querySelectorAll('.nodeLabel, .edgeLabel, text')].filter((e) => (e.textContent ?? '').trim());
      return Math.min(...labels.map((e) => parseFloat(getComputedStyle(e).fontSize) * scale));
    }),
  );
}

/**
 * What sticks out sideways at the page's width: how far the page scrolls horizontally, and the
 * boxes that end past the window's right edge with no box around them that scrolls or clips
 * sideways (a drawing pans inside its box, a wide table scrolls in its own).
 */
export async function horizontalOverflow(page: Page): Promise<{ page: number; boxes: string[] }> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const boxes = await page.$$eval('main *', (els) => {
    const contained = (e: Element) => {
      for (let p = e.parentElement; p && p.tagName !== 'MAIN'; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    return els
      .filter((e) => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !contained(e))
      .map((e) => `${e.tagName.toLowerCase()}.${e.getAttribute('class') ?? ''}`);
  });
  return { page: overflow, boxes };
}
