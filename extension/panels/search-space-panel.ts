/**
 * The search-space view beside a `.bnas` editor: follows the document as it changes (debounced),
 * sends the validated model, problems and estimates, reveals a clicked problem, and turns the
 * view's controls into workspace edits (undo works; the text stays the source of truth).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { estimateSupernetMemory, loadSearchSpace } from '../../runtime/dsl/index.js';
import type { FromWebviewMessage, SpaceViewData } from '../../runtime/protocol/webview.js';
import { SETTINGS_SECTION, type BnasContext } from '../context.js';
import { PanelBase } from './panel-base.js';
import { spaceEditChanges } from './space-edits.js';
import { spaceEstimates, type MeasuredRun } from './space-estimates.js';
import { RUN_FILES } from '../../runtime/protocol/run-folder.js';

export const SPACE_VIEW_TYPE = 'bnas.searchSpaceView';
const DEBOUNCE_MS = 250;

export class SearchSpacePanel extends PanelBase {
  private static readonly panels = new Map<string, SearchSpacePanel>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Opens (or reveals) the view of `uri` beside the editor. */
  static show(ctx: BnasContext, uri: vscode.Uri): SearchSpacePanel {
    const key = uri.toString();
    const existing = SearchSpacePanel.panels.get(key);
    if (existing && !existing.isDisposed) {
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(SPACE_VIEW_TYPE, `Space: ${basename(uri.path)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {});
    return new SearchSpacePanel(ctx, panel, uri);
  }

  /** Restores a panel after a reload from the state the page saved (`{view: 'space', uri}`). */
  static revive(ctx: BnasContext, panel: vscode.WebviewPanel, state: unknown): SearchSpacePanel | undefined {
    const uri = typeof state === 'object' && state !== null ? (state as { uri?: unknown }).uri : undefined;
    if (typeof uri !== 'string') {
      panel.dispose();
      return undefined;
    }
    return new SearchSpacePanel(ctx, panel, vscode.Uri.parse(uri));
  }

  private constructor(
    ctx: BnasContext,
    panel: vscode.WebviewPanel,
    readonly uri: vscode.Uri,
  ) {
    super(ctx, panel, 'search-space');
    const key = uri.toString();
    SearchSpacePanel.panels.get(key)?.dispose();
    SearchSpacePanel.panels.set(key, this);
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === key) this.schedule();
      }),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (d.uri.toString() === key) this.schedule();
      }),
      // The time estimate follows the backend and thread count a run would use.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.backend`) || e.affectsConfiguration(`${SETTINGS_SECTION}.threads`)) this.schedule();
      }),
    );
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send();
    }, DEBOUNCE_MS);
  }

  private async document(): Promise<vscode.TextDocument> {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.uri.toString()) ?? vscode.workspace.openTextDocument(this.uri);
  }

  /** The state of the document for the page. */
  private async data(): Promise<SpaceViewData> {
    const doc = await this.document();
    const filePath = this.uri.scheme === 'file' ? this.uri.fsPath : undefined;
    const { space, diagnostics } = loadSearchSpace(doc.getText(), { filePath, checkFiles: filePath !== undefined });
    const backend = this.ctx.setting<string>('backend', 'auto');
    const threads = this.ctx.threadsSetting(this.uri);
    return {
      uri: this.uri.toString(),
      version: doc.version,
      fileName: basename(this.uri.path),
      ...(space ? { space, estimates: spaceEstimates(space, backend, this.measuredRun(), threads) } : {}),
      diagnostics: diagnostics.map((d) => ({ severity: d.severity, message: d.message, code: d.code, range: d.range })),
    };
  }

  /** The latest run of this file that trained at least one epoch, to scale the time estimate from. */
  private measuredRun(): MeasuredRun | undefined {
    const runs = this.ctx.tryGet('runs')?.runs() ?? [];
    const run = runs.find((r) => r.file === this.uri.fsPath && (r.summary.seconds ?? 0) > 0 && r.summary.epochsDone > 0 && (r.summary.stepsPerEpoch ?? 0) > 0);
    if (!run) return undefined;
    const spaceFile = join(run.dir, RUN_FILES.space);
    const searched = existsSync(spaceFile) ? loadSearchSpace(readFileSync(spaceFile, 'utf8')).space : undefined;
    if (!searched) return undefined;
    return {
      name: run.name,
      backend: run.summary.backend ?? 'unknown backend',
      threads: run.summary.threads,
      secondsPerStep: run.summary.seconds! / (run.summary.epochsDone * run.summary.stepsPerEpoch!),
      activationsMb: estimateSupernetMemory(searched).activationsMb,
    };
  }

  private async send(): Promise<void> {
    if (!this.isReady || this.isDisposed) return;
    await this.post({ type: 'space', data: await this.data() });
  }

  protected async onMessage(m: FromWebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.send();
      case 'reveal': {
        if (m.uri !== this.uri.toString()) return;
        const range = new vscode.Range(m.range.start.line, m.range.start.character, m.range.end.line, m.range.end.character);
        const editor = await vscode.window.showTextDocument(await this.document(), { viewColumn: vscode.ViewColumn.One, selection: range, preserveFocus: false });
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return;
      }
      case 'edit': {
        if (m.uri !== this.uri.toString()) return;
        const doc = await this.document();
        if (doc.version !== m.version) {
          // The text changed since the page drew the control: refuse, the page gets fresh data.
          await this.post({ type: 'notice', level: 'info', message: 'The file changed meanwhile; the view was refreshed, try again.' });
          return this.send();
        }
        const result = spaceEditChanges(doc.getText(), m.edit);
        if ('error' in result) {
          await this.post({ type: 'notice', level: 'error', message: result.error });
          return;
        }
        const edit = new vscode.WorkspaceEdit();
        for (const c of result.changes) edit.replace(this.uri, new vscode.Range(doc.positionAt(c.offset), doc.positionAt(c.offset + c.length)), c.text);
        if (!(await vscode.workspace.applyEdit(edit))) await this.post({ type: 'notice', level: 'error', message: 'VS Code refused the edit (is the file read-only?).' });
        return;
      }
      default:
        this.ctx.log.warn(`search-space view: unexpected message ${m.type}`);
    }
  }

  protected override onDispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (SearchSpacePanel.panels.get(this.uri.toString()) === this) SearchSpacePanel.panels.delete(this.uri.toString());
  }
}
