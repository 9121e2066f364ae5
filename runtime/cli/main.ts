/**
 * The `bnas` command line: parses the command name and dispatches to
 * `runtime/cli/commands/<name>.ts`. This is the only place that calls `process.exit`.
 *
 * To add a command, add one line to COMMANDS. A command module exports
 * `run(argv: string[], io?: CommandIo): Promise<number>` (the exit code) and may export `USAGE`
 * (one line) and `HELP` (full help text). Modules are loaded on demand, so `bnas validate`
 * never loads TensorFlow.js.
 */
import type { CommandIo } from './command-io.js';

/** What a command module provides. */
export interface CommandModule {
  run(argv: string[], io?: CommandIo): Promise<number>;
  readonly USAGE?: string;
  readonly HELP?: string;
}

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

/** The command table: name → one-line summary and loader. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  validate: { summary: 'check .bnas files and print their problems', load: () => import('./commands/validate.js') },
  search: { summary: 'run a binary architecture search into a run folder', load: () => import('./commands/search.js') },
  export: { summary: 'print the derived genotype of a run (json, darts, mermaid)', load: () => import('./commands/export.js') },
  evaluate: { summary: 'train a genotype from scratch and report test accuracy', load: () => import('./commands/evaluate.js') },
  sweep: { summary: 'run many searches (seeds × settings) locally or on Slurm, with a summary table', load: () => import('./commands/sweep.js') },
  report: { summary: 'write the run view of a run folder as one self-contained HTML file', load: () => import('./commands/report.js') },
};

const VERSION = '0.1.0';

/** The top-level help text. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: bnas COMMAND [ARGS...]', '', 'Commands:', ...lines, '', 'Run `bnas COMMAND --help` for the options of a command.', ''].join('\n');
}

/**
 * Runs the command line without exiting (tests call this).
 *
 * @returns the exit code.
 */
export async function main(argv: readonly string[], io?: CommandIo): Promise<number> {
  const out = io?.stdout ?? process.stdout;
  const err = io?.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) return main([topic, '--help'], io);
    (name === undefined ? err : out).write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    out.write(`bnas ${VERSION}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    err.write(`bnas: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).join(', ')}.\n`);
    return 2;
  }
  const mod = await entry.load();
  if (rest.includes('--help') && !mod.HELP && mod.USAGE) {
    out.write(`${mod.USAGE}\n`);
    return 0;
  }
  return mod.run(rest, io);
}

/** Waits until everything written to stdout and stderr is flushed (pipes are asynchronous). */
function flush(): Promise<void> {
  const drain = (s: NodeJS.WriteStream) => new Promise<void>((resolve) => s.write('', () => resolve()));
  return Promise.all([drain(process.stdout), drain(process.stderr)]).then(() => undefined);
}

// Entry point when bundled as dist/cli.cjs or run directly (not when imported by tests).
const isEntry = typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module;
if (isEntry) {
  main(process.argv.slice(2))
    .then(async (code) => {
      await flush();
      process.exit(code);
    })
    .catch(async (e: unknown) => {
      process.stderr.write(`bnas: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      await flush();
      process.exit(1);
    });
}
