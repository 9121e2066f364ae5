/**
 * Entry of `dist/media/mermaid.js`: Mermaid once, for both views and the report page. Each page
 * loads this script before its own (by nonce in a webview, inlined by hash in a report), and
 * mermaid-view.ts finds the library here, so the view bundles do not each carry a copy.
 */
import mermaid from 'mermaid';
import { MERMAID_GLOBAL } from './mermaid-global-name.js';

(globalThis as Record<string, unknown>)[MERMAID_GLOBAL] = mermaid;
