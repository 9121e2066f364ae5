// Real-VS-Code-host tests: for each suite, bundle its tests module, copy the fixture workspace,
// start code-server, open the workbench in headless Chromium with the extension-test payload,
// relay UI actions, collect the results, stop everything. Prints one line per test and a closing
// "host: N passed, N failed, N skipped" line; exits 1 when anything failed.
//
// Usage: node --import tsx test/host/run.ts [--suite a,b] [--grep TEXT] [--record] [--keep]
//   --record  also writes bench/ci/host-timings.json (server ready, activation, suite times)
//   --keep    keeps the temporary workspace and server state for inspection
// Needs: npm run build (dist/), bash test/host/setup.sh; the vsix suite also needs npm run package.
// BNAS_HOST=electron selects @vscode/test-electron instead (machines that can download VS Code).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSuite, ROOT } from './harness/bundle.js';
import { runCodeServerCli, startCodeServer } from './harness/code-server.js';
import { CHROMIUM, runInWorkbench } from './harness/workbench.js';
import { CONTROL_ENV, type HostMessage, type TestOutcome } from './protocol.js';
import { SUITES, type SuiteSpec } from './suites.js';

/** What one suite run produced. */
interface SuiteResult {
  readonly suite: string;
  readonly tests: readonly TestOutcome[];
  readonly exitCode: number | 'error';
  readonly serverReadyMs?: number;
  /** Server spawn → extension reported active (ms). */
  readonly activationMs?: number;
  readonly totalMs: number;
  readonly error?: string;
  readonly metrics: Record<string, number>;
  readonly notes: readonly string[];
}

const ARTIFACTS = join(ROOT, 'test-artifacts', 'host');

