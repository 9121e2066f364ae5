// Builds the minified bundles and packages the extension as a .vsix with @vscode/vsce 3.9.2 (the
// last major that runs on Node 20, and packages offline). `.vscodeignore` is an allow-list.
// Prints the size, the largest entries, and checks that what the installed extension needs at run
// time is inside (bundles, the wasm backend's .wasm files, Mermaid in the webview bundle).
// Usage: node scripts/host/package.mjs [--record]   (--record writes bench/ci/vsix-size.json)
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Buffer } from 'node:buffer';

/** Size budget of the .vsix in MiB; exceeding it fails packaging so growth is a decision. */
const BUDGET_MIB = 25;

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = `${pkg.name}-${pkg.version}.vsix`;
const record = process.argv.includes('--record');

function run(cmd, args) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: ${cmd} ${args.join(' ')} failed with ${r.status ?? r.signal}`);
    process.exit(1);
  }
  return Date.now() - t0;
}

const buildMs = run(process.execPath, ['scripts/build.mjs', '--minify']);
// --allow-missing-repository: the project has no public repository URL yet; without the flag
// vsce stops to ask on a terminal and fails without one. --no-rewrite-relative-links: without a
// repository URL vsce cannot turn the README's relative image links into absolute ones and refuses;
// the images travel inside the package (docs/images) and the links stay relative.
const vsceMs = run(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package',
  '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix]);

// List the archive (a zip) without extra dependencies: `unzip -l` is not on every machine, so
// read the central directory ourselves.
const entries = listZip(readFileSync(join(root, vsix)));
const bytes = statSync(join(root, vsix)).size;
const mib = bytes / 2 ** 20;
const required = [
  'extension/package.json',
  'extension/dist/extension.cjs',
  'extension/dist/language-server.cjs',
  'extension/dist/language-client.cjs',
  'extension/dist/space-panel.cjs',
  'extension/dist/cli.cjs',
  // The webviews: Mermaid once, shared by both views, then each view's bundle.
  'extension/dist/media/mermaid.js',
  'extension/dist/media/run/main.js',
  'extension/dist/media/search-space/main.js',
  'extension/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'extension/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'extension/node_modules/@tensorflow/tfjs/dist/tf.node.js',
  // examples/ucb-idx.bnas runs from the installed extension: its data and the script that makes it.
  'extension/examples/ucb-idx.bnas',
  'extension/examples/data/idx-tiny/train-images-idx3-ubyte.gz',
  'extension/examples/data/make-idx-tiny.mjs',
];
const forbidden = [/\.ts$/, /\.map$/, /^extension\/(test|bench|runtime|scripts)\//, /^extension\/node_modules\/(langium|mermaid|vscode-languageclient|typescript)\//];
const missing = required.filter((r) => !entries.some((e) => e.name === r));
const leaked = entries.filter((e) => forbidden.some((f) => f.test(e.name))).map((e) => e.name);

console.log(`\npackage: ${vsix} ${mib.toFixed(2)} MiB (${bytes} bytes), ${entries.length} files; budget ${BUDGET_MIB} MiB`);
for (const e of [...entries].sort((a, b) => b.size - a.size).slice(0, 8)) {
  console.log(`  ${(e.size / 2 ** 20).toFixed(2).padStart(7)} MiB  ${e.name}`);
}
const problems = [];
if (missing.length) problems.push(`missing from the .vsix: ${missing.join(', ')}`);
if (leaked.length) problems.push(`should not be in the .vsix: ${leaked.slice(0, 10).join(', ')}`);
if (mib > BUDGET_MIB) problems.push(`${mib.toFixed(2)} MiB is over the ${BUDGET_MIB} MiB budget`);

if (record) {
  const out = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    vsix,
    bytes,
    mib: Number(mib.toFixed(3)),
    budgetMib: BUDGET_MIB,
    files: entries.length,
    buildMs,
    vsceMs,
    largest: [...entries].sort((a, b) => b.size - a.size).slice(0, 12).map((e) => ({ name: e.name, bytes: e.size, compressed: e.compressed })),
  };
  writeFileSync(join(root, 'bench', 'ci', 'vsix-size.json'), JSON.stringify(out, null, 2) + '\n');
  console.log('package: recorded bench/ci/vsix-size.json');
}
if (problems.length) {
  for (const p of problems) console.error(`package: ${p}`);
  process.exit(1);
}

/** Entries of a zip archive from its central directory: name, uncompressed and compressed size. */
function listZip(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${vsix} is not a zip archive`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    out.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLen), size, compressed });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
