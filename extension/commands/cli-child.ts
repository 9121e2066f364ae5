/**
 * One run of the bundled command line as a child process, for commands that need the runtime
 * once (Export as PyTorch, Evaluate Derived Cell): stdout collected, stderr read line by line (for
 * progress) with its tail kept for the error message, and a cancellation that sends SIGTERM (the
 * command line then exits 130). Searches have their own, longer-lived process (runs/runtime-process.ts).
 */
import { fork } from 'node:child_process';
import type * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { TailBuffer } from '../runs/line-splitter.js';
import { CLI_BUNDLE } from '../runs/register.js';

/** Lines of stderr kept for the error message and the log. */
const STDERR_TAIL_LINES = 40;

export interface CliOutcome {
  /** Exit code; -1 when the process could not be started. */
  readonly code: number;
  readonly stdout: string;
  /** The last lines of stderr (or why it could not start). */
  readonly stderrTail: readonly string[];
}

/** Runs `bnas ARGS` (logged first) and resolves when it exits. */
export function runCli(
  ctx: BnasContext,
  args: readonly string[],
  options: { readonly onStderrLine?: (line: string) => void; readonly token?: vscode.CancellationToken } = {},
): Promise<CliOutcome> {
  ctx.log.info(`${args[0]}: ${CLI_BUNDLE} ${args.join(' ')}`);
  return new Promise((resolve) => {
    const child = fork(ctx.asAbsolutePath(CLI_BUNDLE), [...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const tail = new TailBuffer(STDERR_TAIL_LINES);
    let stdout = '';
    const cancel = options.token?.onCancellationRequested(() => child.kill('SIGTERM'));
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of tail.push(d.toString())) options.onStderrLine?.(line);
    });
    child.on('error', (e) => {
      cancel?.dispose();
      resolve({ code: -1, stdout, stderrTail: [String(e)] });
    });
    child.on('exit', (code) => {
      cancel?.dispose();
      tail.end();
      resolve({ code: code ?? -1, stdout, stderrTail: tail.tail });
    });
  });
}

/** The line an error message shows: the last line of stderr, else the exit code. */
export function lastLine(o: CliOutcome): string {
  return o.stderrTail.at(-1)?.trim() || `exit ${o.code}`;
}
