// Builds every bundle the product ships with esbuild:
//   dist/extension.cjs        the VS Code extension (no TensorFlow.js inside)
//   dist/language-client.cjs  the language client half (vscode-languageclient), loaded after activation
//   dist/space-panel.cjs      the search-space panel (Langium), loaded when first opened
//   dist/language-server.cjs  the .bnas language server (Langium, no TensorFlow.js)
//   dist/cli.cjs              the `bnas` command line and search runtime child process
//   dist/media/*/main.js      the webview front end (browser), one bundle per view
//   dist/media/mermaid.js     Mermaid, once, loaded by both views and the report page
// Usage: node scripts/build.mjs [--watch] [--minify]
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { buildSimd } from './build-simd.mjs';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');
const polyfills = readFileSync(new URL('./polyfills.cjs', import.meta.url), 'utf8');

/** Node bundles: CommonJS so VS Code and `node` load them directly. */
const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify,
  logLevel: 'warning',
  // TensorFlow.js stays a package: its wasm backend finds its .wasm files next to its own JS,
  // and tfjs-node, tfjs-backend-webgpu and `webgpu` (Dawn) are optional, loaded at run time only
  // when asked for.
  external: ['vscode', '@tensorflow/*', 'webgpu'],
  banner: { js: polyfills },
};

const entries = [
  { ...node, entryPoints: ['extension/main.ts'], outfile: 'dist/extension.cjs' },
  // Loaded on demand by the extension (not bundled into it, esbuild's CJS output cannot split):
  // the language client (vscode-languageclient) and the search-space panel (Langium).
  { ...node, entryPoints: ['extension/language/client-impl.ts'], outfile: 'dist/language-client.cjs' },
  { ...node, entryPoints: ['extension/panels/search-space-panel.ts'], outfile: 'dist/space-panel.cjs' },
  { ...node, entryPoints: ['runtime/dsl/server/main.ts'], outfile: 'dist/language-server.cjs' },
  {
    ...node,
    entryPoints: ['runtime/cli/main.ts'],
    outfile: 'dist/cli.cjs',
    banner: { js: '#!/usr/bin/env node\n' + polyfills },
  },
  // Data-parallel gradient workers (runtime/engine/data-parallel.ts looks for it beside the CLI).
  { ...node, entryPoints: ['runtime/engine/replica-worker.ts'], outfile: 'dist/engine-worker.cjs' },
  // The search's replica module those workers load (runtime/search/parallel.ts looks beside the CLI).
  { ...node, entryPoints: ['runtime/search/replica.ts'], outfile: 'dist/search-replica.cjs' },
  // `bnas evaluate`'s replica module (runtime/search/evaluate.ts looks beside the CLI).
  { ...node, entryPoints: ['runtime/search/evaluate-replica.ts'], outfile: 'dist/evaluate-replica.cjs' },
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
    // Always minified: Mermaid is most of the size, and `bnas report` inlines it.
    minify: true,
    logLevel: 'warning',
    // dist/media/<view>/main.js per view, and Mermaid once in dist/media/mermaid.js: both views
    // and the report page load it before their own script (media/shared/mermaid-global.ts).
    entryPoints: {
      'search-space/main': 'media/search-space/main.ts',
      'run/main': 'media/run/main.ts',
      'sweep/main': 'media/sweep/main.ts',
      mermaid: 'media/shared/mermaid-global.ts',
    },
    outdir: 'dist/media',
  },
];

// The engine's wasm SIMD kernels, embedded in runtime/engine/simd/kernels-wasm.ts (see build-simd.mjs).
buildSimd();
mkdirSync('dist', { recursive: true });
const sources = (e) => Object.values(e.entryPoints);
const ready = entries.filter((e) => sources(e).every((f) => existsSync(f)));
for (const e of entries) if (!ready.includes(e)) console.log(`build: skipped ${e.outfile ?? e.outdir} (no source yet)`);

if (watch) {
  for (const e of ready) await (await esbuild.context(e)).watch();
  console.log('build: watching');
} else {
  const t0 = Date.now();
  await Promise.all(ready.map((e) => esbuild.build(e)));
  console.log(`build: ${ready.length} bundles in ${Date.now() - t0} ms`);
}
