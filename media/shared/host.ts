/**
 * The page's link to its host. Inside VS Code that is `acquireVsCodeApi()` (messages and the
 * webview state); in a `bnas report` page there is no host: data is embedded in the page and
 * exports become downloads.
 */
import type { FromWebviewMessage } from '../../runtime/protocol/webview.js';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  // Provided by VS Code in webviews (and by the test harness); absent in report pages.
  function acquireVsCodeApi(): VsCodeApi;
}

export interface Host {
  /** True in a report page (no VS Code). */
  readonly standalone: boolean;
  post(message: FromWebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** Connects to VS Code when available, otherwise returns a standalone host. */
export function connectHost(): Host {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    return { standalone: false, post: (m) => api.postMessage(m), getState: () => api.getState(), setState: (st) => api.setState(st) };
  }
  let state: unknown;
  return { standalone: true, post: () => {}, getState: () => state, setState: (st) => (state = st) };
}

/** Starts a download of `text` as `fileName` (report pages only: webviews block downloads). */
export function download(fileName: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
