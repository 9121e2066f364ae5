/**
 * Builds the `bnas report` page: the run view as one self-contained HTML file. The run view's
 * scripts (the shared Mermaid script, then the view bundle) and its CSS are inlined, the run's
 * events travel in a JSON data block (not executable; every `<` escaped), and a
 * Content-Security-Policy allows only those scripts (by hash) and no network at all, so the page
 * opens offline in any browser and cannot phone home.
 * Pure Node, no VS Code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunEvent } from '../protocol/events.js';
import { viewScripts, type ReportData } from '../protocol/webview.js';
import { readRunEvaluations } from './run-evaluations.js';

/** The run view bundle: its scripts in load order (the shared Mermaid script first) and its CSS. */
export interface RunViewBundle {
  readonly scripts: readonly string[];
  readonly css: string;
}

/**
 * Reads the run view bundle from `mediaDir` (the `dist/media` folder of a build).
 * @throws an Error saying which file is missing and how to build it
 */
export function readRunViewBundle(mediaDir: string): RunViewBundle {
  const scripts = viewScripts('run').map((path) => join(mediaDir, ...path.split('/')));
  const css = join(mediaDir, 'run', 'main.css');
  for (const f of [...scripts, css]) if (!existsSync(f)) throw new Error(`${f} is missing: the run view bundle is built by \`npm run build\``);
  return { scripts: scripts.map((f) => readFileSync(f, 'utf8')), css: readFileSync(css, 'utf8') };
}

/** Escapes text for an HTML text node or attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the two JavaScript line
 * separators are written as \u escapes, so no event text can close the block or open a comment.
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Drops a trailing source-map comment: the map is not shipped in the page. */
function withoutSourceMap(text: string): string {
  return text.replace(/\n?\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, '\n');
}

/** Makes script text safe inside <script>…</script> without changing what it does. */
function inlineScript(js: string): string {
  return withoutSourceMap(js).replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** What the report page carries for a run folder's events. */
export function reportData(dir: string, events: readonly RunEvent[]): ReportData {
  const started = events.find((e) => e.type === 'started');
  const id = basename(dir);
  return {
    run: { id, dir: undefined, title: started?.type === 'started' && started.space !== id ? `${started.space} · ${id}` : id, live: false },
    events,
    evaluations: readRunEvaluations(dir).evaluations,
  };
}

/**
 * The self-contained page.
 * @param data run and events shown
 * @param bundle run view script and CSS (inlined)
 */
export function reportHtml(data: ReportData, bundle: RunViewBundle): string {
  const scripts = bundle.scripts.map(inlineScript);
  const hashes = scripts.map((script) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
  const csp = [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    // Mermaid writes <style> into each SVG; the UI components set inline styles.
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    'font-src data:',
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const generated = new Date().toISOString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="BNAS Studio (bnas report), ${generated}">
<title>${escapeHtml(`BNAS run ${data.run.title}`)}</title>
<style>${withoutSourceMap(bundle.css).replace(/<\/(style)/gi, '<\\/$1')}</style>
</head>
<body class="bnas-standalone">
<main id="app"></main>
<script type="application/json" id="bnas-report-data">${jsonForHtml(data)}</script>
${scripts.map((script) => `<script>${script}</script>\n`).join('')}</body>
</html>
`;
}
