/**
 * Engine benchmark: the step (forward, backward, SGD update) of one 14-edge, 8-op PC-DARTS cell,
 * float and binary, all channels and K = 4, per backend, for each implementation:
 *   naive    — per-op custom-gradient ops on stock kernels (the straightforward version);
 *   naive-zc — naive with the engine's zero-copy Identity (runtime/engine/tfjs-patches.ts);
 *   fused    — the per-edge test reference FusedMixedOp (test/unit/engine/reference/fused-edge.ts);
 *   cell     — the engine's FusedCell (all edges batched, loop kernels);
 *   cell-sgd — cell, with the engine's optimizerStep (one kernel call updates every weight);
 *   parallel — fused, data-parallel over 2 threads (runtime/engine/data-parallel.ts);
 *   parallel-cell — cell-sgd, data-parallel over 2 threads.
 * Variants run alternately in one process (ratios within one run are what counts on a shared
 * machine). Also: a large matrix product on the same backend (practical peak), achieved GFLOP/s,
 * peak tensor memory, and a per-kernel profile.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/run.ts
 *   [--backends wasm,cpu] [--steps 5] [--variants naive,naive-zc,fused,cell,cell-sgd,parallel,parallel-cell] [--configs binary-k4,...]
 *   [--profile] [--out bench/engine/results]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../../runtime/engine/backend.js';
import { useZeroCopyIdentity } from '../../runtime/engine/tfjs-patches.js';
import { BenchCell, DEFAULT_CELL, stepFlops, type CellConfig } from './cell.js';
import { ParallelCell } from './parallel-cell.js';

type Variant = 'naive' | 'naive-zc' | 'fused' | 'cell' | 'cell-sgd' | 'parallel' | 'parallel-cell';

interface Args {
  backends: BackendChoice[];
  steps: number;
  variants: Variant[];
  configs: string[];
  profile: boolean;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  return {
    backends: get('backends', 'wasm').split(',') as BackendChoice[],
    steps: Number(get('steps', '5')),
    variants: get('variants', 'naive,naive-zc,fused,cell,cell-sgd,parallel,parallel-cell').split(',') as Variant[],
    configs: get('configs', 'binary-k4,binary-k1,float-k4,float-k1').split(','),
    profile: argv.includes('--profile'),
    out: get('out', 'bench/engine/results'),
  };
}

function configOf(name: string): CellConfig {
  const m = /^(binary|float)-k(\d+)$/.exec(name);
  if (!m) throw new Error(`unknown config '${name}': use binary-k4, binary-k1, float-k4, float-k1`);
  return { ...DEFAULT_CELL, binary: m[1] === 'binary', k: Number(m[2]) };
}

/**
 * `naive` is the straightforward version as the issue measured it: stock TensorFlow.js kernels,
 * including wasm's copying Identity (every tensor saved for a gradient is copied). Every other
 * variant runs on the engine as initBackend sets it up (zero-copy Identity); `naive-zc` is naive
 * with that one engine fix, to show its share.
 */
