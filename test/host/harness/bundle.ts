// Bundles a host suite (test/host/suites/NAME.ts) into one CommonJS file the extension host can
// load as `extensionTestsPath`. `vscode` comes from the host; mocha stays external and resolves
// from the project's node_modules next to out/host/.
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Project root (three levels above this file). */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Bundles `test/host/suites/<suite>.ts` to `out/host/<suite>.cjs` and returns that path. */
export async function bundleSuite(suite: string): Promise<string> {
  const outDir = join(ROOT, 'out', 'host');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${suite}.cjs`);
  await esbuild.build({
    entryPoints: [join(ROOT, 'test', 'host', 'suites', `${suite}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return outfile;
}
