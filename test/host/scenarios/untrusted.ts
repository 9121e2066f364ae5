/// <reference types="mocha" />
// In Restricted Mode (an untrusted workspace) the language features work, but running a search
// is refused with a message that says why, and nothing is started or written.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ui } from '../in-host/bridge.js';
import { workspaceRoot } from '../in-host/extension.js';
import { runManager } from '../in-host/runs.js';
import { openInEditor } from '../in-host/vscode-helpers.js';

/** Registers the untrusted-workspace scenarios. */
export function untrustedScenarios(): void {
  describe('an untrusted workspace', () => {
    it('is opened in Restricted Mode', () => {
      assert.equal(vscode.workspace.isTrusted, false, 'the harness should have left this workspace untrusted');
    });

    it('refuses to run a search and says why', async () => {
      const manager = await runManager();
      await openInEditor('tiny.bnas');
      await ui({ action: 'palette', label: 'BNAS: Run Search' });
      const toast = await ui({ action: 'waitText', selector: '.notifications-toasts .notification-toast', pattern: 'trust' });
      assert.match(toast, /needs a trusted workspace/, `the message does not say why: ${toast}`);
      assert.deepEqual(manager.runs().map((r) => r.name), [], 'a run was started in an untrusted workspace');
      assert.ok(!existsSync(join(workspaceRoot().fsPath, '.bnas', 'runs')), 'a run folder was written in an untrusted workspace');
    });
  });
}
