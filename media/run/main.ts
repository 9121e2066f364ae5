/**
 * Entry of the run view bundle (`dist/media/run/main.js`). In VS Code it posts `ready` and waits
 * for `runInit` / `runEvents`; in a `bnas report` page it reads the run from the embedded
 * `<script type="application/json" id="bnas-report-data">` block instead.
 */
import { parseReportData, checkToWebviewMessage, type RunInfo } from '../../runtime/protocol/webview.js';
import { h } from '../shared/dom.js';
import { connectHost } from '../shared/host.js';
import { followTheme, mermaidIdle } from '../shared/mermaid-view.js';
import { RunView } from './view.js';
import './run.css';

/** What the panel serializer gets back after a reload: enough to find the run again. */
interface RunViewState {
  readonly view: 'run';
  readonly run?: RunInfo;
}

/** A report page outside VS Code: light or dark like the system, switching live. */
function followSystemTheme(): void {
  document.body.classList.add('bnas-standalone');
  if ([...document.body.classList].some((c) => c.startsWith('vscode-'))) return;
  const dark = matchMedia('(prefers-color-scheme: dark)');
  const apply = () => {
    document.body.classList.toggle('vscode-dark', dark.matches);
    document.body.classList.toggle('vscode-light', !dark.matches);
  };
  apply();
  dark.addEventListener('change', apply);
}

function start(): void {
  const host = connectHost();
  const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
  followTheme();
  // Lets tests and the benchmark wait for drawings instead of sleeping.
  (window as unknown as { bnasMermaidIdle: () => Promise<void> }).bnasMermaidIdle = mermaidIdle;

  if (host.standalone) {
    followSystemTheme();
    const block = document.getElementById('bnas-report-data');
    let data;
    try {
      data = block?.textContent ? parseReportData(JSON.parse(block.textContent)) : undefined;
    } catch {
      data = undefined; // shown below as a readable error
    }
    const view = new RunView(root, host);
    if (data) {
      view.init(data.run, data.events);
      view.setEvaluations(data.evaluations ?? []);
    }
    else root.prepend(h('p', { class: 'error', role: 'alert' }, 'This report holds no readable run data.'));
    (window as unknown as { bnasRunView: RunView }).bnasRunView = view;
    return;
  }

  const view = new RunView(root, host);
  (window as unknown as { bnasRunView: RunView }).bnasRunView = view;
  window.addEventListener('message', (ev: MessageEvent) => {
    const checked = checkToWebviewMessage(ev.data);
    if (!checked.ok) {
      console.warn(`bnas run view: ignored a malformed message (${checked.reason})`, ev.data);
      return;
    }
    const parsed = checked.value;
    if (parsed.dropped) console.warn(`bnas run view: dropped ${parsed.dropped} malformed events`);
    const m = parsed.message;
    if (m.type === 'runInit') {
      view.init(m.run, m.events);
      const state: RunViewState = { view: 'run', run: m.run };
      host.setState(state);
    } else if (m.type === 'runEvents') {
      view.push(m.events);
    } else if (m.type === 'runEvaluations') {
      view.setEvaluations(m.evaluations);
    } else if (m.type === 'runLive') {
      view.setLive(m.live);
    } else if (m.type === 'renderSvg') {
      void view.svgOf(m.cell).then(
        (svg) => host.post({ type: 'svg', requestId: m.requestId, ...(svg ? { svg } : { error: 'the cell has not been derived yet' }) }),
        (e: unknown) => host.post({ type: 'svg', requestId: m.requestId, error: String(e) }),
      );
    }
  });
  host.post({ type: 'ready', view: 'run' });
}

start();
