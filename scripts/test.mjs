// Runs the test suites with Node's own test runner (its summary is what CI reads).
// Usage: node scripts/test.mjs [SUITE_OR_PATH_FILTER...]
//   suites are folders under test/: unit, cli, webview, host ...; with no argument all
//   suites except `host` (real VS Code host, run by `npm run test:host`), `slurm` (a real
//   one-node Slurm cluster, needs root: `npm run test:slurm`) and `webgpu` (a WebGPU adapter,
//   set up by `npm run test:webgpu`) are run.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    // Tool folders (e.g. test/host/.code-server, node_modules) hold no tests and may contain
    // dangling links, so they are not walked.
    if (name.startsWith('.') || name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const all = walk('test').sort();
const files = filters.length
  ? all.filter((f) => filters.some((x) => f.includes(x)))
  : all.filter((f) => !['host', 'slurm', 'webgpu'].some((suite) => f.startsWith(join('test', suite))));
if (files.length === 0) {
  console.error(`test: no test files match ${filters.join(' ') || 'test/'}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  [
    '--require', './scripts/polyfills.cjs',
    '--import', 'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    '--test-timeout=600000',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
