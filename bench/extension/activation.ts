/**
 * Activation time of the extension outside a VS Code host: in fresh Node processes, `require`
 * the built bundle with a stub `vscode` and call `activate()` with a fake extension context.
 * Reports the median (and min/max) of several processes for: the bundle load, `activate()`, and
 * the language client's bundle, which activation loads on the next tick (off its critical path).
 *
 * Usage: node --import tsx bench/extension/activation.ts [--runs N] [--bundle path/to/extension.cjs]
 *        [--label name] [--no-write]
 * `--bundle` measures another build of the bundle (for a before/after comparison in one run);
 * the extension folder (for `asAbsolutePath`) is always this checkout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('runs') ?? 9);
const BUNDLE = resolve(arg('bundle') ?? join(ROOT, 'dist', 'extension.cjs'));
const LABEL = arg('label') ?? 'dist/extension.cjs';

/** Top-level names of the `vscode` API (namespaces, classes, enums), from its type declarations. */
const VSCODE_NAMES = [
  ...new Set(
    [...readFileSync(join(ROOT, 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8').matchAll(/^\t?export (?:namespace|class|enum) (\w+)/gm)].map((m) => m[1] as string),
  ),
];

/** One fresh process: milliseconds for require, activate, and the deferred client bundle. */
interface Sample {
  requireMs: number;
  activateMs: number;
  clientLoadedMs: number;
  clientBundleLoaded: boolean;
}

function sample(): Sample {
  // The stub answers every property and call with itself; awaiting it gives undefined.
  const script = `
    const Module = require('node:module');
    const path = require('node:path');
    const then = (f) => { if (typeof f === 'function') f(undefined); return stub; };
    const stub = new Proxy(function () {}, {
      get: (_t, k) => (k === 'then' ? then : k === Symbol.toPrimitive ? () => '' : stub),
      set: () => true,
      apply: () => stub,
      construct: () => stub,
    });
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (r, ...a) { return r === 'vscode' ? 'vscode' : resolve.call(this, r, ...a); };
    // Own properties (a bundle copies them off the module), every one the stub.
    const exports = { ...Object.fromEntries(${JSON.stringify(VSCODE_NAMES)}.map((n) => [n, stub])), version: '1.91.0' };
    require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports };
    const root = ${JSON.stringify(ROOT)};
    const context = new Proxy({
      extensionPath: root,
      asAbsolutePath: (p) => path.join(root, p),
      subscriptions: [],
      extension: { packageJSON: { version: 'bench' } },
    }, { get: (t, k) => (k in t ? t[k] : k === 'then' ? undefined : stub) });
    (async () => {
      const t0 = performance.now();
      const ext = require(${JSON.stringify(BUNDLE)});
      const t1 = performance.now();
      await ext.activate(context);
      const t2 = performance.now();
      // The language client bundle is loaded on a later tick; wait for it (or for nothing).
      const clientBundle = path.join(root, 'dist', 'language-client.cjs');
      for (let i = 0; i < 20 && !require.cache[clientBundle]; i++) await new Promise((r) => setImmediate(r));
      const t3 = performance.now();
      process.stdout.write(JSON.stringify({
        requireMs: t1 - t0, activateMs: t2 - t1, clientLoadedMs: t3 - t0,
        clientBundleLoaded: Boolean(require.cache[clientBundle]),
      }));
      process.exit(0);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`activation bench process failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Sample;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] as number, min: s[0] as number, max: s[s.length - 1] as number };
};
const fmt = (x: { median: number; min: number; max: number }) => `${x.median.toFixed(1)} ms (${x.min.toFixed(1)}–${x.max.toFixed(1)})`;

if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} does not exist: run \`npm run build\` first.`);
const samples = Array.from({ length: RUNS }, sample);
const req = stats(samples.map((s) => s.requireMs));
const act = stats(samples.map((s) => s.activateMs));
const total = stats(samples.map((s) => s.requireMs + s.activateMs));
const client = stats(samples.map((s) => s.clientLoadedMs));
const kib = Math.round(statSync(BUNDLE).size / 1024);
const row = `| ${LABEL} | ${kib} KiB | ${fmt(req)} | ${fmt(act)} | ${fmt(total)} | ${samples.every((s) => s.clientBundleLoaded) ? fmt(client) : 'bundled'} |`;
console.log(`bundle ${BUNDLE} (${kib} KiB), median (min–max) of ${RUNS} fresh processes`);
console.log(`  require ${fmt(req)}\n  activate() ${fmt(act)}\n  require + activate ${fmt(total)}`);
console.log(`  until the language client bundle is loaded (after activation) ${samples.every((s) => s.clientBundleLoaded) ? fmt(client) : 'n/a (bundled)'}`);

if (!process.argv.includes('--no-write')) {
  // Rows accumulate in their own section of results.md (run.ts rewrites the rest of that file).
  const file = join(import.meta.dirname, 'results.md');
  const begin = '<!-- activation:begin -->';
  const end = '<!-- activation:end -->';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const header = [
    begin,
    '## Activation (bench/extension/activation.ts)',
    '',
    `Stub \`vscode\`, fake context, median (min–max) of ${RUNS} fresh processes, Node ${process.version}.`,
    '',
    '| bundle | size | require | activate() | require + activate | client bundle loaded (from require) |',
    '|---|---|---|---|---|---|',
  ];
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const rows = i >= 0 && j > i ? text.slice(i, j).split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| bundle |')) : [];
  const section = [...header, ...rows.filter((l) => !l.startsWith(`| ${LABEL} |`)), row, end].join('\n');
  const next = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
