/**
 * Whole-search benchmark: the same space searched three ways in one run, each in its own
 * process so peak memory is its own:
 *   bnas      this method: binary, K = 4, performance pruning (the space as written)
 *   pc-darts  binary, K = 4, no pruning
 *   darts     binary, K = 1, no pruning
 * Records the search's wall time and CPU time (user + system: robust when other processes share
 * the cores; process start-up and data loading excluded, they are the same in every mode) and the
 * process's peak RSS, optionally the derived cells' test accuracy from training them from scratch, and the
 * ratios, and per epoch: its seconds split into training steps, validation and pruning evaluations,
 * and the ops left. Each mode runs with every thread count of `--threads` (default 1,2).
 * Usage: npx tsx bench/search/run.ts [--space FILE] [--set key=value]... [--evaluate EPOCHS] [--repeats N] [--threads 1,2] [--modes bnas,pc-darts,darts] [--batch-rule same|memory] [--name NAME]
 * `--batch-rule` sets DARTS mode's batch: `same` (default) the space's batch in every mode, a
 * comparison of compute per image; `memory` the papers' protocol (PC-DARTS: "thanks to the reduced
 * memory cost, PC-DARTS can be trained with a larger batch size": 256 against DARTS's 64): DARTS
 * mode gets the largest batch whose estimated supernet memory fits in PC-DARTS mode's at the
 * space's batch, with the weights' learning rate scaled by the same factor (0.1 at 256 against
 * 0.025 at 64 in the papers). An epoch sees the same images either way, in more, smaller steps.
 * `--set` (repeatable) changes one setting of the space as `bnas sweep --set` does (bench/space-args.ts).
 * Writes bench/search/NAME.json and bench/search/NAME.md (NAME defaults to `results`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { estimateSupernetMemory, loadSearchSpace, searchMacs, totalMacs } from '../../runtime/dsl/index.js';
import { loadBenchSpace, setsIn } from '../space-args.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { prunedEvents } from './macs.js';

export type Mode = 'bnas' | 'pc-darts' | 'darts';
const MODES: readonly Mode[] = ['bnas', 'pc-darts', 'darts'];

/** How DARTS mode's batch is chosen (see the usage above). */
export type BatchRule = 'same' | 'memory';

/**
 * DARTS mode's batch under the memory rule: the largest batch (at most the space's) whose
 * estimated supernet memory at K = 1 fits in the K of the space at the space's batch.
 */
export function memoryMatchedBatch(space: SearchSpace): number {
  const pc = estimateSupernetMemory({ ...space, pruning: { ...space.pruning, criterion: 'none' } }).totalMb;
  const at = (batch: number) => estimateSupernetMemory({ ...space, sampling: { ...space.sampling, k: 1 }, train: { ...space.train, batch } }).totalMb;
  let batch = space.train.batch;
  while (batch > 1 && at(batch) > pc) batch--;
  return batch;
}

/** The space of a mode: the benchmark space with sampling/pruning (and under the memory rule DARTS mode's batch and learning rate) overridden. */
export function modeSpace(space: SearchSpace, mode: Mode, rule: BatchRule = 'same'): SearchSpace {
  if (mode === 'bnas') return space;
  const common = { ...space, pruning: { ...space.pruning, criterion: 'none' as const } };
  if (mode === 'pc-darts') return common;
  const batch = rule === 'memory' ? memoryMatchedBatch(space) : space.train.batch;
  const weights = space.optimizers.weights;
  return {
    ...common,
    sampling: { ...space.sampling, k: 1 },
    train: { ...space.train, batch },
    optimizers: { ...space.optimizers, weights: { ...weights, lr: (weights.lr * batch) / space.train.batch } },
  };
}

/** The per-mode means the ratios are taken of. */
export interface ModeSummary {
  readonly macs: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly idleWallEstimate: number;
}

/**
 * This method's time and multiply-adds as fractions of PC-DARTS mode's and DARTS mode's; a ratio
 * is undefined unless both modes ran (a run of `--modes pc-darts` alone has none).
 */
export function modeRatios(of: (m: Mode) => ModeSummary, modes: readonly Mode[]) {
  const vs = (m: Mode, k: keyof ModeSummary) => (modes.includes(m) && modes.includes('bnas') ? of('bnas')[k] / of(m)[k] : undefined);
  return {
    cpuVsPcDarts: vs('pc-darts', 'cpuSeconds'),
    macsVsPcDarts: vs('pc-darts', 'macs'),
    macsVsDarts: vs('darts', 'macs'),
    cpuVsDarts: vs('darts', 'cpuSeconds'),
    wallVsPcDarts: vs('pc-darts', 'wallSeconds'),
    wallVsDarts: vs('darts', 'wallSeconds'),
    idleVsPcDarts: vs('pc-darts', 'idleWallEstimate'),
    idleVsDarts: vs('darts', 'idleWallEstimate'),
  };
}

