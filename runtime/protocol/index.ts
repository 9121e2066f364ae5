/** Schemas and types of every message that crosses a process or webview boundary, and the run folder's layout. */
export * from './check.js';
export * from './genotype.js';
export * from './events.js';
export * from './run-folder.js';
export * from './webview.js';
