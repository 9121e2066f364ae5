/**
 * `bnas validate FILE... [--json]` (docs/design.md, "The command line"): checks `.bnas` files and prints their
 * diagnostics. Exit 0 no errors, 1 errors found, 2 usage or I/O error.
 *
 * Human output (stdout, like other linters): `file:line:col: severity code: message`, the source
 * line with a caret under the offending text, and a summary; colour only on a TTY (and never
 * with NO_COLOR). `--json`: one JSON array with `{file, diagnostics}` per file, ranges 0-based
 * as in the Language Server Protocol. A directory argument validates every `.bnas` file in it;
 * `-` reads standard input.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSearchSpace, type BnasDiagnostic } from '../../dsl/index.js';
import { parseArgs, streams, UsageError, type CommandIo, type OutStream } from '../command-io.js';

/** One-line usage, printed with usage errors. */
export const USAGE = 'usage: bnas validate FILE... [--json]   (FILE may be a folder of .bnas files, or - for stdin)';

/** Full help for `bnas validate --help`. */
export const HELP = `${USAGE}

Checks search-space files and prints every problem with its code (see docs/language.md).
  --json   print one JSON array: [{"file", "diagnostics": [{"severity", "code", "message", "range"}]}]
Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O error.
`;

/** What one input file produced. */
interface FileResult {
  readonly file: string;
  readonly text?: string;
  readonly diagnostics: readonly BnasDiagnostic[];
  /** Set when the file could not be read. */
  readonly ioError?: string;
}

/** Expands folder arguments into their `.bnas` files (sorted, recursive). */
function expand(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory() && name !== 'node_modules' && !name.startsWith('.')) walk(p);
      else if (st.isFile() && name.endsWith('.bnas')) out.push(p);
    }
  };
  for (const p of paths) {
    let dir = false;
    try {
      dir = p !== '-' && statSync(p).isDirectory();
    } catch {
      dir = false; // missing paths are reported when they are read
    }
    if (dir) walk(p);
    else out.push(p);
  }
  return out;
}

function readInput(file: string): string {
  return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
}

function validateFile(file: string): FileResult {
  let text: string;
  try {
    text = readInput(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    return { file, diagnostics: [], ioError: `cannot read ${file}: ${why}` };
  }
  const { diagnostics } = loadSearchSpace(text, { filePath: file === '-' ? undefined : file, checkFiles: true });
  return { file: file === '-' ? '<stdin>' : file, text, diagnostics };
}

/** ANSI colours, or identity functions when colour is off. */
function palette(on: boolean) {
  const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31'), yellow: wrap('33'), blue: wrap('34'), bold: wrap('1'), dim: wrap('2'), cyan: wrap('36') };
}

/** Formats one diagnostic for people: location, severity, code, message, excerpt with caret. */
export function formatDiagnostic(file: string, text: string | undefined, d: BnasDiagnostic, colour = false): string {
  const c = palette(colour);
  const line = d.range.start.line;
  const col = d.range.start.character;
  const sev = d.severity === 'error' ? c.red('error') : d.severity === 'warning' ? c.yellow('warning') : c.blue('info');
  const head = `${c.bold(`${file}:${line + 1}:${col + 1}`)}: ${sev} ${c.dim(d.code)}: ${d.message}`;
  const source = text?.split(/\r\n|\r|\n/)[line];
  if (source === undefined) return head;
  const end = d.range.end.line === line ? Math.max(d.range.end.character, col + 1) : source.length;
  const width = Math.max(1, Math.min(end, source.length + 1) - col);
  const gutter = String(line + 1);
  // Tabs keep their width in the caret line so the caret stays under the text.
  const pad = source.slice(0, col).replace(/[^\t]/g, ' ');
  return [head, `${c.dim(`${gutter} |`)} ${source}`, `${' '.repeat(gutter.length)} ${c.dim('|')} ${pad}${c.cyan('^'.repeat(width))}`].join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function printHuman(results: readonly FileResult[], out: OutStream, err: OutStream): void {
  const colour = Boolean(out.isTTY) && !process.env.NO_COLOR;
  let errors = 0;
  let warnings = 0;
  for (const r of results) {
    if (r.ioError) {
      err.write(`bnas validate: ${r.ioError}\n`);
      continue;
    }
    for (const d of r.diagnostics) {
      out.write(formatDiagnostic(r.file, r.text, d, colour) + '\n');
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
    }
  }
  const checked = results.filter((r) => !r.ioError).length;
  out.write(`${plural(checked, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
}

function printJson(results: readonly FileResult[], out: OutStream, err: OutStream): void {
  const json = results.map((r) => ({
    file: r.file,
    diagnostics: r.diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, range: d.range })),
    ...(r.ioError ? { error: r.ioError } : {}),
  }));
  for (const r of results) if (r.ioError) err.write(`bnas validate: ${r.ioError}\n`);
  out.write(JSON.stringify(json) + '\n');
}

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io?: CommandIo): Promise<number> {
  const { out, err } = streams(io);
  let files: string[];
  let json: boolean;
  try {
    const args = parseArgs(argv, ['json', 'help'], []);
    if (args.flags.has('help')) {
      out.write(HELP);
      return 0;
    }
    if (args.positional.length === 0) throw new UsageError('give at least one .bnas file or folder');
    json = args.flags.has('json');
    files = expand(args.positional);
    if (files.length === 0) throw new UsageError(`no .bnas files in ${args.positional.join(', ')}`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`bnas validate: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const results = files.map(validateFile);
  if (json) printJson(results, out, err);
  else printHuman(results, out, err);
  if (results.some((r) => r.ioError)) return 2;
  return results.some((r) => r.diagnostics.some((d) => d.severity === 'error')) ? 1 : 0;
}
