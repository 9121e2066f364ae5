/**
 * `bnas.validate`: runs the language's validation on `.bnas` files and shows the problems. The
 * language server (which works in untrusted workspaces too) validates every opened document; this
 * command opens the files, waits for their diagnostics and sums them up with a way to the list.
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { bnasUris, resolveBnasUri } from './args.js';

/** How long to wait for the language server's first diagnostics of a just-opened file. */
const DIAGNOSTICS_WAIT_MS = 5_000;

export const validate = (ctx: BnasContext) => async (arg?: unknown, all?: unknown) => {
  let uris = bnasUris(arg, all);
  if (uris.length === 0) {
    const one = await resolveBnasUri(arg, 'Validate');
    if (!one) return;
    uris = [one];
  }
  const results = await Promise.all(uris.map((u) => diagnosticsOf(ctx, u)));
  let errors = 0;
  let warnings = 0;
  for (const list of results) {
    errors += list.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length;
    warnings += list.filter((d) => d.severity === vscode.DiagnosticSeverity.Warning).length;
  }
  const what = uris.length === 1 ? vscode.workspace.asRelativePath(uris[0] as vscode.Uri) : `${uris.length} files`;
  if (errors === 0 && warnings === 0) {
    void vscode.window.showInformationMessage(`BNAS: ${what} is valid.`);
    return;
  }
  const summary = `BNAS: ${what}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`;
  const show = errors ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  const choice = await show(summary, 'Show Problems');
  if (choice) await vscode.commands.executeCommand('workbench.actions.view.problems');
};

/** Opens the document (so the language server validates it) and returns its diagnostics. */
async function diagnosticsOf(ctx: BnasContext, uri: vscode.Uri): Promise<readonly vscode.Diagnostic[]> {
  const wasOpen = vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
  if (wasOpen) return vscode.languages.getDiagnostics(uri);
  const arrived = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      ctx.log.warn(`Validate: no diagnostics for ${uri.fsPath} within ${DIAGNOSTICS_WAIT_MS} ms (is the language server running?)`);
      resolve();
    }, DIAGNOSTICS_WAIT_MS);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
  await vscode.workspace.openTextDocument(uri);
  await arrived;
  return vscode.languages.getDiagnostics(uri);
}
