/// <reference types="mocha" />
// The extension is installed, activates without error in a real host and contributes its language.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension } from '../in-host/extension.js';

/** Registers the activation scenarios. */
export function smokeScenarios(): void {
  describe('activation', () => {
    it('activates and registers the .bnas language', async () => {
      const ext = await activateExtension();
      assert.equal(ext.isActive, true);
      const languages = await vscode.languages.getLanguages();
      assert.ok(languages.includes('bnas'), `the bnas language is not registered; got ${languages.length} languages`);
    });
  });
}