async function runSuite(spec: SuiteSpec, grep: string | undefined, keep: boolean): Promise<SuiteResult> {
  const t0 = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), `bnas-host-${spec.name}-`));
  const artifacts = join(ARTIFACTS, spec.name);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const workspace = join(tmp, 'workspace');
  const control = join(tmp, 'control');
  const state = join(tmp, 'state');
  cpSync(join(ROOT, 'test', 'host', 'fixtures', spec.workspace), workspace, { recursive: true });
  mkdirSync(control);
  const tests: TestOutcome[] = [];
  const metrics: Record<string, number> = {};
  const consoleLines: string[] = [];
  const notes: string[] = [];
  let activatedAt: number | undefined;
  let server: Awaited<ReturnType<typeof startCodeServer>> | undefined;
  const fail = (error: string, exitCode: number | 'error' = 'error'): SuiteResult => {
    writeFileSync(join(artifacts, 'console.log'), consoleLines.join('\n'));
    return { suite: spec.name, tests, exitCode, totalMs: Date.now() - t0, error, metrics, notes, serverReadyMs: server?.readyMs };
  };
  try {
    const testsPath = await bundleSuite(spec.name);
    let devPath = ROOT;
    if (spec.install === 'vsix') {
      const vsix = findVsix();
      if (!vsix) return fail('no .vsix in the project root: run `npm run package` first');
      await runCodeServerCli(['--install-extension', vsix], state);
      // The installed copy is the one under test; the development path is a probe with another id.
      devPath = join(ROOT, 'test', 'host', 'fixtures', 'probe-extension');
    }
    server = await startCodeServer({
      stateDir: state,
      trustAll: spec.trusted,
      env: { [CONTROL_ENV]: control, ...(grep ? { BNAS_HOST_GREP: grep } : {}) },
      userSettings: spec.userSettings,
    });
    const started = server.spawnedAt;
    const code = await runInWorkbench({
      origin: server.origin,
      folder: workspace,
      extensionDevelopmentPath: devPath,
      extensionTestsPath: testsPath,
      controlDir: control,
      timeoutMs: spec.timeoutMs,
      screenshotOnFailure: join(artifacts, 'failure.png'),
      onNavigated: () => (metrics.workbenchLoadedMs = Date.now() - started),
      onLog: (line) => {
        consoleLines.push(line);
        if (process.env.BNAS_HOST_VERBOSE) console.log(`  | ${line}`);
      },
      onMessage: (msg: HostMessage) => {
        if (msg.kind === 'activated') activatedAt ??= msg.at;
        else if (msg.kind === 'result') tests.push(...msg.tests);
        // Times named ...At are epoch ms in the host: store them as ms after server start.
        else if (msg.kind === 'metric') metrics[msg.name.replace(/At$/, 'Ms')] = msg.name.endsWith('At') ? msg.value - started : msg.value;
        else if (msg.kind === 'note') notes.push(msg.text);
        else if (msg.kind === 'ui' && process.env.BNAS_HOST_VERBOSE) console.log(`  ui ${msg.id}: ${msg.action}`);
      },
    });
    writeFileSync(join(artifacts, 'console.log'), consoleLines.join('\n'));
    const result: SuiteResult = {
      suite: spec.name,
      tests,
      exitCode: code,
      serverReadyMs: server.readyMs,
      activationMs: activatedAt === undefined ? undefined : activatedAt - started,
      totalMs: Date.now() - t0,
      metrics,
      notes,
    };
    if (tests.length === 0) {
      return { ...result, error: `the tests module reported no results (exit ${code}); last console lines:\n${consoleLines.slice(-30).join('\n')}\nserver log tail:\n${server.tail(30)}` };
    }
    return result;
  } catch (e) {
    const tail = server ? `\nserver log tail:\n${server.tail(30)}` : '';
    return fail(`${e instanceof Error ? e.message : String(e)}\nlast console lines:\n${consoleLines.slice(-30).join('\n')}${tail}`);
  } finally {
    await server?.stop();
    if (server) cpSync(server.logFile, join(artifacts, 'server.log'));
    if (keep) console.log(`host: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

/** The newest .vsix in the project root. */
function findVsix(): string | undefined {
  return readdirSync(ROOT)
    .filter((f) => f.endsWith('.vsix'))
    .map((f) => join(ROOT, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function report(results: readonly SuiteResult[]): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const r of results) {
    const timing = [
      r.serverReadyMs === undefined ? undefined : `server ready ${r.serverReadyMs} ms`,
      r.metrics.workbenchLoadedMs === undefined ? undefined : `workbench loaded ${r.metrics.workbenchLoadedMs} ms`,
      r.metrics.testsModuleLoadedMs === undefined ? undefined : `tests module loaded ${r.metrics.testsModuleLoadedMs} ms`,
      r.activationMs === undefined ? undefined : `activated ${r.activationMs} ms after server start`,
      `suite ${(r.totalMs / 1000).toFixed(1)} s`,
    ].filter(Boolean);
    console.log(`\n[${r.suite}] ${timing.join(', ')}`);
    for (const t of r.tests) {
      const mark = t.state === 'passed' ? 'ok  ' : t.state === 'pending' ? 'skip' : 'FAIL';
      console.log(`  ${mark} ${t.title}${t.ms !== undefined ? ` (${t.ms} ms)` : ''}`);
      if (t.error) console.log(indent(t.error, 8));
      if (t.state === 'passed') passed++;
      else if (t.state === 'pending') skipped++;
      else failed++;
    }
    for (const n of r.notes) console.log(`  note ${n}`);
    if (r.error) {
      failed++;
      console.log(`  FAIL suite ${r.suite}:\n${indent(r.error, 8)}`);
    } else if (r.exitCode !== 0 && !r.tests.some((t) => t.state === 'failed')) {
      failed++;
      console.log(`  FAIL suite ${r.suite}: extension host exited with ${r.exitCode}`);
    }
    if (r.error || r.exitCode !== 0) console.log(`  artifacts: ${join('test-artifacts', 'host', r.suite)}`);
  }
  return { passed, failed, skipped };
}

function countStates(tests: readonly TestOutcome[]): Record<TestOutcome['state'], number> {
  const n = { passed: 0, failed: 0, pending: 0 };
  for (const t of tests) n[t.state]++;
  return n;
}

function indent(text: string, n: number): string {
  return text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      suite: { type: 'string' },
      grep: { type: 'string' },
      record: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  if (process.env.BNAS_HOST === 'electron') {
    const { runElectron } = await import('./harness/electron.js');
    return runElectron(values.suite?.split(',') ?? SUITES.filter((s) => s.electron).map((s) => s.name));
  }
  const wanted = values.suite?.split(',').map((s) => s.trim()) ?? SUITES.map((s) => s.name);
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`host: unknown suite(s) ${unknown.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`);
    return 2;
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`host: no Chromium at ${CHROMIUM}: run \`bash test/host/setup.sh\` (or set BNAS_HOST_CHROMIUM)`);
    return 2;
  }
  if (!existsSync(join(ROOT, 'dist', 'extension.cjs'))) {
    console.error('host: dist/extension.cjs is missing: run `npm run build` first');
    return 2;
  }
  const results: SuiteResult[] = [];
  for (const spec of SUITES.filter((s) => wanted.includes(s.name))) {
    console.log(`host: suite ${spec.name}: ${spec.description}`);
    results.push(await runSuite(spec, values.grep, values.keep));
  }
  const { passed, failed, skipped } = report(results);
  const summary = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))), results: results.map(({ tests, ...r }) => ({ ...r, tests: countStates(tests) })) };
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'summary.json'), JSON.stringify(summary, null, 2));
  if (values.record) {
    writeFileSync(join(ROOT, 'bench', 'ci', 'host-timings.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log('host: recorded bench/ci/host-timings.json');
  }
  console.log(`\nhost: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
