/**
 * Alternating runs of the engine's cell step (naive, fused, cell-sgd) and the PyTorch peer (1 and 2
 * threads) for the same binary cell, each in its own process, R rounds in rotating order; the
 * ratio of medians is the comparison (absolute times depend on the machine's load).
 * Usage: node --import tsx bench/engine/peer-compare.ts [--rounds 3] [--steps 3] [--k 4] [--binary 1|0] [--only cell-sgd,pytorch-1] [--out DIR]
 *        node --import tsx bench/engine/peer-compare.ts --peak [--rounds 3] [--out DIR]
 * (--binary 0: the float cell; --k 1: all channels; --peak: the practical peak instead, a 1024³
 * float32 matrix product on one thread in both, as GFLOP/s)
 * (--only: contenders whose name contains one of the words, spaces as dashes; the loaded machine
 * makes more rounds of the two that matter worth more than every contender once)
 * Writes bench/engine/results/peer-compare.{json,md}.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const rounds = Number(opt('rounds', '3'));
const steps = opt('steps', '3');
const k = opt('k', '4');
const out = opt('out', 'bench/engine/results');
const binary = opt('binary', '1') === '0' ? '0' : '1';
const peak = argv.includes('--peak');

interface Contender {
  name: string;
  cmd: string;
  args: string[];
}

const node = (script: string, ...args: string[]): Contender['args'] => ['--require', './scripts/polyfills.cjs', '--import', 'tsx', script, ...args];
const contenders: Contender[] = peak
  ? [
      { name: 'tfjs-wasm matmul', cmd: process.execPath, args: node('bench/engine/matmul-peak.ts') },
      { name: 'pytorch matmul 1 thread', cmd: '/usr/bin/python3', args: ['bench/peers/pytorch/matmul_peak.py'] },
    ]
  : [
      { name: 'tfjs-wasm naive', cmd: process.execPath, args: node('bench/engine/step-json.ts', 'naive', k, binary, steps) },
      { name: 'tfjs-wasm fused', cmd: process.execPath, args: node('bench/engine/step-json.ts', 'fused', k, binary, steps) },
      { name: 'tfjs-wasm cell-sgd', cmd: process.execPath, args: node('bench/engine/step-json.ts', 'cell-sgd', k, binary, steps) },
      { name: 'pytorch 1 thread', cmd: '/usr/bin/python3', args: ['bench/peers/pytorch/cell_step.py', '--k', k, '--binary', binary, '--threads', '1', '--steps', steps] },
      { name: 'pytorch 2 threads', cmd: '/usr/bin/python3', args: ['bench/peers/pytorch/cell_step.py', '--k', k, '--binary', binary, '--threads', '2', '--steps', steps] },
    ];

const only = opt('only', '').split(',').filter(Boolean);
const picked = (name: string): boolean => only.some((w) => name.includes(w) || name.includes(w.replace(/-/g, ' ')));
if (only.length) contenders.splice(0, contenders.length, ...contenders.filter((c) => picked(c.name)));
const results = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
const cpuResults = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round so a load swing does not always hit the same contender.
  const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]);
  for (const c of order) {
    const run = spawnSync(c.cmd, c.args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    try {
      const parsed = JSON.parse(line) as { median_ms: number; cpu_ms?: number };
      (results.get(c.name) as number[]).push(parsed.median_ms);
      if (parsed.cpu_ms !== undefined) (cpuResults.get(c.name) as number[]).push(parsed.cpu_ms);
      console.error(`round ${r + 1}: ${c.name} ${parsed.median_ms} ms (cpu ${parsed.cpu_ms ?? '?'} ms)`);
    } catch {
      // A contender that cannot run (e.g. python3-torch missing) is reported, not fatal.
      console.error(`round ${r + 1}: ${c.name} failed: ${(run.stderr || line).slice(0, 300)}`);
    }
  }
}
const median = (xs: number[]): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const summary = contenders.map((c) => ({
  name: c.name,
  medianMs: median(results.get(c.name) as number[]),
  medianCpuMs: median(cpuResults.get(c.name) as number[]),
  runs: results.get(c.name),
}));
const ref = peak ? 'tfjs-wasm matmul' : 'tfjs-wasm cell-sgd';
const best = summary.find((s) => s.name === ref) ?? { medianMs: NaN, medianCpuMs: NaN };
const refShort = peak ? 'tfjs matmul' : 'cell-sgd';
mkdirSync(out, { recursive: true });
const date = new Date().toISOString();
writeFileSync(join(out, 'peer-compare.json'), JSON.stringify({ date, what: peak ? 'matmul-1024' : 'cell-step', k: Number(k), binary: binary === '1', steps: Number(steps), rounds, summary }, null, 2) + '\n');
const lines = [
  `# Engine vs PyTorch peer (${date.slice(0, 16)}Z)`,
  '',
  peak
    ? `The practical peak: a 1024³ float32 matrix product on one thread (2.15 GFLOP; GFLOP/s = 2147 ÷ ms); each entry is the median of ${rounds} process runs (each the median of 5 products), run in rotating order.`
    : `${binary === '1' ? 'Binary' : 'Float'} cell step, K = ${k}${k === '1' ? ' (all channels)' : ''}, batch 32, 16×16×16; each entry is the median of ${rounds} process runs (each the median of ${steps} steps), run in rotating order.`,
  '',
  `Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (2 cores).`,
  '',
  'CPU ms is the process CPU time of a step (robust to other processes on the shared cores; for 2 threads it adds both).',
  '',
  `| contender | median ms | ${refShort} ÷ this (>1: this is faster) | CPU ms | ${refShort} CPU ÷ this | runs (ms) |`,
  '|---|---|---|---|---|---|',
  ...summary.map(
    (s) =>
      `| ${s.name} | ${s.medianMs} | ${(best.medianMs / s.medianMs).toFixed(2)} | ${s.medianCpuMs} | ${(best.medianCpuMs / s.medianCpuMs).toFixed(2)} | ${(s.runs ?? []).join(' ')} |`,
  ),
];
writeFileSync(join(out, 'peer-compare.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
