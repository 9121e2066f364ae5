/// <reference types="mocha" />
// The search-space view in a real host: opened from the command palette beside a `.bnas` file, it
// draws the space, and it follows the document as the user edits it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ui, waitFor } from '../in-host/bridge.js';
import { activateExtension } from '../in-host/extension.js';
import { openInEditor, positionOf } from '../in-host/vscode-helpers.js';

/** Text of the first element matching `selector` in any webview frame, once `accept` holds. */
async function frameTextWhen(selector: string, accept: (text: string) => boolean, what: string): Promise<string> {
  return waitFor(async () => {
    const text = await ui({ action: 'frameText', selector, timeoutMs: 5_000 }).catch(() => undefined);
    return text !== undefined && accept(text) ? text : undefined;
  }, { timeoutMs: 90_000, what, pollMs: 500 });
}

/** Registers the search-space view scenarios (trusted workspace). */
export function spaceViewScenarios(): void {
  describe('the search-space view', () => {
    before(async () => {
      await activateExtension();
    });

    it('draws the open file and redraws when the ops list is edited', async () => {
      const editor = await openInEditor('view.bnas');
      const doc = editor.document;
      const ops = doc.getText().match(/ops\s*=\s*\[([^\]]*)\]/);
      assert.ok(ops, 'view.bnas has an ops list');
      const names = ops[1]!.split(',').map((s) => s.trim()).filter(Boolean);
      assert.ok(names.length >= 2, `view.bnas needs two ops or more: ${names.join(', ')}`);
      await ui({ action: 'palette', label: 'BNAS: Open Search-Space View' });
      const table = await frameTextWhen('.ops-table tbody', (t) => names.every((n) => t.includes(n)), 'the ops table to list every op of the file');
      assert.ok(names.every((n) => table.includes(n)), table);

      // Remove the last op from the list in the editor: the view must drop it without a save.
      const gone = names.at(-1)!;
      await vscode.window.showTextDocument(doc, { preview: false });
      const at = positionOf(doc, `, ${gone}`);
      const ok = await editor.edit((e) => e.delete(new vscode.Range(at, at.translate(0, `, ${gone}`.length))));
      assert.ok(ok, 'the edit was applied');
      const after = await frameTextWhen('.ops-table tbody', (t) => !t.includes(gone), `the ops table to drop ${gone}`);
      assert.ok(names.slice(0, -1).every((n) => after.includes(n)), `the other ops stay listed: ${after}`);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    });
  });
}
