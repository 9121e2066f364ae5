// Finds and activates the extension under test inside the host and reports the moment it is
// active to the harness (which measures server start → activation).
import * as vscode from 'vscode';
import { send } from './bridge.js';

/** Marketplace id of the extension (`publisher.name` in package.json). */
export const EXTENSION_ID = 'bnas-studio.bnas-studio';

let activated: Promise<vscode.Extension<unknown>> | undefined;

/**
 * Resolves with the activated extension; reports activation once per host. Rejects with a clear
 * message when the extension is not installed or its activation throws.
 */
export function activateExtension(): Promise<vscode.Extension<unknown>> {
  activated ??= (async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    if (!ext) {
      const ids = vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => e.id);
      throw new Error(`extension ${EXTENSION_ID} is not in the host; non-builtin extensions: ${ids.join(', ') || 'none'}`);
    }
    await ext.activate();
    send({ kind: 'activated', extensionId: ext.id, at: Date.now() });
    return ext;
  })();
  return activated;
}

/** The folder opened as the workspace (the harness always opens one). */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the host opened no workspace folder');
  return folder.uri;
}
