/**
 * `bnas report DIR [--out FILE]` (docs/design.md, "The command line"): writes the run view of a run folder as one
 * self-contained HTML file (default `DIR/report.html`): curves, architecture weights, pruning
 * timeline and both derived cells, with the bundle and the data inlined and no network use.
 * Exit 0, or 2 for usage and I/O errors.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readRunViewBundle, reportData, reportHtml } from '../../report/report-html.js';
import { parseEventLines } from '../../protocol/events.js';
import { RUN_FILES } from '../../protocol/run-folder.js';
import { parseArgs, streams, UsageError, type CommandIo } from '../command-io.js';

export const USAGE = 'usage: bnas report DIR [--out FILE]';
export const HELP = `${USAGE}

Writes the run view of the run folder DIR (its events.jsonl) as one self-contained HTML file that
opens offline in any browser: loss and accuracy curves, architecture-weight heat maps, the pruning
timeline and both derived cells. Default output: DIR/report.html.

Options:
  --out FILE   where to write the page
`;

/**
 * Where the built webview bundles are: next to the CLI bundle (`dist/media`), or under the
 * package root when run from source. `BNAS_MEDIA_DIR` overrides both.
 */
export function mediaDir(): string {
  if (process.env.BNAS_MEDIA_DIR) return process.env.BNAS_MEDIA_DIR;
  // In dist/cli.cjs __dirname is dist/. From source (ESM, tests) it is not defined and the
  // command runs from the package root, where `npm run build` put dist/media.
  if (typeof __dirname !== 'undefined') return join(__dirname, 'media');
  return join(process.cwd(), 'dist', 'media');
}

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io?: CommandIo): Promise<number> {
  const { out, err } = streams(io);
  try {
    const args = parseArgs(argv, ['help'], ['out']);
    if (args.flags.has('help')) {
      out.write(HELP);
      return 0;
    }
    if (args.positional.length !== 1) throw new UsageError('give exactly one run folder');
    const dir = resolve(args.positional[0]!);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder (give a run folder written by bnas search)`);
    const eventsFile = join(dir, RUN_FILES.events);
    if (!existsSync(eventsFile)) throw new Error(`${eventsFile} does not exist: DIR must be a run folder written by bnas search`);
    const { events, invalid } = parseEventLines(readFileSync(eventsFile, 'utf8'));
    if (!events.length) throw new Error(`${eventsFile} holds no valid events`);
    if (invalid) err.write(`bnas report: skipped ${invalid} unreadable line(s) of ${eventsFile}\n`);
    const target = resolve(args.values.get('out') ?? join(dir, 'report.html'));
    if (!existsSync(dirname(target))) throw new Error(`cannot write ${target}: folder ${dirname(target)} does not exist`);
    const html = reportHtml(reportData(dir, events), readRunViewBundle(mediaDir()));
    writeFileSync(target, html);
    err.write(`bnas report: wrote ${target} (${(html.length / 1e6).toFixed(1)} MB, ${events.length} events)\n`);
    return 0;
  } catch (e) {
    err.write(`bnas report: ${(e as Error).message}\n${e instanceof UsageError ? USAGE + '\n' : ''}`);
    return 2;
  }
}
