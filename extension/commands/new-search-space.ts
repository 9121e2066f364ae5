/** `bnas.newSearchSpace`: a template written into the workspace and opened. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { BNAS_LANGUAGE } from './args.js';
import { TEMPLATES, fileNameFor, renderTemplate } from './templates.js';

export const newSearchSpace = (_ctx: BnasContext) => async (arg?: unknown) => {
  const template = await vscode.window.showQuickPick(
    TEMPLATES.map((t) => ({ label: t.label, detail: t.detail, t })),
    { placeHolder: 'Start from a template' },
  );
  if (!template) return;
  const name = await vscode.window.showInputBox({
    prompt: 'Name of the search space (after `search`, and the file name)',
    value: template.t.id === 'quick' ? 'my-search' : `my-${template.t.id}-search`,
    validateInput: (v) =>
      /^[A-Za-z][A-Za-z0-9_-]*$/.test(v.trim()) ? undefined : 'Use a letter first, then letters, digits, - or _.',
  });
  if (!name) return;
  const text = renderTemplate(template.t, name.trim());

  const folder = await targetFolder(arg);
  if (!folder) {
    // No folder open: an untitled editor; "Run Search" asks to save it first.
    const doc = await vscode.workspace.openTextDocument({ language: BNAS_LANGUAGE, content: text });
    await vscode.window.showTextDocument(doc);
    return;
  }
  const path = join(folder.fsPath, fileNameFor(name));
  if (existsSync(path)) {
    const choice = await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(path)} exists.`, { modal: true }, 'Replace');
    if (choice !== 'Replace') return;
  }
  const uri = vscode.Uri.file(path);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  await vscode.window.showTextDocument(uri);
};

/** The explorer folder the command was invoked on, the only workspace folder, or one picked. */
async function targetFolder(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) {
    const stat = await vscode.workspace.fs.stat(arg).then(
      (s) => s,
      () => undefined,
    );
    if (stat?.type === vscode.FileType.Directory) return arg;
    return vscode.Uri.joinPath(arg, '..');
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0]?.uri;
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for the new search space' }))?.uri;
}