/** One epoch of a run, from its `epoch` event. */
interface EpochTime {
  readonly epoch: number;
  /** Whole epoch: steps, validation, pruning, derivation, events and checkpoint. */
  readonly seconds: number;
  readonly train: number;
  readonly valid: number;
  readonly prune: number;
  readonly opsLeft: number;
}

interface Measured {
  readonly mode: Mode;
  readonly threads: number;
  readonly epochs: EpochTime[];
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** CPU seconds of the main thread; the rest of cpuSeconds is mostly the workers'. */
  readonly mainCpuSeconds: number;
  /** max(main thread, rest of the process): about the wall time on an idle machine. */
  readonly idleWallEstimate: number;
  readonly searchSeconds: number;
  readonly pruneSeconds: number;
  readonly peakRssMb: number;
  readonly validAcc: number;
  readonly genotype: unknown;
  readonly evalAccuracy?: number;
  /** Multiply-adds of the whole search by bench/search/macs.ts (this run's pruning decisions). */
  readonly macs: number;
}

/**
 * CPU seconds of the main thread alone (Linux: /proc/self/task/PID/stat, clock ticks of 10 ms).
 * With workers, the rest of the process's CPU time is mostly theirs; on an idle machine the wall
 * time is about the larger of the two, which the load of a shared machine does not distort.
 */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Per-epoch times from a run's events.jsonl text. */
function epochTimes(eventsText: string): EpochTime[] {
  const lines = eventsText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  let before = 0;
  return lines.filter((e) => (e.type as unknown) === 'epoch').map((e) => {
    const t: EpochTime = { epoch: e.epoch, seconds: e.seconds - before, train: e.train_seconds, valid: e.valid_seconds, prune: e.prune_seconds ?? 0, opsLeft: e.ops_left };
    before = e.seconds;
    return t;
  });
}

