/**
 * Whole-search benchmark: the same space searched three ways, each mode one `bnas sweep` of the
 * space with the mode's `--set` overrides (bench/sweep/drive.ts), each trial in its own process so
 * its peak memory is its own:
 *   bnas      this method: binary, K = 4, performance pruning (the space as written)
 *   pc-darts  binary, K = 4, no pruning
 *   darts     binary, K = 1, no pruning
 * Records per trial, from the sweep's records: the search's wall time and CPU time (user + system
 * of every thread: robust when other processes share the cores; process start-up and data loading
 * excluded, they are the same in every mode), the process's peak RSS, the supernet's validation
 * accuracy and, with `--evaluate`, the derived cell's test accuracy after training it from scratch;
 * from each trial's run folder the multiply-adds of its search and per epoch the seconds of the
 * training steps, validation and pruning, with the ops left; and the ratios of the modes' means.
 * A repeat is a seed: `--repeats N` sweeps seeds `train.seed` … `train.seed + N − 1` in every mode.
 * Each mode runs with every thread count of `--threads` (default 1,2).
 * Usage: npx tsx bench/search/run.ts [--space FILE] [--set key=value]... [--evaluate EPOCHS] [--repeats N] [--threads 1,2]
 *          [--modes bnas,pc-darts,darts] [--batch-rule same|memory] [--name NAME]
 *          [--parallel N] [--executor local|slurm] [--slurm-args "..."] [--sweeps DIR]
 * `--parallel N` runs N trials of a sweep side by side (default 1: the CPU times stay those of a
 * search alone on the machine); `--sweeps DIR` keeps the sweep folders there (default: a temporary
 * folder, removed at the end), and running the same command again continues them.
 * `--batch-rule` sets DARTS mode's batch: `same` (default) the space's batch in every mode, a
 * comparison of compute per image; `memory` the papers' protocol (PC-DARTS: "thanks to the reduced
 * memory cost, PC-DARTS can be trained with a larger batch size": 256 against DARTS's 64): DARTS
 * mode gets the largest batch whose estimated supernet memory fits in PC-DARTS mode's at the
 * space's batch, with the weights' learning rate scaled by the same factor (0.1 at 256 against
 * 0.025 at 64 in the papers). An epoch sees the same images either way, in more, smaller steps.
 * `--set` (repeatable) changes one setting of the space as `bnas sweep --set` does (bench/space-args.ts).
 * Writes bench/search/NAME.json and bench/search/NAME.md (NAME defaults to `results`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { estimateSupernetMemory, loadSearchSpace, searchMacs, totalMacs } from '../../runtime/dsl/index.js';
import { loadBenchSpace, setsIn } from '../space-args.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { Setting } from '../../runtime/sweep/overrides.js';
import { executionOf, finishedTrials, seedRange, setArgs, sweep } from '../sweep/drive.js';
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

/**
 * The `--set` overrides of a mode on the benchmark space (none for this method): pruning off, no
 * cap on parameter-free ops or inner edges at derivation, and for DARTS mode K = 1 (under the memory rule also DARTS mode's batch, with the weights' learning
 * rate scaled by the same factor).
 */
export function modeSettings(space: SearchSpace, mode: Mode, rule: BatchRule = 'same'): Setting[] {
  if (mode === 'bnas') return [];
  // The baselines derive as their papers do: no cap on parameter-free ops or inner edges (caps of the cell's edge count).
  const uncapped = String(2 * space.supernet.nodes);
  const none = [
    { key: 'pruning.criterion', value: 'none' },
    { key: 'derive.max_param_free', value: uncapped },
    { key: 'derive.max_inner_edges', value: uncapped },
  ];
  if (mode === 'pc-darts') return none;
  const out = [...none, { key: 'sampling.k', value: '1' }];
  const batch = rule === 'memory' ? memoryMatchedBatch(space) : space.train.batch;
  if (batch !== space.train.batch) {
    const lr = (space.optimizers.weights.lr * batch) / space.train.batch;
    out.push({ key: 'train.batch', value: String(batch) }, { key: 'optimizer.weights.lr', value: String(Number(lr.toPrecision(12))) });
  }
  return out;
}

