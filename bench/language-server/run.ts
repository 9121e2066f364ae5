/**
 * Language server benchmark: cold start of the bundled server (spawn → `initialize` answer →
 * first diagnostics of an example) and warm latency of completion, hover, formatting and
 * re-validation after an edit on a 300-line file. Writes results.json and results.md here.
 *
 * Usage: npx tsx bench/language-server/run.ts [--cold N] [--iterations N] [--no-write]
 * Uses dist/language-server.cjs when built (`npm run build`), else bundles the server first.
 */
// Loaded first: the validation benchmark's generator module imports Langium-free code only,
// but re-runs itself without Object.groupBy on Node 20; the polyfill keeps it a plain import.
import '../../scripts/polyfills.cjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Position } from 'vscode-languageserver-protocol';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import { BnasLspModule } from '../../runtime/dsl/lsp/module.js';
import { createBnasServices } from '../../runtime/dsl/module.js';
import { LspProcess, ROOT, bundleServer } from '../../test/unit/lsp/lsp-process.js';
import { largeSpace } from '../validation/run.js';
import { writeRecord } from '../record.js';

const HERE = import.meta.dirname;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Stats {
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly n: number;
}

function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { median: round(q(0.5)), p95: round(q(0.95)), min: round(s[0]!), n: s.length };
}

const round = (x: number): number => Math.round(x * 100) / 100;

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

interface ColdRun {
  readonly initialize: number;
  readonly firstDiagnostics: number;
  /** CPU time the server process used until then (Linux /proc; NaN elsewhere). */
  readonly initializeCpu: number;
  readonly firstDiagnosticsCpu: number;
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/PID/stat (clock ticks of
 * 10 ms): unlike wall time, it hardly changes when other jobs load the machine.
 */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15)
  } catch {
    return Number.NaN; // not Linux, or the process is gone
  }
}

/** One cold start: spawn, initialize, open an example, wait for its diagnostics. */
async function coldStart(bundle: string, exampleUri: string, exampleText: string): Promise<ColdRun> {
  const t0 = performance.now();
  const server = LspProcess.start(bundle);
  try {
    await server.initialize();
    const initialize = performance.now() - t0;
    const initializeCpu = processCpuMs(server.child.pid);
    const diags = await server.open(exampleUri, exampleText);
    if (diags.some((d) => d.severity === 1)) throw new Error(`example has errors: ${JSON.stringify(diags)}`);
    return { initialize, firstDiagnostics: performance.now() - t0, initializeCpu, firstDiagnosticsCpu: processCpuMs(server.child.pid) };
  } finally {
    await server.stop();
  }
}

/** Positions spread over the 300-line file where completion and hover have work to do. */
function probePositions(text: string): { completion: Position[]; hover: Position[] } {
  const lines = text.split('\n');
  const completion: Position[] = [];
  const hover: Position[] = [];
  lines.forEach((line, i) => {
    const eq = line.indexOf('= ');
    if (eq >= 0) {
      completion.push({ line: i, character: eq + 2 }); // a value slot (enum values, defaults)
      hover.push({ line: i, character: line.search(/\S/) + 1 }); // an attribute name
    }
    if (/^\s*op /.test(line)) hover.push({ line: i, character: line.indexOf('op ') + 4 }); // an op name
  });
  completion.push({ line: 1, character: lines[1]!.length }); // a member slot of `search`
  return { completion, hover };
}

/**
 * The same requests in-process, straight on the Langium services: CPU time of this process per
 * call (microsecond clock), which the other jobs on the machine disturb far less than wall time.
 */
async function inProcessCpu(text: string, iterations: number): Promise<Record<string, Stats>> {
  const { Bnas } = createBnasServices(EmptyFileSystem, BnasLspModule);
  const parse = parseHelper(Bnas);
  let n = 0;
  const build = (t: string): Promise<LangiumDocument> => parse(t, { documentUri: `file:///bench/in-process-${++n}.bnas`, validation: true });
  const doc = await build(text);
  const textDocument = { uri: doc.textDocument.uri };
  const { completion, hover } = probePositions(text);
  const cpu = async (f: (i: number) => Promise<unknown>): Promise<Stats> => {
    for (let i = 0; i < Math.min(30, iterations); i++) await f(i);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const c0 = process.cpuUsage();
      await f(i);
      const c = process.cpuUsage(c0);
      samples.push((c.user + c.system) / 1000);
    }
    return stats(samples);
  };
  const lsp = Bnas.lsp;
  return {
    completion: await cpu(async (i) => lsp.CompletionProvider!.getCompletion(doc, { textDocument, position: completion[i % completion.length]! })),
    hover: await cpu(async (i) => lsp.HoverProvider!.getHoverContent(doc, { textDocument, position: hover[i % hover.length]! })),
    formatting: await cpu(async () => lsp.Formatter!.formatDocument(doc, { textDocument, options: { tabSize: 2, insertSpaces: true } })),
    parseAndValidate: await cpu(async () => build(text)),
  };
}

