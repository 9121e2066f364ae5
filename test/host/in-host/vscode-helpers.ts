// Small helpers over the VS Code API for the host scenarios: open workspace files, wait for
// diagnostics by event, read diagnostic codes, position lookups by text.
import * as vscode from 'vscode';
import { workspaceRoot } from './extension.js';

/** Opens a workspace file (relative path) in an editor and returns the editor. */
export async function openInEditor(relative: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(workspaceRoot(), relative);
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

/**
 * Resolves with the diagnostics of `uri` once `accept` holds for them, waiting on
 * `onDidChangeDiagnostics`; rejects after `timeoutMs` with what was there last.
 */
export function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (d: readonly vscode.Diagnostic[]) => boolean,
  timeoutMs = 30_000,
): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const d = vscode.languages.getDiagnostics(uri);
      if (!accept(d)) return false;
      sub.dispose();
      clearTimeout(timer);
      resolve(d);
      return true;
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      sub.dispose();
      const now = vscode.languages.getDiagnostics(uri).map(describeDiagnostic);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for diagnostics of ${uri.path}; current: ${JSON.stringify(now)}`));
    }, timeoutMs);
    check();
  });
}

/** The diagnostic's code as a string (VS Code may wrap it with a link target). */
export function codeOf(d: vscode.Diagnostic): string {
  const c = d.code;
  if (c === undefined) return '';
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** A compact description for failure messages. */
export function describeDiagnostic(d: vscode.Diagnostic): string {
  return `${codeOf(d)}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.message}`;
}

/** The position just after the first occurrence of `needle` (plus `offset` characters). */
export function positionAfter(doc: vscode.TextDocument, needle: string, offset = 0): vscode.Position {
  const at = doc.getText().indexOf(needle);
  if (at < 0) throw new Error(`"${needle}" is not in ${doc.uri.path}`);
  return doc.positionAt(at + needle.length + offset);
}

/** The position of the first character of the first occurrence of `needle`. */
export function positionOf(doc: vscode.TextDocument, needle: string): vscode.Position {
  const at = doc.getText().indexOf(needle);
  if (at < 0) throw new Error(`"${needle}" is not in ${doc.uri.path}`);
  return doc.positionAt(at);
}

/** Plain text of hover contents (markdown or marked strings). */
export function hoverText(hovers: readonly vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

/** Labels of completion items. */
export function completionLabels(list: vscode.CompletionList): string[] {
  return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
}
