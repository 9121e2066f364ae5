/**
 * Entry of the sweep view bundle (`dist/media/sweep/main.js`): posts `ready`, draws each
 * `sweepState`, and keeps the sweep folder and the table's order in the webview state so a
 * reloaded panel finds its sweep again.
 */
import { checkToSweepView, type FromSweepView } from '../../runtime/protocol/sweep-view.js';
import { h } from '../shared/dom.js';
import { followTheme, mermaidIdle } from '../shared/mermaid-view.js';
import type { Sort } from './model.js';
import { SweepView } from './view.js';
import './sweep.css';

interface VsCodeApi {
  postMessage(message: FromSweepView): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SweepViewState {
  readonly dir?: string;
  readonly sort?: Sort;
}

function start(): void {
  const api = acquireVsCodeApi();
  const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
  followTheme();
  (window as unknown as { bnasMermaidIdle: () => Promise<void> }).bnasMermaidIdle = mermaidIdle;
  const saved = (api.getState() ?? {}) as SweepViewState;
  let dir = saved.dir;
  const view = new SweepView(root, (m) => api.postMessage(m), saved.sort);
  const save = () => api.setState({ dir, sort: view.sortOrder } satisfies SweepViewState);
  root.addEventListener('bnas-sort', save);
  window.addEventListener('message', (ev: MessageEvent) => {
    const checked = checkToSweepView(ev.data);
    if (!checked.ok) return void console.warn(`bnas sweep view: ignored a malformed message (${checked.reason})`);
    const m = checked.value;
    if (m.type === 'sweepState') {
      dir = m.data.dir;
      view.update(m.data);
      save();
    } else view.showNotice(m.message);
  });
  api.postMessage({ type: 'ready', view: 'sweep' });
}

start();
