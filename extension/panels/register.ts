/**
 * Plugs the webview panels into the extension: provides the `panels` part the commands use
 * (`extension/commands/panels-slot.ts`) and registers the serializers that restore open panels
 * after a window reload. Add `registerPanels` to the feature list in `extension/main.ts`.
 */
import { createRequire } from 'node:module';
import * as vscode from 'vscode';
import type { CellKind } from '../../runtime/protocol/genotype.js';
import type { BnasContext } from '../context.js';
import { RUN_VIEW_TYPE, RunPanel } from './run-panel.js';
import { SWEEP_VIEW_TYPE, SweepPanel } from './sweep-panel.js';
import type * as SpacePanelModule from './search-space-panel.js';

/** The search-space panel, built on its own by scripts/build.mjs (Langium is most of it). */
export const SPACE_PANEL_BUNDLE = 'dist/space-panel.cjs';

/** Same as `SPACE_VIEW_TYPE` in search-space-panel.ts, kept here so activation need not load it. */
const SPACE_VIEW_TYPE = 'bnas.searchSpaceView';

/**
 * The search-space panel parses `.bnas` text in the extension host, which pulls in Langium: load it
 * only when the view is first opened so activation stays fast. A dynamic `import()` would not do:
 * esbuild's CJS output inlines it, so the bundle beside extension.cjs is loaded with a real
 * run-time `require` (through `createRequire`, which esbuild leaves alone).
 */
function spacePanelLoader(ctx: BnasContext): () => Promise<typeof SpacePanelModule.SearchSpacePanel> {
  let loaded: typeof SpacePanelModule.SearchSpacePanel | undefined;
  return async () => {
    if (!loaded) {
      const bundle = ctx.asAbsolutePath(SPACE_PANEL_BUNDLE);
      loaded = (createRequire(bundle)(bundle) as typeof SpacePanelModule).SearchSpacePanel;
    }
    return loaded;
  };
}

/** Registers the run view and the search-space view. */
export function registerPanels(ctx: BnasContext): void {
  const spacePanel = spacePanelLoader(ctx);
  ctx.provide('panels', {
    openRunView: (runId: string) => RunPanel.show(ctx, runId),
    openSearchSpaceView: async (uri: vscode.Uri) => (await spacePanel()).show(ctx, uri),
    exportSvg: (runId: string, cell: CellKind) => (RunPanel.get(runId) ?? RunPanel.show(ctx, runId, { preserveFocus: true })).renderSvg(cell),
    openSweepView: (dir: string) => SweepPanel.show(ctx, dir),
    evaluated: (runId: string) => RunPanel.get(runId)?.sendEvaluations(),
  });
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(SWEEP_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => void SweepPanel.revive(ctx, panel, state),
    }),
  );
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(RUN_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => void RunPanel.revive(ctx, panel, state),
    }),
  );
  ctx.own(
    vscode.window.registerWebviewPanelSerializer(SPACE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => void (await spacePanel()).revive(ctx, panel, state),
    }),
  );
  ctx.own({ dispose: () => RunPanel.disposeAll() });
  ctx.own({ dispose: () => SweepPanel.disposeAll() });
}