async function main(): Promise<void> {
  const coldRuns = option('cold', 5);
  const iterations = option('iterations', 200);
  const write = !process.argv.includes('--no-write');
  const dist = join(ROOT, 'dist', 'language-server.cjs');
  const bundle = existsSync(dist) ? dist : await bundleServer();
  const examplePath = join(ROOT, 'examples', 'mnist-bnas.bnas');
  const exampleText = readFileSync(examplePath, 'utf8');

  // Cold start, one fresh process per run.
  const cold: ColdRun[] = [];
  for (let i = 0; i < coldRuns; i++) cold.push(await coldStart(bundle, pathToFileURL(examplePath).href, exampleText));

  // Warm requests on one server.
  const server = LspProcess.start(bundle);
  await server.initialize();
  const big = largeSpace(300);
  const uri = 'file:///bench/bench-300.bnas';
  const bigDiags = await server.open(uri, big);
  if (bigDiags.some((d) => d.severity === 1)) throw new Error(`300-line file has errors: ${JSON.stringify(bigDiags.slice(0, 3))}`);
  const { completion, hover } = probePositions(big);
  const warm = async (f: (i: number) => Promise<unknown>): Promise<Stats> => {
    for (let i = 0; i < Math.min(30, iterations); i++) await f(i);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) samples.push((await timed(() => f(i)))[0]);
    return stats(samples);
  };
  const completionStats = await warm((i) => server.completion(uri, completion[i % completion.length]!));
  const hoverStats = await warm((i) => server.hover(uri, hover[i % hover.length]!));
  const formatStats = await warm(() => server.format(uri));
  // Re-validation as the user types: alternate two versions of the text, wait for diagnostics.
  const edited = big.replace('epochs = 40', 'epochs = 41');
  const revalidateStats = await warm((i) => server.change(uri, i % 2 === 0 ? edited : big));
  await server.stop();
  const cpu = await inProcessCpu(big, iterations);

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg1: round(loadavg()[0]!) },
    bundle: bundle === dist ? 'dist/language-server.cjs' : 'temporary bundle',
    bundleBytes: readFileSync(bundle).length,
    coldStart: {
      runs: coldRuns,
      example: 'examples/mnist-bnas.bnas',
      initializeMs: stats(cold.map((c) => c.initialize)),
      firstDiagnosticsMs: stats(cold.map((c) => c.firstDiagnostics)),
      initializeCpuMs: stats(cold.map((c) => c.initializeCpu)),
      firstDiagnosticsCpuMs: stats(cold.map((c) => c.firstDiagnosticsCpu)),
    },
    warm: {
      file: `generated 300-line space (${big.split('\n').length - 1} lines)`,
      iterations,
      completionMs: completionStats,
      hoverMs: hoverStats,
      formattingMs: formatStats,
      revalidateAfterEditMs: revalidateStats,
    },
    inProcessCpu: {
      file: 'the same 300-line space, providers called directly (CPU ms of this process per call)',
      completionMs: cpu['completion']!,
      hoverMs: cpu['hover']!,
      formattingMs: cpu['formatting']!,
      parseAndValidateMs: cpu['parseAndValidate']!,
    },
  };
  const md = renderMarkdown(result);
  console.log(md);
  if (write) {
    writeRecord(join(HERE, 'results.json'), result);
    writeFileSync(join(HERE, 'results.md'), md);
  }
}

function renderMarkdown(r: {
  date: string;
  node: string;
  machine: { cpus: number; model: string; loadavg1: number };
  bundle: string;
  bundleBytes: number;
  coldStart: { runs: number; example: string; initializeMs: Stats; firstDiagnosticsMs: Stats; initializeCpuMs: Stats; firstDiagnosticsCpuMs: Stats };
  warm: { file: string; iterations: number; completionMs: Stats; hoverMs: Stats; formattingMs: Stats; revalidateAfterEditMs: Stats };
  inProcessCpu: { file: string; completionMs: Stats; hoverMs: Stats; formattingMs: Stats; parseAndValidateMs: Stats };
}): string {
  const row = ([name, s]: [string, Stats]): string => `| ${name} | ${s.median} | ${s.p95} | ${s.min} | ${s.n} |`;
  const table = (title: string, first: string, rows: [string, Stats][]): string[] => [
    `## ${title}`,
    '',
    `| ${first} | median ms | p95 ms | min ms | n |`,
    '|---|---|---|---|---|',
    ...rows.map(row),
    '',
  ];
  return [
    '# Language server benchmark results',
    '',
    `${r.date} · Node ${r.node} · ${r.machine.cpus} × ${r.machine.model} · load ${r.machine.loadavg1} · ${r.bundle} (${(r.bundleBytes / 1e6).toFixed(2)} MB)`,
    '',
    ...table(`Cold start (${r.coldStart.runs} fresh processes, ${r.coldStart.example})`, 'from spawn to', [
      ['`initialize` answered', r.coldStart.initializeMs],
      ['first diagnostics published', r.coldStart.firstDiagnosticsMs],
      ['`initialize` answered: server CPU time', r.coldStart.initializeCpuMs],
      ['first diagnostics: server CPU time', r.coldStart.firstDiagnosticsCpuMs],
    ]),
    ...table(`Warm requests (${r.warm.file}, ${r.warm.iterations} timed after warm-up, round trip over stdio)`, 'request', [
      ['completion', r.warm.completionMs],
      ['hover', r.warm.hoverMs],
      ['formatting (whole file)', r.warm.formattingMs],
      ['edit → diagnostics published', r.warm.revalidateAfterEditMs],
    ]),
    ...table(`In-process CPU time (${r.inProcessCpu.file})`, 'call', [
      ['completion', r.inProcessCpu.completionMs],
      ['hover', r.inProcessCpu.hoverMs],
      ['formatting (whole file)', r.inProcessCpu.formattingMs],
      ['parse + validate (new document)', r.inProcessCpu.parseAndValidateMs],
    ]),
  ].join('\n');
}

await main();
