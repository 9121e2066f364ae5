// What the sweep tests (local and Slurm executors) share: the tiny space they search (a second or
// so per search at the default 96 training images; more images make each epoch longer) and a sweep interrupted with SIGINT, as Ctrl-C would, once its output shows a condition.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const sweepSpace = (name: string, epochs: number, train = 96): string => `search "${name}" {
  data { source = synthetic, train = ${train}, split = 0.5, test = 32, image = 8 }
  supernet { cells = 2, reductions = [1], channels = 4, nodes = 2 }
  ops = [sep_conv_3x3, max_pool_3x3, skip_connect, none]
  sampling { k = 2 }
  pruning { criterion = alpha, start = 1, every = 1 }
  train { epochs = ${epochs}, batch = 16, warmup = 1, seed = 5 }
}
`;

/** Runs `bnas ARGS`, sends SIGINT once `when(stdout so far)` holds, and waits for the exit. */
export function interruptWhen(args: readonly string[], when: (stdout: string) => boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve('dist/cli.cjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!child.killed && when(stdout)) child.kill('SIGINT');
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}
