/**
 * Plugs the webview panels into the extension: provides the `panels` part the commands use
 * (`extension/commands/panels-slot.ts`) and registers the serializers that restore open panels
 * after a window reload. Add `registerPanels` to the feature list in `extension/main.ts`.
 */
import * as vscode from 'vscode';
import type { CellKind } from '../../runtime/protocol/genotype.js';
import type { BnasContext } from '../context.js';
import { RUN_VIEW_TYPE, RunPanel } from './run-panel.js';
import { SearchSpacePanel, SPACE_VIEW_TYPE } from './search-space-panel.js';

/** Registers the run view and the search-space view. */
export function registerPanels(ctx: BnasContext): void {
  ctx.provide('panels', {
    openRunView: (runId: string) => RunPanel.show(ctx, runId),
    openSearchSpaceView: (uri: vscode.Uri) => SearchSpacePanel.show(ctx, uri),
    exportSvg: (runId: string, cell: CellKind) => (RunPanel.get(runId) ?? RunPanel.show(ctx, runId, { preserveFocus: true })).renderSvg(cell),
  });
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(RUN_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => void RunPanel.revive(ctx, panel, state),
    }),
  );
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(SPACE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => void SearchSpacePanel.revive(ctx, panel, state),
    }),
  );
  ctx.own({ dispose: () => RunPanel.disposeAll() });
}