/** The per-mode means the ratios are taken of. */
export interface ModeSummary {
  readonly macs: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
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
  readonly seed: number;
  readonly epochs: EpochTime[];
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly pruneSeconds: number;
  readonly peakRssMb: number;
  readonly validAcc: number;
  readonly genotype: unknown;
  readonly evalAccuracy?: number;
  /** Multiply-adds of the whole search by bench/search/macs.ts (this run's pruning decisions). */
  readonly macs: number;
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

/** The trials of one mode's sweep as measurements: the sweep's records, the run folders' events. */
function measured(dir: string, mode: Mode, threads: number, seeds: readonly number[], s: ReturnType<typeof sweep>): Measured[] {
  return finishedTrials(s, seeds).map((t) => {
    const run = join(dir, t.run);
    const { space } = loadSearchSpace(readFileSync(join(dir, t.space), 'utf8'));
    if (!space) throw new Error(`${join(dir, t.space)} does not validate`);
    const events = readFileSync(join(run, 'events.jsonl'), 'utf8');
    const metrics = JSON.parse(readFileSync(join(run, 'result.json'), 'utf8')).metrics as { prune_seconds: number };
    const r = t.result;
    if (r.cpu_seconds === undefined || r.peak_rss_mb === undefined) throw new Error(`${run}: the search recorded no CPU seconds (an older bnas?)`);
    return {
      mode, threads, seed: t.seed, epochs: epochTimes(events), wallSeconds: r.search_seconds, cpuSeconds: r.cpu_seconds, pruneSeconds: metrics.prune_seconds,
      peakRssMb: r.peak_rss_mb, validAcc: r.valid_acc, genotype: r.genotype, evalAccuracy: t.evaluation?.accuracy,
      macs: totalMacs(searchMacs(space, prunedEvents(space, events, `the ${mode} run of seed ${t.seed}`))),
    };
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
  // The space as searched (the file with its --set settings), written once for every sweep.
  const bench = loadBenchSpace(opt('space', 'bench/search/space.bnas'), setsIn(argv));
  const evalEpochs = Number(opt('evaluate', '0'));
  const repeats = Number(opt('repeats', '1'));
  const threadList = opt('threads', '1,2').split(',').map(Number);
  const modes = opt('modes', MODES.join(',')).split(',') as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`--modes: unknown '${m}'; allowed: ${MODES.join(', ')}`);
  const name = opt('name', 'results');
  const rule = opt('batch-rule', 'same') as BatchRule;
  if (rule !== 'same' && rule !== 'memory') throw new Error(`--batch-rule must be same or memory, got ${rule}`);
  const benchSpace = bench.space;
  const seeds = Array.from({ length: repeats }, (_, i) => benchSpace.train.seed + i);
  const keep = argv.includes('--sweeps');
  if (executionOf(argv, { backend: 'wasm', threads: 1 }).executor === 'slurm' && !keep) throw new Error('--executor slurm needs --sweeps DIR on a file system the compute nodes share');
  const root = keep ? resolve(opt('sweeps', '')) : mkdtempSync(join(tmpdir(), 'bnas-bench-'));
  mkdirSync(root, { recursive: true });
  const spaceFile = join(root, 'space.bnas');
  writeFileSync(spaceFile, bench.text);
  const runs: Measured[] = [];
  const modeSpaces = new Map<Mode, SearchSpace>();
  try {
    for (const threads of threadList) {
      const x = executionOf(argv, { backend: 'wasm', threads: 1, parallel: 1 });
      for (const mode of modes) {
        const dir = join(root, `${mode}-x${threads}`);
        const evaluate = evalEpochs > 0 ? ['--evaluate', '--epochs', String(evalEpochs)] : [];
        const s = sweep(spaceFile, dir, ['--seeds', seedRange(seeds[0], repeats), ...setArgs(modeSettings(benchSpace, mode, rule)), ...evaluate], { ...x, threads });
        const ms = measured(dir, mode, threads, seeds, s);
        modeSpaces.set(mode, loadSearchSpace(readFileSync(join(dir, finishedTrials(s, seeds)[0].space), 'utf8')).space!);
        runs.push(...ms);
        for (const m of ms) {
          console.log(`${mode} ×${threads} seed ${m.seed}: wall ${m.wallSeconds.toFixed(1)} s, cpu ${m.cpuSeconds.toFixed(1)} s (pruning ${m.pruneSeconds.toFixed(1)} s wall), peak ${m.peakRssMb.toFixed(0)} MB, valid acc ${(100 * m.validAcc).toFixed(1)}%` + (m.evalAccuracy !== undefined ? `, derived cell test acc ${(100 * m.evalAccuracy).toFixed(1)}%` : ''));
        }
      }
    }
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
  const x = executionOf(argv, { backend: 'wasm', threads: 1, parallel: 1 });
  const of = (mode: Mode, threads: number) => runs.filter((r) => r.mode === mode && r.threads === threads);
  const mean = (xs: readonly Measured[], f: (m: Measured) => number) => xs.map(f).reduce((a, b) => a + b, 0) / xs.length;
  const key = (mode: Mode, threads: number) => `${mode} x${threads}`;
  const summary: Record<string, { macs: number; wallSeconds: number; cpuSeconds: number; pruneSeconds: number; peakRssMb: number; validAcc: number; evalAccuracy?: number }> = {};
  for (const threads of threadList) {
    for (const m of modes) {
      const xs = of(m, threads);
      summary[key(m, threads)] = {
        macs: mean(xs, (r) => r.macs), wallSeconds: mean(xs, (r) => r.wallSeconds), cpuSeconds: mean(xs, (r) => r.cpuSeconds), pruneSeconds: mean(xs, (r) => r.pruneSeconds),
        peakRssMb: mean(xs, (r) => r.peakRssMb), validAcc: mean(xs, (r) => r.validAcc), evalAccuracy: evalEpochs > 0 ? mean(xs, (r) => r.evalAccuracy ?? NaN) : undefined,
      };
    }
  }
  const ratios = Object.fromEntries(threadList.map((t) => [`x${t}`, modeRatios((m) => summary[key(m, t)], modes)]));
  const speedup = threadList.length > 1 ? Object.fromEntries(modes.map((m) => [m, summary[key(m, threadList[0])].wallSeconds / summary[key(m, threadList[threadList.length - 1])].wallSeconds])) : {};
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const batches = Object.fromEntries(modes.map((m) => [m, modeSpaces.get(m)!.train.batch]));
  const estimatedMb = Object.fromEntries(modes.map((m) => [m, estimateSupernetMemory(modeSpaces.get(m)!).totalMb]));
  const record = {
    date: new Date().toISOString(), space: bench.label, backend: x.backend, repeats, seeds, evalEpochs, batchRule: rule, batches, estimatedMb, threads: threadList,
    parallel: x.parallel, executor: x.executor, loadavg: load, runs, summary, ratios, wallSpeedup: speedup,
  };
  writeFileSync(`bench/search/${name}.json`, JSON.stringify(record, null, 2) + '\n');
  const pct = (v: number | undefined) => (v === undefined ? '—' : `×${v.toFixed(2)} (${(100 * (1 - v)).toFixed(0)} % less)`);
  const times = (v: number | undefined) => (v === undefined ? '—' : `×${v.toFixed(2)} (${(1 / v).toFixed(2)}× less)`);
  const md = [
    `# Search benchmark results (${record.date.slice(0, 16)}Z, ${x.backend}, load average at the end ${load})`,
    '',
    `Space \`${bench.label}\`, seeds ${seeds.join(', ')} (one \`bnas sweep\` per mode and thread count, ${x.parallel ?? 'the default number of'} trial(s) at a time, ${x.executor} executor); CPU s counts every thread of the search's process.`,
    '',
    `Batch rule \`${rule}\`: batch ${modes.map((m) => `${m} ${batches[m]}`).join(', ')}; estimated supernet memory (MB, before pruning) ${modes.map((m) => `${m} ${estimatedMb[m].toFixed(0)}`).join(', ')}.`,
    '',
    `| mode | threads | wall s | CPU s | pruning s (wall) | peak RSS MB | supernet valid acc |${evalEpochs > 0 ? ` derived cell test acc (${evalEpochs} epochs) |` : ''}`,
    `|---|---|---|---|---|---|---|${evalEpochs > 0 ? '---|' : ''}`,
    ...threadList.flatMap((t) => modes.map((m) => {
      const s = summary[key(m, t)];
      return `| ${m} | ${t} | ${s.wallSeconds.toFixed(1)} | ${s.cpuSeconds.toFixed(1)} | ${s.pruneSeconds.toFixed(1)} | ${s.peakRssMb.toFixed(0)} | ${(100 * s.validAcc).toFixed(1)} % |${s.evalAccuracy !== undefined ? ` ${(100 * s.evalAccuracy).toFixed(1)} % |` : ''}`;
    })),
    '',
    ...threadList.flatMap((t) => [
      `${t} thread(s): this method vs PC-DARTS mode: CPU ${pct(ratios[`x${t}`].cpuVsPcDarts)}, wall ${pct(ratios[`x${t}`].wallVsPcDarts)}; ` +
        `vs DARTS mode: CPU ${times(ratios[`x${t}`].cpuVsDarts)}, wall ${times(ratios[`x${t}`].wallVsDarts)}.`,
      '',
      `Multiply-adds of the whole search (\`bench/search/macs.ts\`, these runs' pruning decisions; what an engine whose time were proportional to its arithmetic would measure): ` +
        `${modes.map((m) => `${m} ${(summary[key(m, t)].macs / 1e9).toFixed(1)} G`).join(', ')}; this method vs PC-DARTS mode ${pct(ratios[`x${t}`].macsVsPcDarts)}, vs DARTS mode ${times(ratios[`x${t}`].macsVsDarts)}.`,
      '',
    ]),
    ...(threadList.length > 1
      ? [`Speed-up of ${threadList.at(-1)} threads over ${threadList[0]}, wall: ${modes.map((m) => `${m} ×${speedup[m].toFixed(2)}`).join(', ')}.`, '']
      : []),
    '## Per trial',
    '',
    '| mode | threads | seed | wall s | CPU s | peak RSS MB |',
    '|---|---|---|---|---|---|',
    ...runs.map((r) => `| ${r.mode} | ${r.threads} | ${r.seed} | ${r.wallSeconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} | ${r.peakRssMb.toFixed(0)} |`),
    '',
    '## Per epoch (first seed; seconds of wall time)',
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

// Run only as a script: tests and tools import modeSettings / memoryMatchedBatch without starting a benchmark.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
