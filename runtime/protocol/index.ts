/** Types of every message that crosses a process or webview boundary. */
export * from './genotype.js';
export * from './events.js';
export * from './webview.js';
