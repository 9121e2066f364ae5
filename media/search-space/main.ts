/**
 * Entry of the search-space view bundle (`dist/media/search-space/main.js`): posts `ready`, then
 * shows each `space` message. Saves the document URI so the panel can be restored after a reload.
 */
import { checkToWebviewMessage } from '../../runtime/protocol/webview.js';
import { h } from '../shared/dom.js';
import { connectHost } from '../shared/host.js';
import { followTheme, mermaidIdle } from '../shared/mermaid-view.js';
import { SpaceView } from './view.js';
import './space.css';

function start(): void {
  const host = connectHost();
  const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
  followTheme();
  (window as unknown as { bnasMermaidIdle: () => Promise<void> }).bnasMermaidIdle = mermaidIdle;
  const view = new SpaceView(root, host);
  window.addEventListener('message', (ev: MessageEvent) => {
    const checked = checkToWebviewMessage(ev.data);
    if (!checked.ok) {
      console.warn(`bnas search-space view: ignored a malformed message (${checked.reason})`, ev.data);
      return;
    }
    const parsed = checked.value;
    const m = parsed.message;
    if (m.type === 'space') {
      view.update(m.data);
      host.setState({ view: 'space', uri: m.data.uri });
    } else if (m.type === 'notice') {
      view.showNotice(m.level, m.message);
    }
  });
  host.post({ type: 'ready', view: 'space' });
}

start();
