/**
 * Validation latency of `.bnas` files: `loadSearchSpace` on a generated 300-line file and on
 * every example, median and p95 after warm-up, and the cold first call (parser construction
 * included) in fresh processes. Writes results.json and results.md next to this file.
 *
 * Usage: npx tsx bench/validation/run.ts [--iterations N] [--cold N] [--no-write]
 * (`npx tsx` needs the groupBy polyfill on Node 20; the script re-runs itself with it.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { writeRecord } from '../record.js';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
const POLYFILL = join(ROOT, 'scripts', 'polyfills.cjs');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * A realistic 300-line search space: every block, one attribute per line, comments, and many
 * custom ops listed in `ops` (so op resolution and unused-op checks have work to do).
 */
export function largeSpace(lines = 300): string {
  const head = [
    '# Generated benchmark space: every block, one attribute per line.',
    'search "bench-300" {',
    '  data {',
    '    source = synthetic',
    '    train = 2000',
    '    split = 0.5',
    '    test = 500',
    '    image = 16',
    '    augment = [crop, flip]',
    '  }',
    '  supernet {',
    '    cells = 5',
    '    reductions = [1, 3]',
    '    channels = 8',
    '    nodes = 4',
    '    stem_multiplier = 3',
    '  }',
    '  binarize { weights = xnor, scale = layer, activations = sign, keep_real = [stem, classifier] }',
    '  sampling { k = 4, shuffle = true, edge_normalization = true }',
    '  train { epochs = 40, batch = 32, warmup = 2, seed = 1 }',
    '  optimizer weights { kind = sgd, lr = 0.025, momentum = 0.9, weight_decay = 3e-4, schedule = cosine, grad_clip = 5 }',
    '  optimizer arch { kind = adam, lr = 6e-4, betas = [0.5, 0.999], weight_decay = 1e-3 }',
    '  regularize { diversity = 0.5, tau = 7.7 }',
    '  budget { memory_mb = 100000 }',
  ];
  const kinds = ['conv', 'sep_conv', 'dil_conv', 'max_pool', 'avg_pool'];
  // Each op block takes 6 lines; the ops list, pruning block and closing brace take the rest.
  const opCount = Math.floor((lines - head.length - 10) / 6);
  const names = Array.from({ length: opCount }, (_, i) => `custom_op_${i}`);
  const ops: string[] = [];
  names.forEach((name, i) => {
    ops.push(`  // candidate ${i}`, `  op ${name} {`, `    kind = ${kinds[i % kinds.length]}`, `    kernel = ${(i % 3) * 2 + 1}x${(i % 3) * 2 + 1}`, `    repeat = ${1 + (i % 2)}`, '  }');
  });
  const list = ['  ops = [sep_conv_3x3, skip_connect, none,', ...chunk(names, 6).map((c) => `    ${c.join(', ')},`), '  ]'];
  const tail = [`  pruning { criterion = alpha, start = 1, every = 1, drop = ${Math.ceil(opCount / 30)} }`, '}'];
  const out = [...head, ...list, ...ops, ...tail];
  while (out.length < lines) out.splice(out.length - 1, 0, '  # padding comment');
  return out.join('\n') + '\n';
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

interface Row {
  readonly name: string;
  readonly lines: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** Median CPU time of the process per call (less sensitive to other jobs than wall time). */
  readonly cpuMedianMs: number;
  readonly diagnostics: number;
}

/** Cold first call in a fresh process: import of the DSL plus the first loadSearchSpace. */
function coldRun(file: string): { importMs: number; firstCallMs: number; secondCallMs: number } {
  const script = `
    const t0 = performance.now();
    const { loadSearchSpace } = await import(${JSON.stringify(join(ROOT, 'runtime', 'dsl', 'index.ts'))});
    const t1 = performance.now();
    const text = (await import('node:fs')).readFileSync(${JSON.stringify(file)}, 'utf8');
    loadSearchSpace(text);
    const t2 = performance.now();
    loadSearchSpace(text);
    const t3 = performance.now();
    console.log(JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1, secondCallMs: t3 - t2 }));`;
  const out = execFileSync(process.execPath, ['--require', POLYFILL, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Wall time of `node dist/cli.cjs validate FILE --json` (process start, bundle load, parser build, validation). */
function cliRun(file: string): number | undefined {
  const cli = join(ROOT, 'dist', 'cli.cjs');
  if (!existsSync(cli)) return undefined;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'validate', file, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bnas validate failed: ${r.stderr}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { loadSearchSpace } = await import('../../runtime/dsl/index.js');
  const iterations = option('iterations', 200);
  const coldRuns = option('cold', 3);
  const large = largeSpace(300);
  const largeFile = join(ROOT, 'bench', '.tmp', 'bench-300.bnas');
  execFileSync('mkdir', ['-p', join(ROOT, 'bench', '.tmp')]);
  writeFileSync(largeFile, large);
  const inputs = [
    { name: 'generated 300-line space', text: large },
    ...readdirSync(join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.bnas'))
      .sort()
      .map((f) => ({ name: `examples/${f}`, text: readFileSync(join(ROOT, 'examples', f), 'utf8') })),
  ];
  const rows: Row[] = [];
  for (const input of inputs) {
    const first = loadSearchSpace(input.text);
    const errors = first.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${input.name} has errors: ${errors.map((d) => d.message).join('; ')}`);
    for (let i = 0; i < 30; i++) loadSearchSpace(input.text); // warm-up (JIT, caches)
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      loadSearchSpace(input.text);
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    rows.push({
      name: input.name,
      lines: input.text.split('\n').length - 1,
      medianMs: quantile(times, 0.5),
      p95Ms: quantile(times, 0.95),
      cpuMedianMs: quantile(cpu, 0.5),
      diagnostics: first.diagnostics.length,
    });
  }
  const cold = Array.from({ length: coldRuns }, () => coldRun(largeFile)).sort((a, b) => a.firstCallMs - b.firstCallMs);
  const coldMedian = cold[Math.floor(cold.length / 2)]!;
  const cli = Array.from({ length: coldRuns }, () => cliRun(largeFile)).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const cliMedianMs = cli.length > 0 ? cli[Math.floor(cli.length / 2)] : undefined;
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage: loadavg()[0],
    iterations,
    targetMedianMs: 20,
    rows,
    cold: { runs: coldRuns, median: coldMedian, all: cold },
    cliValidateWallMs: cliMedianMs ?? null,
  };
  const fmt = (x: number) => x.toFixed(2);
  const md = [
    '# Validation latency (recorded)',
    '',
    `Recorded ${result.date} on ${result.cpu} (${result.cores} cores, shared with other jobs; load average ${result.loadAverage.toFixed(1)}), Node ${result.node}.`,
    `Command: \`npx tsx bench/validation/run.ts\` (${iterations} timed calls per file after 30 warm-up calls).`,
    '',
    '| input | lines | median ms (wall) | p95 ms (wall) | median ms (CPU) | diagnostics |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.lines} | ${fmt(r.medianMs)} | ${fmt(r.p95Ms)} | ${fmt(r.cpuMedianMs)} | ${r.diagnostics} |`),
    '',
    `Cold start (fresh process, median of ${coldRuns}): first \`loadSearchSpace\` of the 300-line file ${fmt(coldMedian.firstCallMs)} ms (builds the Langium parser), second call ${fmt(coldMedian.secondCallMs)} ms; importing the DSL sources through tsx took ${fmt(coldMedian.importMs)} ms (TypeScript compiled on the fly, not what users run).`,
    cliMedianMs === undefined ? 'Built CLI not found (run `npm run build` to measure `bnas validate`).' : `Whole \`bnas validate bench-300.bnas --json\` with the built bundle (process start included), median of ${cli.length}: ${fmt(cliMedianMs)} ms.`,
    '',
    `Target: median under ${result.targetMedianMs} ms for the 300-line file after warm-up — ${rows[0]!.medianMs < result.targetMedianMs ? 'met' : 'NOT met'}.`,
    '',
  ].join('\n');
  console.log(md);
  if (!process.argv.includes('--no-write')) {
    writeRecord(join(HERE, 'results.json'), result);
    writeFileSync(join(HERE, 'results.md'), md);
  }
}

// Langium needs Object.groupBy on Node 20: re-run with the polyfill when it is missing.
if (typeof (Object as { groupBy?: unknown }).groupBy !== 'function') {
  const r = spawnSync(process.execPath, ['--require', POLYFILL, '--import', 'tsx', import.meta.filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (import.meta.filename === process.argv[1]) {
  await main();
}
