/**
 * Text exports of a genotype (no `vscode`: unit-tested). The formats themselves come from
 * `runtime/protocol/genotype-format.ts`, the same code as `bnas export`; this adds the framing a
 * user pastes somewhere: a `genotypes.py` entry, Markdown with both Mermaid cells.
 */
import { formatGenotypeDarts, formatGenotypeJson } from '../../runtime/protocol/genotype-format.js';
import { formatCellMermaid } from '../../runtime/protocol/mermaid.js';
import type { Genotype } from '../../runtime/protocol/index.js';

export type ExportFormat = 'json' | 'darts' | 'mermaid' | 'svg';

/** File extension of each export format. */
export const EXPORT_EXTENSION: { readonly [F in ExportFormat]: string } = { json: 'json', darts: 'py', mermaid: 'md', svg: 'svg' };

/**
 * The file name an export suggests, in the run's folder: the untitled editor it opens in is named
 * so (its tab title, and where Save offers to write it) and the save dialog starts there.
 */
export function exportFileName(format: Exclude<ExportFormat, 'svg'>): string {
  return `genotype.${EXPORT_EXTENSION[format]}`;
}

/** A Python identifier for the genotype variable (`quick-20261125-203107` → `QUICK_20261125_203107`). */
export function pythonName(runName: string): string {
  const id = runName.toUpperCase().replace(/[^A-Z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(id) ? id : `BNAS_${id}`;
}

/** The text export of a genotype in one of the text formats. */
export function exportText(format: Exclude<ExportFormat, 'svg'>, g: Genotype, runName: string, final: boolean): string {
  const note = final ? '' : ' (current derivation, the search had not finished)';
  switch (format) {
    case 'json':
      return formatGenotypeJson(g) + '\n';
    case 'darts':
      return [
        `# Cells found by BNAS Studio, run ${runName}${note}.`,
        `# Paste into genotypes.py (DARTS, PC-DARTS) and train with --arch ${pythonName(runName)}.`,
        'from collections import namedtuple',
        '',
        "Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')",
        '',
        `${pythonName(runName)} = ${formatGenotypeDarts(g, 'lines')}`,
        '',
      ].join('\n');
    case 'mermaid':
      return [
        `# Cells of ${runName}${note}`,
        '',
        '## Normal cell',
        '',
        '```mermaid',
        formatCellMermaid(g, 'normal').trimEnd(),
        '```',
        '',
        '## Reduction cell',
        '',
        '```mermaid',
        formatCellMermaid(g, 'reduce').trimEnd(),
        '```',
        '',
      ].join('\n');
  }
}