function setIdentityFor(variant: Variant): void {
  useZeroCopyIdentity(variant !== 'naive');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The backend's practical arithmetic peak in GFLOP/s: a 1024³ matrix product, and the same
 * arithmetic as a 1×1 conv (on wasm the conv goes through XNNPACK's GEMM; matMul may not).
 */
function arithmeticPeak(): { matmul: number; conv1x1: number } {
  const n = 1024;
  const time = (f: () => tf.Tensor): number => {
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      // Read back inside the tidy but return nothing: a returned typed array is walked element by
      // element by tidy's result scan (4 M elements: ~1.5 s), which made this peak read 1–2 GFLOP/s.
      tf.tidy(() => {
        f().dataSync();
      });
      times.push(performance.now() - t);
    }
    return (2 * n ** 3) / (median(times.slice(1)) / 1000) / 1e9;
  };
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const x = tf.reshape(a, [1, 32, 32, n]) as tf.Tensor4D;
  const w = tf.reshape(b, [1, 1, n, n]) as tf.Tensor4D;
  const result = { matmul: time(() => tf.matMul(a, b)), conv1x1: time(() => tf.conv2d(x, w, 1, 'same')) };
  tf.dispose([a, b, x, w]);
  return result;
}

interface Runner {
  step(): Promise<number> | number;
  dispose(): Promise<void> | void;
}

async function makeRunner(variant: Variant, config: CellConfig): Promise<Runner> {
  if (variant === 'parallel') return ParallelCell.create({ ...config, variant: 'fused' }, 2);
  if (variant === 'parallel-cell') return ParallelCell.create({ ...config, variant: 'cell', fusedSgd: true }, 2);
  const cell = new BenchCell(
    variant === 'cell-sgd' ? { ...config, variant: 'cell', fusedSgd: true } : { ...config, variant: variant === 'naive-zc' ? 'naive' : variant },
  );
  return { step: () => cell.step(), dispose: () => cell.dispose() };
}

interface Row {
  backend: string;
  config: string;
  variant: Variant;
  medianMs: number;
  timesMs: number[];
  /** Process CPU time of each step (main thread + any worker), robust to other processes' load. */
  cpuMs: number[];
  medianCpuMs: number;
  gflops: number;
  peakTensorMB: number;
  rssMB: number;
  finalLoss: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  const peaks: Record<string, number> = {};
  const peakDetail: Record<string, { matmul: number; conv1x1: number }> = {};
  const profiles: Record<string, { kernel: string; ms: number; share: number }[]> = {};
  for (const choice of args.backends) {
    const info = await initBackend(choice);
    const backend = info.name;
    peakDetail[backend] = arithmeticPeak();
    peaks[backend] = Math.max(peakDetail[backend].matmul, peakDetail[backend].conv1x1);
    console.error(`${backend}: ${info.reason}; peak GFLOP/s ${JSON.stringify(peakDetail[backend])}`);
    // The pure-JS backend is ~20× slower: one step of the K = 4 binary cell tells its story.
    const configs = backend === 'cpu' ? args.configs.filter((c) => c === 'binary-k4') : args.configs;
    const steps = backend === 'cpu' ? 1 : args.steps;
    for (const configName of configs) {
      const config = configOf(configName);
      const variants = backend === 'cpu' ? args.variants.filter((v) => !v.startsWith('parallel')) : args.variants;
      const runners = new Map<Variant, Runner>();
      const times = new Map<Variant, number[]>();
      const cpu = new Map<Variant, number[]>();
      const peak = new Map<Variant, number>();
      const loss = new Map<Variant, number>();
      for (const v of variants) {
        setIdentityFor(v);
        const r = await makeRunner(v, config);
        runners.set(v, r);
        times.set(v, []);
        cpu.set(v, []);
        // Warm-up step, measured for peak tensor memory (kernels compiled, slots created).
        const prof = await tf.profile(async () => {
          await r.step();
        });
        peak.set(v, prof.peakBytes / 2 ** 20);
      }
      // Alternate the variants so machine-load swings hit all of them alike.
      for (let s = 0; s < steps; s++) {
        for (const v of variants) {
          setIdentityFor(v);
          const t = performance.now();
          const c0 = process.cpuUsage();
          loss.set(v, await (runners.get(v) as Runner).step());
          const c = process.cpuUsage(c0);
          (times.get(v) as number[]).push(performance.now() - t);
          (cpu.get(v) as number[]).push((c.user + c.system) / 1000);
        }
      }
      if (args.profile && backend !== 'cpu') {
        for (const v of variants.filter((x) => !x.startsWith('parallel'))) {
          setIdentityFor(v);
          const prof = await tf.profile(async () => {
            await (runners.get(v) as Runner).step();
          });
          const by = new Map<string, number>();
          for (const k of prof.kernels) by.set(k.name, (by.get(k.name) ?? 0) + Number(k.kernelTimeMs));
          const total = [...by.values()].reduce((a, b) => a + b, 0);
          profiles[`${backend} ${configName} ${v}`] = [...by]
            .sort((a, b) => b[1] - a[1])
            .map(([kernel, ms]) => ({ kernel, ms: Math.round(ms * 10) / 10, share: Math.round((ms / total) * 1000) / 10 }));
        }
      }
      for (const v of variants) {
        const ts = times.get(v) as number[];
        const med = median(ts);
        rows.push({
          backend,
          config: configName,
          variant: v,
          medianMs: Math.round(med),
          timesMs: ts.map(Math.round),
          cpuMs: (cpu.get(v) as number[]).map(Math.round),
          medianCpuMs: Math.round(median(cpu.get(v) as number[])),
          gflops: Math.round((stepFlops(config) / (med / 1000) / 1e9) * 100) / 100,
          peakTensorMB: Math.round(peak.get(v) as number),
          rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
          finalLoss: loss.get(v) as number,
        });
        console.error(
          `${backend} ${configName} ${v}: median ${med.toFixed(0)} ms (${ts.map((t) => t.toFixed(0)).join(' ')}), cpu ${median(cpu.get(v) as number[]).toFixed(0)} ms`,
        );
        await (runners.get(v) as Runner).dispose();
      }
    }
  }
  writeResults(args, rows, peaks, peakDetail, profiles);
}

function writeResults(
  args: Args,
  rows: Row[],
  peaks: Record<string, number>,
  peakDetail: Record<string, { matmul: number; conv1x1: number }>,
  profiles: Record<string, { kernel: string; ms: number; share: number }[]>,
): void {
  mkdirSync(args.out, { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version_core,
    cell: DEFAULT_CELL,
    steps: args.steps,
    note: 'medians of alternating steps in one process; GFLOP/s counts conv/1×1 arithmetic only (backward = 2× forward)',
  };
  writeFileSync(join(args.out, 'engine-step.json'), JSON.stringify({ meta, peakGflops: peakDetail, rows, profiles }, null, 2) + '\n');
  const lines = [
    `# Engine step benchmark (${meta.date.slice(0, 16)}Z)`,
    '',
    `One PC-DARTS normal cell step (14 edges × 8 ops, batch ${DEFAULT_CELL.batch}, ${DEFAULT_CELL.size}×${DEFAULT_CELL.size}×${DEFAULT_CELL.channels}), forward + backward + SGD. ${meta.note}.`,
    '',
    '| backend | config | variant | median ms | vs naive | CPU ms | CPU vs naive | GFLOP/s | % of peak | peak tensor MB | steps (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const naive = rows.find((x) => x.backend === r.backend && x.config === r.config && x.variant === 'naive');
    const speedup = naive ? `${(naive.medianMs / r.medianMs).toFixed(2)}×` : '—';
    const cpuSpeedup = naive ? `${(naive.medianCpuMs / r.medianCpuMs).toFixed(2)}×` : '—';
    const pct = ((r.gflops / peaks[r.backend]) * 100).toFixed(1);
    lines.push(
      `| ${r.backend} | ${r.config} | ${r.variant} | ${r.medianMs} | ${speedup} | ${r.medianCpuMs} | ${cpuSpeedup} | ${r.gflops} | ${pct} | ${r.peakTensorMB} | ${r.timesMs.join(' ')} |`,
    );
  }
  lines.push(
    '',
    'Peak: 2·1024³ FLOP as a matrix product and as a 1×1 conv on the same backend, same run (the larger is "peak").',
    '',
    '| backend | matMul GFLOP/s | 1×1 conv GFLOP/s |',
    '|---|---|---|',
    ...Object.entries(peakDetail).map(([b, g]) => `| ${b} | ${g.matmul.toFixed(1)} | ${g.conv1x1.toFixed(1)} |`),
  );
  for (const [name, prof] of Object.entries(profiles)) {
    lines.push('', `## Kernel profile: ${name}`, '', '| kernel | ms | share % |', '|---|---|---|');
    for (const p of prof.slice(0, 15)) lines.push(`| ${p.kernel} | ${p.ms} | ${p.share} |`);
  }
  writeFileSync(join(args.out, 'engine-step.md'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}

await main();
