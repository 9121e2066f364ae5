/**
 * `bnas.exportGenotype`: the derived cells of a run as JSON, a DARTS `genotypes.py` entry, Mermaid
 * (Markdown with both cells, renders in previews) or SVG (rendered by the run view's Mermaid).
 * Text goes to an editor, a file or the clipboard. The formats come from
 * `runtime/protocol/genotype-format.ts`, the same code as `bnas export`.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CellKind } from '../../runtime/protocol/index.js';
import type { BnasContext } from '../context.js';
import type { RunInfo } from '../runs/run-manager.js';
import { resolveRun } from './args.js';
import { exportText, type ExportFormat } from './export-text.js';

interface FormatInfo {
  readonly label: string;
  readonly detail: string;
  readonly extension: string;
  readonly language: string;
}

const FORMATS: { readonly [F in ExportFormat]: FormatInfo } = {
  json: { label: 'JSON', detail: 'The genotype as in result.json (DARTS layout).', extension: 'json', language: 'json' },
  darts: { label: 'DARTS Python', detail: 'A genotypes.py entry for DARTS / PC-DARTS / BNAS training code.', extension: 'py', language: 'python' },
  mermaid: { label: 'Mermaid', detail: 'Both cells as Mermaid flowcharts in Markdown (renders in previews).', extension: 'md', language: 'markdown' },
  svg: { label: 'SVG', detail: 'Both cells as images, drawn by the run view.', extension: 'svg', language: 'xml' },
};

export const exportGenotype = (ctx: BnasContext) => async (arg?: unknown, formatArg?: unknown) => {
  const run = await resolveRun(ctx, arg, {
    filter: (r) => r.summary.genotype !== undefined,
    title: 'Run whose genotype to export',
    none: 'BNAS: no run has derived a genotype yet (the first derivation comes after the first epoch).',
  });
  if (!run) return;
  const genotype = run.summary.genotype;
  if (!genotype) {
    void vscode.window.showInformationMessage(`BNAS: ${run.name} has no genotype yet; one is derived after each epoch.`);
    return;
  }
  const format = isFormat(formatArg) ? formatArg : await pickFormat(run);
  if (!format) return;
  if (format === 'svg') return exportSvg(ctx, run);

  const text = exportText(format, genotype, run.name, run.summary.final);
  const info = FORMATS[format];
  const target = await vscode.window.showQuickPick(['Open in Editor', 'Save to File…', 'Copy to Clipboard'], {
    placeHolder: `${info.label} of ${run.name}`,
  });
  if (target === 'Open in Editor') {
    const doc = await vscode.workspace.openTextDocument({ language: info.language, content: text });
    await vscode.window.showTextDocument(doc, { preview: false });
  } else if (target === 'Save to File…') {
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(run.dir, `genotype.${info.extension}`)),
      filters: { [info.label]: [info.extension] },
    });
    if (uri) {
      await writeAtomically(uri, text);
      void vscode.window.showInformationMessage(`BNAS: saved ${vscode.workspace.asRelativePath(uri)}.`);
    }
  } else if (target === 'Copy to Clipboard') {
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage(`BNAS: ${info.label} of ${run.name} copied.`);
  }
};

function isFormat(x: unknown): x is ExportFormat {
  return typeof x === 'string' && Object.hasOwn(FORMATS, x);
}

async function pickFormat(run: RunInfo): Promise<ExportFormat | undefined> {
  const picked = await vscode.window.showQuickPick(
    (Object.keys(FORMATS) as ExportFormat[]).map((f) => ({ label: FORMATS[f].label, detail: FORMATS[f].detail, f })),
    { placeHolder: run.summary.final ? `Export the cells of ${run.name} as` : `Export the current derivation of ${run.name} (not final) as` },
  );
  return picked?.f;
}

/** SVG needs Mermaid's renderer, which lives in the run view's webview. */
async function exportSvg(ctx: BnasContext, run: RunInfo): Promise<void> {
  const render = ctx.tryGet('panels')?.exportSvg;
  if (!render) {
    void vscode.window.showWarningMessage(
      'BNAS: SVG export needs the run view, which is not available in this build yet. Export as Mermaid (Markdown renders the cells) or write a report with `bnas report DIR`.',
    );
    return;
  }
  const folder = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    defaultUri: vscode.Uri.file(run.dir),
    openLabel: 'Save SVGs Here',
  });
  if (!folder?.[0]) return;
  const saved: string[] = [];
  for (const cell of ['normal', 'reduce'] as CellKind[]) {
    const svg = await render(run.id, cell);
    if (!svg) {
      void vscode.window.showErrorMessage(`BNAS: the run view could not draw the ${cell} cell of ${run.name}; see the BNAS log.`);
      return;
    }
    const uri = vscode.Uri.joinPath(folder[0], `${run.name}-${cell}.svg`);
    await writeAtomically(uri, svg);
    saved.push(vscode.workspace.asRelativePath(uri));
  }
  void vscode.window.showInformationMessage(`BNAS: saved ${saved.join(' and ')}.`);
}

/**
 * Writes through a temporary sibling and a rename, so a watcher (a training script reloading
 * `genotypes.py`, a test) never reads a half-written file.
 */
async function writeAtomically(uri: vscode.Uri, text: string): Promise<void> {
  const tmp = uri.with({ path: `${uri.path}.${process.pid}.tmp` });
  await vscode.workspace.fs.writeFile(tmp, new TextEncoder().encode(text));
  await vscode.workspace.fs.rename(tmp, uri, { overwrite: true });
}
