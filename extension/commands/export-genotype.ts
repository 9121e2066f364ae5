/**
 * `bnas.exportGenotype`: the derived cells of a run as JSON, a DARTS `genotypes.py` entry, Mermaid
 * (Markdown with both cells, renders in previews) or SVG (rendered by the run view's Mermaid).
 * Text goes to an editor, a file or the clipboard. The formats come from
 * `runtime/protocol/genotype-format.ts`, the same code as `bnas export`. PyTorch (the derived
 * binary network as one Python file) is written by the bundled command line,
 * `bnas export RUN --format pytorch --out FILE`, since it needs the runtime's op table.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CellKind } from '../../runtime/protocol/index.js';
import type { BnasContext } from '../context.js';
import type { RunInfo } from '../runs/run-manager.js';
import { lastLine, runCli } from './cli-child.js';
import { resolveRun } from './args.js';
import { EXPORT_EXTENSION, exportFileName, exportText, type ExportFormat } from './export-text.js';

interface FormatInfo {
  readonly label: string;
  readonly detail: string;
}

const FORMATS: { readonly [F in ExportFormat]: FormatInfo } = {
  json: { label: 'JSON', detail: 'The genotype as in result.json (DARTS layout).' },
  darts: { label: 'DARTS Python', detail: 'A genotypes.py entry for DARTS / PC-DARTS / BNAS training code.' },
  mermaid: { label: 'Mermaid', detail: 'Both cells as Mermaid flowcharts in Markdown (renders in previews).' },
  svg: { label: 'SVG', detail: 'Both cells as images, drawn by the run view.' },
};

/** The PyTorch export: a file the command line writes, not text made here. */
const PYTORCH = {
  label: 'PyTorch model',
  detail: 'The derived binary network as one Python file that needs only torch (build_model, load_weights, a training __main__).',
} as const;

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
  const format = formatArg === 'pytorch' || isFormat(formatArg) ? formatArg : await pickFormat(run);
  if (!format) return;
  if (format === 'svg') return exportSvg(ctx, run);
  if (format === 'pytorch') return exportPytorch(ctx, run);

  const text = exportText(format, genotype, run.name, run.summary.final);
  const info = FORMATS[format];
  const target = await vscode.window.showQuickPick(['Open in Editor', 'Save to File…', 'Copy to Clipboard'], {
    placeHolder: `${info.label} of ${run.name}`,
  });
  const suggested = vscode.Uri.file(join(run.dir, exportFileName(format)));
  const extension = EXPORT_EXTENSION[format];
  if (target === 'Open in Editor') {
    // An untitled document with a path: its tab is named after the file, its language follows the
    // extension, and Save offers that file.
    const doc = await vscode.workspace.openTextDocument(suggested.with({ scheme: 'untitled' }));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), text));
  } else if (target === 'Save to File…') {
    const uri = await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { [info.label]: [extension] } });
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

async function pickFormat(run: RunInfo): Promise<ExportFormat | 'pytorch' | undefined> {
  const items: { label: string; detail: string; f: ExportFormat | 'pytorch' }[] = [
    ...(Object.keys(FORMATS) as ExportFormat[]).map((f) => ({ label: FORMATS[f].label, detail: FORMATS[f].detail, f })),
    { ...PYTORCH, f: 'pytorch' },
  ];
  const picked = await vscode.window.showQuickPick(
    items,
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

/**
 * Writes the run's derived network as a PyTorch file with the bundled command line (a child
 * process, so only in a trusted workspace), then opens it.
 */
async function exportPytorch(ctx: BnasContext, run: RunInfo): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('BNAS: exporting a PyTorch model runs the BNAS runtime; trust this workspace first.');
    return;
  }
  const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(join(run.dir, 'model.py')), filters: { Python: ['py'] } });
  if (!uri) return;
  const outcome = await runCli(ctx, ['export', run.dir, '--format', 'pytorch', '--out', uri.fsPath]);
  if (outcome.code !== 0) {
    ctx.log.error(`export of ${run.name} as PyTorch failed (exit ${outcome.code}): ${outcome.stderrTail.join('\n')}`);
    void vscode.window.showErrorMessage(`BNAS: could not export ${run.name} as PyTorch: ${lastLine(outcome)}`, 'Show Log').then((a) => a && ctx.log.show());
    return;
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
  void vscode.window.showInformationMessage(`BNAS: wrote ${vscode.workspace.asRelativePath(uri)} (needs only torch).`);
}