async function child(mode: Mode, spaceFile: string, outDir: string, evalEpochs: number, threads: number, rule: BatchRule): Promise<void> {
  const { initBackend } = await import('../../runtime/engine/index.js');
  const { runSearch } = await import('../../runtime/search/search.js');
  const text = readFileSync(spaceFile, 'utf8');
  const { space } = loadSearchSpace(text);
  if (!space) throw new Error(`${spaceFile} does not validate`);
  await initBackend('wasm');
  const { loadDataset } = await import('../../runtime/data/index.js');
  // Data loading and process start-up are the same in every mode: measure the search alone.
  const dataset = await loadDataset(space.data, { seed: space.train.seed });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  const r = await runSearch({ space: modeSpace(space, mode, rule), spaceText: text, outDir, keepBackend: true, stepEventSeconds: 1e9, dataset, threads });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const mainCpu = mainThreadCpu() - m0;
  const totalCpu = (cpu.user + cpu.system) / 1e6;
  const u = process.resourceUsage();
  if (r.status !== 'finished' || !r.result) throw new Error(`${mode}: ${r.status} ${r.message ?? ''}`);
  let evalAccuracy: number | undefined;
  if (evalEpochs > 0) {
    const { trainGenotype } = await import('../../runtime/search/evaluate.js');
    evalAccuracy = (await trainGenotype(space, r.result.genotype, dataset, { epochs: evalEpochs, seed: 1 })).accuracy;
  }
  const ran = modeSpace(space, mode, rule);
  const events = readFileSync(join(outDir, 'events.jsonl'), 'utf8');
  const macs = totalMacs(searchMacs(ran, prunedEvents(ran, events, `the ${mode} run`)));
  const m: Measured = {
    macs, mode, threads, epochs: epochTimes(events), wallSeconds: wall, cpuSeconds: totalCpu,
    mainCpuSeconds: mainCpu, idleWallEstimate: threads > 1 ? Math.max(mainCpu, totalCpu - mainCpu) : totalCpu,
    searchSeconds: r.result.metrics.search_seconds, pruneSeconds: r.result.metrics.prune_seconds,
    peakRssMb: u.maxRSS / 1024, validAcc: r.result.metrics.valid_acc, genotype: r.result.genotype, evalAccuracy,
  };
  process.stdout.write(JSON.stringify(m) + '\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
  if (argv[0] === 'child') return child(argv[1] as Mode, argv[2], argv[3], Number(argv[4]), Number(argv[5]), argv[6] as BatchRule);
  // The space as searched (the file with its --set settings), written once for every child.
  const bench = loadBenchSpace(opt('space', 'bench/search/space.bnas'), setsIn(argv));
  const evalEpochs = Number(opt('evaluate', '0'));
  const repeats = Number(opt('repeats', '1'));
  const threadList = opt('threads', '1,2').split(',').map(Number);
  const modes = opt('modes', MODES.join(',')).split(',') as Mode[];
  const name = opt('name', 'results');
  const rule = opt('batch-rule', 'same') as BatchRule;
  if (rule !== 'same' && rule !== 'memory') throw new Error(`--batch-rule must be same or memory, got ${rule}`);
  const tmp = mkdtempSync(join(tmpdir(), 'bnas-bench-'));
  const spaceFile = join(tmp, 'space.bnas');
  writeFileSync(spaceFile, bench.text);
  const runs: Measured[] = [];
  // Modes alternate within each repeat so slow phases of a shared machine hit all of them.
  for (let rep = 0; rep < repeats; rep++) {
    for (const threads of threadList) {
      for (const mode of modes) {
        const args = ['--require', './scripts/polyfills.cjs', '--import', 'tsx', 'bench/search/run.ts', 'child', mode, spaceFile, join(tmp, `${mode}-${threads}-${rep}`), String(evalEpochs), String(threads), rule];
        const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
        const m = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Measured;
        runs.push(m);
        console.log(`${mode} ×${threads}: wall ${m.wallSeconds.toFixed(1)} s, cpu ${m.cpuSeconds.toFixed(1)} s (pruning ${m.pruneSeconds.toFixed(1)} s wall), peak ${m.peakRssMb.toFixed(0)} MB, valid acc ${(100 * m.validAcc).toFixed(1)}%` + (m.evalAccuracy !== undefined ? `, derived cell test acc ${(100 * m.evalAccuracy).toFixed(1)}%` : ''));
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const of = (mode: Mode, threads: number) => runs.filter((r) => r.mode === mode && r.threads === threads);
  const mean = (xs: readonly Measured[], f: (m: Measured) => number) => xs.map(f).reduce((a, b) => a + b, 0) / xs.length;
  const key = (mode: Mode, threads: number) => `${mode} x${threads}`;
  const summary: Record<string, { macs: number; wallSeconds: number; cpuSeconds: number; mainCpuSeconds: number; idleWallEstimate: number; pruneSeconds: number; peakRssMb: number; validAcc: number; evalAccuracy?: number }> = {};
  for (const threads of threadList) {
    for (const m of modes) {
      const xs = of(m, threads);
      summary[key(m, threads)] = {
        macs: mean(xs, (r) => r.macs), wallSeconds: mean(xs, (r) => r.wallSeconds), cpuSeconds: mean(xs, (r) => r.cpuSeconds),
        mainCpuSeconds: mean(xs, (r) => r.mainCpuSeconds), idleWallEstimate: mean(xs, (r) => r.idleWallEstimate), pruneSeconds: mean(xs, (r) => r.pruneSeconds),
        peakRssMb: mean(xs, (r) => r.peakRssMb), validAcc: mean(xs, (r) => r.validAcc), evalAccuracy: evalEpochs > 0 ? mean(xs, (r) => r.evalAccuracy ?? NaN) : undefined,
      };
    }
  }
  const ratios = Object.fromEntries(threadList.map((t) => [`x${t}`, modeRatios((m) => summary[key(m, t)], modes)]));
  const speedupOf = (k: 'wallSeconds' | 'idleWallEstimate') =>
    threadList.length > 1 ? Object.fromEntries(modes.map((m) => [m, summary[key(m, threadList[0])][k] / summary[key(m, threadList[threadList.length - 1])][k]])) : {};
  const speedup = speedupOf('wallSeconds');
  const idleSpeedup = speedupOf('idleWallEstimate');
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const benchSpace = bench.space;
  const batches = Object.fromEntries(modes.map((m) => [m, modeSpace(benchSpace, m, rule).train.batch]));
  const estimatedMb = Object.fromEntries(modes.map((m) => [m, estimateSupernetMemory(modeSpace(benchSpace, m, rule)).totalMb]));
  const record = { date: new Date().toISOString(), space: bench.label, backend: 'wasm', repeats, evalEpochs, batchRule: rule, batches, estimatedMb, threads: threadList, loadavg: load, runs, summary, ratios, wallSpeedup: speedup, idleWallSpeedup: idleSpeedup };
  writeFileSync(`bench/search/${name}.json`, JSON.stringify(record, null, 2) + '\n');
  const pct = (x: number | undefined) => (x === undefined ? '—' : `×${x.toFixed(2)} (${(100 * (1 - x)).toFixed(0)} % less)`);
  const times = (x: number | undefined) => (x === undefined ? '—' : `×${x.toFixed(2)} (${(1 / x).toFixed(2)}× less)`);
  const md = [
    `# Search benchmark results (${record.date.slice(0, 16)}Z, wasm, load average at the end ${load})`,
    '',
    `Space \`${bench.label}\`, ${repeats} repeat(s); CPU s counts every thread of the process.`,
    '',
    `Batch rule \`${rule}\`: batch ${modes.map((m) => `${m} ${batches[m]}`).join(', ')}; estimated supernet memory (MB, before pruning) ${modes.map((m) => `${m} ${estimatedMb[m].toFixed(0)}`).join(', ')}.`,
    '',
    `| mode | threads | wall s | CPU s | main-thread CPU s | idle wall estimate s | pruning s (wall) | peak RSS MB | supernet valid acc |${evalEpochs > 0 ? ` derived cell test acc (${evalEpochs} epochs) |` : ''}`,
    `|---|---|---|---|---|---|---|---|---|${evalEpochs > 0 ? '---|' : ''}`,
    ...threadList.flatMap((t) => modes.map((m) => {
      const s = summary[key(m, t)];
      return `| ${m} | ${t} | ${s.wallSeconds.toFixed(1)} | ${s.cpuSeconds.toFixed(1)} | ${s.mainCpuSeconds.toFixed(1)} | ${s.idleWallEstimate.toFixed(1)} | ${s.pruneSeconds.toFixed(1)} | ${s.peakRssMb.toFixed(0)} | ${(100 * s.validAcc).toFixed(1)} % |${s.evalAccuracy !== undefined ? ` ${(100 * s.evalAccuracy).toFixed(1)} % |` : ''}`;
    })),
    '',
    ...threadList.flatMap((t) => [
      `${t} thread(s): this method vs PC-DARTS mode: CPU ${pct(ratios[`x${t}`].cpuVsPcDarts)}, idle wall estimate ${pct(ratios[`x${t}`].idleVsPcDarts)}, wall ${pct(ratios[`x${t}`].wallVsPcDarts)}; ` +
        `vs DARTS mode: CPU ${times(ratios[`x${t}`].cpuVsDarts)}, idle wall estimate ${times(ratios[`x${t}`].idleVsDarts)}, wall ${times(ratios[`x${t}`].wallVsDarts)}.`,
      '',
      `Multiply-adds of the whole search (\`bench/search/macs.ts\`, these runs' pruning decisions; what an engine whose time were proportional to its arithmetic would measure): ` +
        `${modes.map((m) => `${m} ${(summary[key(m, t)].macs / 1e9).toFixed(1)} G`).join(', ')}; this method vs PC-DARTS mode ${pct(ratios[`x${t}`].macsVsPcDarts)}, vs DARTS mode ${times(ratios[`x${t}`].macsVsDarts)}.`,
      '',
    ]),
    ...(threadList.length > 1
      ? [
          `Speed-up of ${threadList.at(-1)} threads over ${threadList[0]}: measured wall ${modes.map((m) => `${m} ×${speedup[m].toFixed(2)}`).join(', ')}; ` +
            `idle wall estimate ${modes.map((m) => `${m} ×${idleSpeedup[m].toFixed(2)}`).join(', ')}.`,
          '',
        ]
      : []),
    '## Per epoch (first repeat; seconds of wall time)',
    '',
    '| mode | threads | epoch | ops left | epoch s | train steps s | validation s | pruning s |',
    '|---|---|---|---|---|---|---|---|',
    ...threadList.flatMap((t) => modes.flatMap((m) => (of(m, t)[0]?.epochs ?? []).map((e) =>
      `| ${m} | ${t} | ${e.epoch} | ${e.opsLeft} | ${e.seconds.toFixed(2)} | ${e.train.toFixed(2)} | ${e.valid.toFixed(2)} | ${e.prune.toFixed(2)} |`))),
    '',
  ].join('\n');
  writeFileSync(`bench/search/${name}.md`, md);
  console.log(md);
}

// Run only as a script: tests and tools import modeSpace / memoryMatchedBatch without starting a benchmark.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
