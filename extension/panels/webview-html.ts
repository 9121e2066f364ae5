/**
 * The HTML shell of a webview panel: a strict Content-Security-Policy with a per-load nonce,
 * the bundle's CSS and scripts from `dist/media` only, and no data in the page (data arrives by
 * message after the `ready` handshake). Until the scripts have loaded (the shared Mermaid script
 * is large), the page shows the panel's title and a loading line rather than a blank page; the
 * view replaces them. Pure string code, so it is tested without VS Code.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin VS Code serves `asWebviewUri` resources from. */
  readonly cspSource: string;
  /**
   * `asWebviewUri` of each script, in load order: the shared `dist/media/mermaid.js`, then
   * `dist/media/<view>/main.js`.
   */
  readonly scriptUris: readonly string[];
  /** `asWebviewUri` of `dist/media/<view>/main.css`. */
  readonly styleUri: string;
  readonly title: string;
  /** A fresh nonce (tests pass a fixed one). */
  readonly nonce?: string;
}

/** A random nonce for one page load (base64, 128 bits). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The Content-Security-Policy of the webviews. Scripts: only the bundle, by nonce. Styles: the
 * bundle's CSS, plus `'unsafe-inline'` because Mermaid writes a <style> into each SVG and the UI
 * components set inline styles. Images only from the bundle folder and data: URIs (Mermaid icons).
 * No connections, frames, objects or forms.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The page of a webview panel. */
export function webviewHtml(o: WebviewHtmlOptions): string {
  const nonce = o.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title)}</title>
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
</head>
<body>
<main id="app" aria-live="off"><header><h1>${escapeHtml(o.title)}</h1><p class="muted" role="status">Loading the view…</p></header></main>
${o.scriptUris.map((uri) => `<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(uri)}"></script>\n`).join('')}</body>
</html>
`;
}
