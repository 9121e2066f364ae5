// The desktop route, for machines that can download VS Code: @vscode/test-electron downloads (or
// reuses) a VS Code build and runs the same bundled tests modules in its Electron extension host.
// Selected with BNAS_HOST=electron. UI actions need the browser harness, so only suites marked
// `electron` run here. It cannot run on machines that reach only the npm registry.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleSuite, ROOT } from './bundle.js';
import { SUITES } from '../suites.js';

/** Runs the named suites under test-electron; resolves with the process exit code. */
export async function runElectron(names: readonly string[]): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  let passed = 0;
  let failed = 0;
  for (const name of names) {
    const spec = SUITES.find((s) => s.name === name);
    if (!spec) throw new Error(`unknown suite ${name}`);
    const tmp = mkdtempSync(join(tmpdir(), `bnas-electron-${name}-`));
    const workspace = join(tmp, 'workspace');
    cpSync(join(ROOT, 'test', 'host', 'fixtures', spec.workspace), workspace, { recursive: true });
    try {
      const code = await runTests({
        version: process.env.BNAS_VSCODE_VERSION ?? 'stable',
        extensionDevelopmentPath: ROOT,
        extensionTestsPath: await bundleSuite(name),
        launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--user-data-dir', join(tmp, 'user'),
          ...(spec.trusted ? ['--disable-workspace-trust'] : [])],
      });
      if (code === 0) passed++;
      else failed++;
    } catch (e) {
      console.error(`electron: suite ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
      failed++;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  // Counts suites, not tests: mocha's own spec output above lists the tests.
  console.log(`electron: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
