/**
 * CodeLens on the `search` line of a `.bnas` file: "Run search", "Validate", "Search-space view",
 * and the latest run of this file with its state and numbers (opens its results).
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import type { RunManager } from '../runs/run-manager.js';
import { describeSummary } from '../runs/run-summary.js';
import { stateLabel } from '../views/run-items.js';
import { BNAS_LANGUAGE } from './args.js';
import { searchLine } from './search-line.js';

class SearchCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly ctx: BnasContext,
    private readonly manager: RunManager,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.ctx.setting('codeLens', true, doc.uri)) return [];
    const line = searchLine(doc.getText().split(/\r?\n/));
    if (line < 0) return [];
    const range = new vscode.Range(line, 0, line, 0);
    const lenses = [
      new vscode.CodeLens(range, {
        title: vscode.workspace.isTrusted ? '$(play) Run search' : '$(shield) Run search (needs trust)',
        command: 'bnas.runSearch',
        arguments: [doc.uri],
        tooltip: 'Start a binary architecture search of this space (bnas.runSearch)',
      }),
      new vscode.CodeLens(range, { title: 'Validate', command: 'bnas.validate', arguments: [doc.uri] }),
      new vscode.CodeLens(range, { title: 'Search-space view', command: 'bnas.openSearchSpaceView', arguments: [doc.uri] }),
    ];
    const latest = doc.uri.scheme === 'file' ? this.manager.runs().find((r) => r.file === doc.uri.fsPath) : undefined;
    if (latest) {
      const numbers = describeSummary(latest.summary);
      lenses.push(
        new vscode.CodeLens(range, {
          title: `Last run: ${stateLabel(latest)}${numbers ? ` · ${numbers}` : ''}`,
          command: 'bnas.openResults',
          arguments: [latest.id],
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerCodeLens(ctx: BnasContext): void {
  const manager = ctx.get('runs');
  const provider = ctx.own(new SearchCodeLens(ctx, manager));
  ctx.own(vscode.languages.registerCodeLensProvider([{ language: BNAS_LANGUAGE, scheme: 'file' }, { language: BNAS_LANGUAGE, scheme: 'untitled' }], provider));
  // State changes only (not every event): the lens shows the ending numbers, not a live ticker.
  ctx.own(manager.onDidChangeRuns(() => provider.refresh()));
  ctx.own(vscode.workspace.onDidGrantWorkspaceTrust(() => provider.refresh()));
  ctx.onSettingChanged('codeLens', () => provider.refresh());
}
