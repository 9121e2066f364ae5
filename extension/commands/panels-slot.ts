/**
 * The slot where the webview panels (`extension/panels/`) plug in, so the commands
 * here can open them without importing them. The panels feature provides it once at activation:
 *
 * ```ts
 * ctx.provide('panels', { openRunView, openSearchSpaceView, exportSvg });
 * ```
 * Until a panel is provided, the commands say clearly that the view is not available.
 */
import type * as vscode from 'vscode';

export interface BnasPanels {
  /** Opens (or focuses) the run view of the run in folder `runId`; live runs update as events arrive. */
  openRunView(runId: string): unknown;
  /** Opens the search-space view beside the `.bnas` document. */
  openSearchSpaceView(uri: vscode.Uri): unknown;
  /**
   * SVG text of the derived cells of a run (rendered by the webview's Mermaid), or undefined when
   * it cannot render now. Optional: Export Genotype explains when it is missing.
   */
  exportSvg?(runId: string, cell: 'normal' | 'reduce'): Promise<string | undefined>;
  /** Opens (or focuses) the sweep view of the sweep folder `dir`. */
  openSweepView?(dir: string): unknown;
  /** A new evaluation record is in the run's `evaluations/`: an open run view shows it. */
  evaluated?(runId: string): unknown;
}

declare module '../context.js' {
  interface BnasParts {
    /** Webview panels (run view, search-space view), provided by `extension/panels/`. */
    panels: BnasPanels;
  }
}
