/// <reference types="mocha" />
// The packaged .vsix, installed with `code-server --install-extension`, is the copy under test:
// it activates from the extensions folder, and the search runtime inside it (dist/cli.cjs with
// the TensorFlow.js packages and wasm files the allow-list keeps) runs a tiny search.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { activateExtension, workspaceRoot } from '../in-host/extension.js';
import { expectRunViewCells, runManager, waitForRun } from '../in-host/runs.js';

const run = promisify(execFile);

/** Registers the installed-extension scenarios. */
export function installedScenarios(): void {
  describe('the installed .vsix', () => {
    it('is loaded from the extensions folder, not from the source tree', async () => {
      const ext = await activateExtension();
      assert.ok(!existsSync(join(ext.extensionPath, 'tsconfig.json')), `${ext.extensionPath} looks like the source tree`);
      assert.ok(!existsSync(join(ext.extensionPath, 'test')), 'tests were packaged');
      const bundles = ['extension', 'language-client', 'language-server', 'space-panel', 'cli', 'engine-worker', 'search-replica', 'evaluate-replica'].map((b) => `dist/${b}.cjs`);
      const media = ['dist/media/mermaid.js', 'dist/media/run/main.js', 'dist/media/search-space/main.js'];
      for (const f of [...bundles, ...media, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm']) {
        assert.ok(existsSync(join(ext.extensionPath, f)), `${f} is not in the installed extension`);
      }
    });

    it('runs a tiny search with the runtime and TensorFlow.js packages it ships', async () => {
      const ext = await activateExtension();
      // Into the workspace's runs folder, so the next test finds it in the runs history.
      const out = join(workspaceRoot().fsPath, '.bnas', 'runs', 'vsix-tiny');
      const space = join(workspaceRoot().fsPath, 'tiny.bnas');
      // ELECTRON_RUN_AS_NODE: under a desktop host process.execPath is Electron, not Node.
      await run(process.execPath, [join(ext.extensionPath, 'dist', 'cli.cjs'), 'search', space, '--out', out, '--backend', 'wasm'], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        timeout: 240_000,
      });
      const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { genotype: { normal: unknown[] }; backend: string };
      assert.equal(result.backend, 'wasm', 'the wasm backend (its .wasm files come from the .vsix) was not used');
      assert.equal(result.genotype.normal.length, 4, 'tiny.bnas has 2 nodes: the normal cell needs 4 [op, input] pairs');
    });

    it('draws the cells of that run in the run view (webview bundle with Mermaid from the .vsix)', async () => {
      const manager = await runManager();
      await vscode.commands.executeCommand('bnas.refreshRuns');
      const listed = await waitForRun(manager, (r) => r.name.includes('vsix-tiny') || r.dir.endsWith('vsix-tiny'), 'the CLI run in the runs history', 30_000);
      await expectRunViewCells(listed);
    });
  });
}
