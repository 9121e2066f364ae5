// Starts and stops one code-server (the VS Code server + web workbench) for a host-test suite.
// The server runs in its own process group so that stopping it also ends the file watcher and
// extension hosts it spawned (killing only the top process leaves them behind).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Where test/host/setup.sh installs code-server. */
export const CODE_SERVER_BIN = join(import.meta.dirname, '..', '.code-server', 'node_modules', '.bin', 'code-server');

/** Options of one server instance. */
export interface ServerOptions {
  /** Folder for this instance's user data, extensions, config and log. */
  readonly stateDir: string;
  /** When false the server asks for Workspace Trust, so an untrusted workspace can be tested. */
  readonly trustAll: boolean;
  /** Extra environment for the server and so for the extension host it spawns. */
  readonly env?: Readonly<Record<string, string>>;
  /** User settings (settings.json) written before the server starts. */
  readonly userSettings?: Readonly<Record<string, unknown>>;
}

/** A running server. */
export interface RunningServer {
  readonly port: number;
  readonly origin: string;
  /** Milliseconds since the epoch when the process was spawned. */
  readonly spawnedAt: number;
  /** Milliseconds from spawn until `/healthz` answered. */
  readonly readyMs: number;
  readonly logFile: string;
  readonly extensionsDir: string;
  /** Last lines of the server log, for failure output. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Last `n` lines of a text file, or a note that it is missing. */
export function tailFile(file: string, n = 40): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
}

/** Runs `code-server` with `args` to completion (e.g. `--install-extension`); throws with its output. */
export async function runCodeServerCli(args: readonly string[], stateDir: string, timeoutMs = 120_000): Promise<string> {
  ensureInstalled();
  return new Promise((resolve, reject) => {
    const child = spawn(CODE_SERVER_BIN, [...baseArgs(stateDir), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`code-server ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`code-server ${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

/**
 * Starts code-server on a free loopback port and resolves once `GET /healthz` answers.
 * Rejects with the log tail when the process exits early or is not ready within `timeoutMs`.
 */
export async function startCodeServer(opts: ServerOptions, timeoutMs = 60_000): Promise<RunningServer> {
  ensureInstalled();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  mkdirSync(join(opts.stateDir, 'user', 'User'), { recursive: true });
  writeFileSync(join(opts.stateDir, 'user', 'User', 'settings.json'), JSON.stringify(opts.userSettings ?? {}, null, 2));
  const logFile = join(opts.stateDir, 'server.log');
  const log = createWriteStream(logFile);
  const args = [
    ...baseArgs(opts.stateDir),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(opts.trustAll ? ['--disable-workspace-trust'] : []),
  ];
  const spawnedAt = Date.now();
  // detached: a new session and process group, so `kill -PGID` reaches every descendant.
  const child = spawn(CODE_SERVER_BIN, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // No marketplace: the machines reach only package registries, so point the gallery at a
    // closed loopback port instead of letting the workbench look up a remote host.
    env: { ...process.env, EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery' }), ...opts.env },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const stop = () => stopGroup(child);
  const deadline = spawnedAt + timeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`code-server exited with ${exited} before it was ready; log tail:\n${tailFile(logFile)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server was not ready within ${timeoutMs} ms; log tail:\n${tailFile(logFile)}`);
    }
    if (await healthy(origin)) break;
    await new Promise((r) => setTimeout(r, 100)); // polling an HTTP endpoint: there is no event to wait for
  }
  return {
    port,
    origin,
    spawnedAt,
    readyMs: Date.now() - spawnedAt,
    logFile,
    extensionsDir: join(opts.stateDir, 'ext'),
    tail: (n) => tailFile(logFile, n),
    stop,
  };
}

function baseArgs(stateDir: string): string[] {
  return [
    '--user-data-dir', join(stateDir, 'user'),
    '--extensions-dir', join(stateDir, 'ext'),
    '--config', join(stateDir, 'config.yaml'),
  ];
}

function ensureInstalled(): void {
  if (!existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER_BIN}. Run: bash test/host/setup.sh`);
  }
}

async function healthy(origin: string): Promise<boolean> {
  try {
    const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false; // not listening yet
  }
}

/** Ends the whole process group: SIGTERM, then SIGKILL after 5 s if anything is left. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  if (!alive()) return;
  process.kill(-pgid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(-pgid, 'SIGKILL');
}
