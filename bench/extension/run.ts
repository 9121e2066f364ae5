/**
 * Benchmarks of the extension's run side (see README.md):
 *  1. events per second the run manager forwards without loss, from a fake runtime flooding step
 *     events, against a baseline that only counts the child's lines (same child, same machine, same run);
 *  2. the extension bundle: size, and proof that it holds no TensorFlow.js;
 *  3. loading the extension bundle (module evaluation with a stub `vscode`, fresh processes): the
 *     part of activation measurable outside a VS Code host;
 *  4. reading the run history of a workspace (done right after activation, off the critical path).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/extension/run.ts [--events N] [--no-write]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunManager } from '../../extension/runs/run-manager.js';
import type { RunEvent } from '../../runtime/protocol/index.js';
import { writeRecord } from '../record.js';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
const FAKE = join(ROOT, 'test', 'unit', 'extension', 'fixtures', 'fake-runtime.mjs');
const BUNDLE = join(ROOT, 'dist', 'extension.cjs');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const EVENTS = option('events', 100_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function space(dir: string, behaviour: Record<string, unknown>): string {
  const file = join(dir, 'flood.bnas');
  writeFileSync(file, `# fake: ${JSON.stringify(behaviour)}\nsearch "flood" { }\n`);
  return file;
}

/** Baseline: the same child, its stdout lines only counted (no parsing, no validation, no listeners). */
async function baseline(dir: string): Promise<{ lines: number; seconds: number }> {
  const file = space(dir, { flood: EVENTS, floodBatch: 1000, epochs: 1, steps: 1 });
  const t0 = performance.now();
  const child = spawn(process.execPath, [FAKE, 'search', file, '--out', join(dir, 'base'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = 0;
  child.stdout.on('data', (b: Buffer) => {
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
  });
  await new Promise((r) => child.on('close', r));
  return { lines, seconds: (performance.now() - t0) / 1000 };
}

/** The run manager: fork, split, JSON.parse, validate, fold the summary, fire to two listeners. */
async function managed(dir: string, ipc: boolean): Promise<{ received: number; onDisk: number; ordered: boolean; seconds: number; cpuSeconds: number }> {
  const file = space(dir, { flood: EVENTS, floodBatch: 1000, epochs: 1, steps: 1, ipc });
  const manager = new RunManager({ cliPath: FAKE });
  const t0 = performance.now();
  // CPU time of this (the extension host's) process: what the manager costs, whatever the child's speed.
  const cpu0 = process.cpuUsage();
  const run = await manager.start({ file, runsFolder: join(dir, ipc ? 'ipc' : 'stdout') });
  let received = 0;
  let ordered = true;
  let lastStep = -1;
  manager.onEvent(run.id, (e: RunEvent) => {
    received++;
    if (e.type === 'step' && e.epoch === 0) {
      if (e.step !== lastStep + 1) ordered = false;
      lastStep = e.step;
    }
  });
  manager.onDidEmit(() => undefined);
  await new Promise<void>((resolve) =>
    manager.onDidChangeRuns(({ run: r }) => {
      if (r.id === run.id && ['finished', 'failed', 'cancelled'].includes(r.state)) resolve();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const onDisk = readFileSync(join(run.dir, 'events.jsonl'), 'utf8').trim().split('\n').length;
  await manager.shutdown(1000);
  return { received, onDisk, ordered: ordered && lastStep === EVENTS - 1, seconds, cpuSeconds };
}

/** Evaluates the bundle with a stub `vscode` in a fresh process; returns ms. */
function bundleLoadMs(): number {
  const script = `
    const Module = require('node:module');
    const stub = new Proxy(function () {}, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : stub), apply: () => stub, construct: () => stub });
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (r, ...a) { return r === 'vscode' ? 'vscode' : resolve.call(this, r, ...a); };
    require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub };
    const t0 = performance.now();
    const ext = require(${JSON.stringify(BUNDLE)});
    const ms = performance.now() - t0;
    if (typeof ext.activate !== 'function') throw new Error('no activate export');
    const tf = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
    process.stdout.write(JSON.stringify({ ms, tf: tf.length }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as { ms: number; tf: number };
  if (out.tf) throw new Error(`loading the extension loaded ${out.tf} TensorFlow.js modules`);
  return out.ms;
}

async function history(dir: string, runs: number, eventsPerRun: number): Promise<{ ms: number; reloadMs: number }> {
  const root = join(dir, 'history');
  const t = '2026-01-01T00:00:00.000Z';
  const lines: string[] = [JSON.stringify({ type: 'started', time: t, space: 's', backend: 'wasm', seed: 1, parameters: 1, epochs: 8, steps_per_epoch: 50, ops: [], edges: 14 })];
  for (let i = 1; lines.length < eventsPerRun; i++) lines.push(JSON.stringify({ type: 'step', time: t, epoch: 1, step: i, steps: 50, loss: 1, seconds: i }));
  for (let r = 0; r < runs; r++) {
    mkdirSync(join(root, `run-${r}`), { recursive: true });
    writeFileSync(join(root, `run-${r}`, 'events.jsonl'), lines.join('\n') + '\n');
  }
  const manager = new RunManager({ cliPath: FAKE });
  const t0 = performance.now();
  await manager.loadHistory([root]);
  const ms = performance.now() - t0;
  if (manager.runs().length !== runs) throw new Error('history incomplete');
  // A reload with nothing changed (what a run starting or ending triggers): parsed folders are reused.
  const t1 = performance.now();
  await manager.loadHistory([root]);
  return { ms, reloadMs: performance.now() - t1 };
}

/**
 * `registerRuns` (the runs feature's share of `activate()`) against the fake `vscode` of the unit
 * tests: cold (module evaluation + first registration) and warm (median of 20 registrations).
 */
async function registerRunsMs(): Promise<{ coldMs: number; warmMs: number }> {
  register('../../test/unit/extension/vscode-loader.mjs', import.meta.url);
  const t0 = performance.now();
  const vs = await import('../../test/unit/extension/fake-vscode.js');
  const { BnasContext } = await import('../../extension/context.js');
  const { registerRuns } = await import('../../extension/runs/register.js');
  const extension = { asAbsolutePath: (p: string) => join(ROOT, p), extensionPath: ROOT, extension: { packageJSON: { version: 'bench' } } };
  const once = async () => {
    vs.fake.reset();
    const ctx = new BnasContext(extension as never, vs.logChannel() as never);
    const s = performance.now();
    registerRuns(ctx);
    const ms = performance.now() - s;
    await ctx.dispose();
    return ms;
  };
  await once();
  const coldMs = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) warm.push(await once());
  return { coldMs, warmMs: median(warm) };
}

const dir = mkdtempSync(join(tmpdir(), 'bnas-bench-ext-'));
const base = await baseline(dir);
const viaStdout = await managed(dir, false);
const viaIpc = await managed(dir, true);
for (const [name, r] of [['stdout', viaStdout], ['ipc', viaIpc]] as const) {
  if (r.received !== r.onDisk || !r.ordered) throw new Error(`${name}: lost or reordered events (${r.received} of ${r.onDisk})`);
}
if (!existsSync(BUNDLE)) spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
const bundleText = readFileSync(BUNDLE, 'utf8');
const tfRequires = (bundleText.match(/require\(["']@tensorflow\//g) ?? []).length;
const tfCode = ['registerKernel', 'ENGINE.runKernel', 'tfjs-core'].filter((s) => bundleText.includes(s));
const loads = Array.from({ length: 5 }, bundleLoadMs);
const historyLoad = await history(dir, 50, 1000);
const registration = await registerRunsMs();

function summary(r: Awaited<ReturnType<typeof managed>>) {
  return {
    eventsPerSecond: Math.round(r.received / r.seconds),
    /** Events per second of the host's CPU: the manager's capacity when the producer is not the limit. */
    eventsPerCpuSecond: Math.round(r.received / r.cpuSeconds),
    received: r.received,
    lost: r.onDisk - r.received,
    seconds: +r.seconds.toFixed(2),
  };
}

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  flood: {
    events: EVENTS,
    baselineLinesPerSecond: Math.round(base.lines / base.seconds),
    stdout: summary(viaStdout),
    ipcAndStdout: summary(viaIpc),
    ratioStdoutToBaseline: +(viaStdout.received / viaStdout.seconds / (base.lines / base.seconds)).toFixed(2),
  },
  bundle: { bytes: statSync(BUNDLE).size, tensorflowRequires: tfRequires, tensorflowCodeMarkers: tfCode },
  bundleLoadMs: { median: +median(loads).toFixed(1), all: loads.map((x) => +x.toFixed(1)) },
  historyLoad: { runs: 50, eventsPerRun: 1000, ms: +historyLoad.ms.toFixed(1), unchangedReloadMs: +historyLoad.reloadMs.toFixed(1) },
  registerRuns: { coldMs: +registration.coldMs.toFixed(1), warmMs: +registration.warmMs.toFixed(2) },
};
console.log(JSON.stringify(results, null, 2));
if (!process.argv.includes('--no-write')) {
  writeRecord(join(HERE, 'results.json'), results);
  const f = results.flood;
  // activation.ts records its own section between markers in the same file: keep it.
  const previous = existsSync(join(HERE, 'results.md')) ? readFileSync(join(HERE, 'results.md'), 'utf8') : '';
  const activation = previous.match(/<!-- activation:begin -->[\s\S]*<!-- activation:end -->\n?/)?.[0] ?? '';
  writeFileSync(
    join(HERE, 'results.md'),
    [
      `# Extension benchmark results (${results.date.slice(0, 10)}, ${results.machine.cpus} cores, Node ${results.machine.node})`,
      '',
      '| measure | value |',
      '|---|---|',
      `| run manager, events/s (stdout JSON lines, ${f.events} step events) | ${f.stdout.eventsPerSecond} (lost ${f.stdout.lost}) |`,
      `| run manager, events/s (IPC + stdout, as the real runtime sends) | ${f.ipcAndStdout.eventsPerSecond} (lost ${f.ipcAndStdout.lost}) |`,
      `| manager capacity: events per host CPU second (stdout / IPC+stdout) | ${f.stdout.eventsPerCpuSecond} / ${f.ipcAndStdout.eventsPerCpuSecond} |`,
      `| baseline: same child, lines only counted | ${f.baselineLinesPerSecond} lines/s |`,
      `| manager / baseline (stdout) | ${f.ratioStdoutToBaseline} |`,
      `| extension bundle size | ${(results.bundle.bytes / 1024).toFixed(0)} KiB |`,
      `| TensorFlow.js in the bundle | ${results.bundle.tensorflowRequires} requires, markers: ${results.bundle.tensorflowCodeMarkers.join(', ') || 'none'} |`,
      `| bundle load with stub vscode (median of 5 fresh processes) | ${results.bundleLoadMs.median} ms |`,
      `| history: 50 runs × 1000 events read / reloaded unchanged | ${results.historyLoad.ms} ms / ${results.historyLoad.unchangedReloadMs} ms |`,
      `| registerRuns (runs feature's part of activate, fake vscode): cold incl. module load / warm | ${results.registerRuns.coldMs} ms / ${results.registerRuns.warmMs} ms |`,
      '',
      activation,
    ].join('\n'),
  );
}
