/**
 * Quality evaluation: does the search find binary cells better than random ones, and what
 * does each search mode buy for its time?
 *
 * For each dataset (the synthetic set and Fashion-MNIST, spaces in this folder), one `bnas sweep`
 * per search mode (bench/sweep/drive.ts), the mode as `--set` overrides of the space — bnas (the
 * space as written: K = 4, performance pruning), pc-darts (`pruning.criterion = none`), darts
 * (also `sampling.k = 1`) — with seeds per mode from budget.ts (fewer for DARTS mode on
 * Fashion-MNIST):
 *  1. each trial searches and its derived cell is trained from scratch under ONE protocol
 *     (`--evaluate --protocol P.bnas`: the dataset's space with the evaluation's training images,
 *     or `--protocol FILE`; same epochs, batch and optimizer; each seed's data sample and
 *     initialisation), all binary; this method's sweep also trains `--random N` random cells of
 *     the space with each seed's evaluation and its derived cells again with real weights and
 *     activations (`--float`): the binary-vs-float gap of the same cells;
 *  2. the reference cells (adapted to the space's ops, `bnas evaluate --adapt`) are trained under
 *     the same protocol with the first seed, binary and, per budget, real-valued.
 * Trials run `--parallel N` at a time (default 1), locally or on Slurm (`--executor slurm`,
 * `--slurm-args`, with `--sweeps DIR` on a shared file system), on wasm unless `--backend B`.
 *
 * Usage: npx tsx bench/quality/run.ts [--quick] [--datasets synthetic,fashion-mnist]
 *          [--seeds N] [--random N] [--eval-epochs N] [--eval-train N] [--mode-seeds pc-darts=N,darts=N]
 *          [--first-seed N] [--threads N] [--schedule file|defaults|long] [--protocol P.bnas]
 *          [--references all|none|NAME,...] [--parallel N] [--executor local|slurm] [--slurm-args "..."]
 *          [--backend B] [--sweeps DIR] [--out DIR] [--keep-others]
 *        npx tsx bench/quality/run.ts --render DIR/quality.json   (re-write tables and plots)
 * Writes DIR/quality[-quick].json, .md and one SVG plot per dataset (DIR = bench/quality/results).
 * `--sweeps DIR` keeps the sweep folders there (default: a temporary folder, removed at the end);
 * running the same command again continues them.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { FASHION_MNIST_CLASSES, SYNTHETIC_CLASSES } from '../../runtime/data/index.js';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { Genotype } from '../../runtime/protocol/genotype.js';
import { applySettings, type Setting } from '../../runtime/sweep/overrides.js';
import { modeSettings } from '../search/run.js';
import { bnasJson, executionOf, finishedTrials, pool, seedRange, setArgs, sweep, type SweepExecution } from '../sweep/drive.js';
import { DATASETS, FULL, MODES, QUICK, seedsOf, type Budget, type Mode } from './budget.js';
import { accuracyTimeSvg, groupTable, modeTable, stat, welch, type GroupRow, type ModePoint, type Stat } from './report.js';

/**
 * `--schedule defaults`: the language's default schedule (docs/language.md: `epochs` 8,
 * `warmup` 2, pruning `start` 1, `every` 1, `drop` 1) instead of the file's, in every mode. The
 * search-cost benchmark measures that schedule (bench/search/space-paper-defaults.bnas); this
 * checks its cells' accuracy. `--schedule long`: the same for 16 epochs.
 */
type Schedule = 'file' | 'defaults' | 'long';

/** The `--set` overrides of every mode's search: the schedule, then the budget's data and epochs. */
function searchSettings(schedule: Schedule, b: Budget): Setting[] {
  const set = new Map<string, string>();
  if (schedule !== 'file') {
    // `long`: the default schedule searched for 16 epochs (bench/search/space-paper-defaults.bnas with train.epochs = 16): the
    // rounds end as early, the one-op supernet trains on.
    for (const [k, v] of [['train.epochs', schedule === 'long' ? 16 : 8], ['train.warmup', 2], ['pruning.start', 1], ['pruning.every', 1], ['pruning.drop', 1]] as const) set.set(k, String(v));
  }
  if (b.train !== undefined) set.set('data.train', String(b.train));
  if (b.test !== undefined) set.set('data.test', String(b.test));
  if (b.searchEpochs !== undefined) set.set('train.epochs', String(b.searchEpochs));
  return [...set].map(([key, value]) => ({ key, value }));
}

interface SearchRecord {
  readonly mode: Mode;
  readonly seed: number;
  readonly searchSeconds: number;
  readonly cpuSeconds: number;
  readonly validAcc: number;
  readonly genotype: Genotype;
  /** Supernet parameters and the derived cells' parameter-free share (sweep records only). */
  readonly parameters?: number;
  readonly paramFreeShare?: number;
  /** Older records: pruning seconds of the search. */
  readonly pruneSeconds?: number;
  testAcc?: number;
  floatAcc?: number;
}

interface CellRecord {
  readonly name: string;
  /** Older records: the cell trained (random cells of sweep records are reproduced from their seed). */
  readonly genotype?: Genotype;
  readonly testAcc: number;
  floatAcc?: number;
  readonly substitutions?: readonly string[];
}

const log = (s: string) => process.stderr.write(s + '\n');
const fmt = (x: number) => `${(100 * x).toFixed(1)}%`;

/** What every dataset's run shares. */
interface RunContext {
  readonly schedule: Schedule;
  readonly root: string;
  readonly x: SweepExecution;
  /** `--protocol`, or undefined: the dataset's space with the evaluation's training images. */
  readonly protocol?: string;
  /** Reference cells to train (file names without `.json`); undefined: all. */
  readonly references?: readonly string[];
}

const REF_DIR = 'bench/search/reference-cells';

async function evaluateDataset(name: (typeof DATASETS)[number], budget: Budget, ctx: RunContext) {
  const file = resolve(`bench/quality/${name}.bnas`);
  const text = readFileSync(file, 'utf8');
  const settings = searchSettings(ctx.schedule, budget);
  // The space this method searches (the other modes add their overrides to it).
  const space = applySettings(text, settings, file).space;
  // The from-scratch protocol may train on more images than the search saw: the same seeded
  // subset grows (the search's images are its first ones) and the test images are the same.
  const evalTrain = budget.evalTrain ?? space.data.train;
  let protocolFile = ctx.protocol;
  if (!protocolFile) {
    protocolFile = join(ctx.root, `${name}-protocol.bnas`);
    const data = settings.filter((s) => s.key.startsWith('data.') && s.key !== 'data.train');
    writeFileSync(protocolFile, applySettings(text, [...data, { key: 'data.train', value: String(evalTrain) }], file).text);
  }
  const protocol = loadSearchSpace(readFileSync(protocolFile, 'utf8'), { filePath: protocolFile }).space as SearchSpace;
  const classes = protocol.data.source === 'fashion-mnist' ? FASHION_MNIST_CLASSES.length : protocol.data.source === 'synthetic' ? SYNTHETIC_CLASSES.length : undefined;
  const description = `${protocol.data.source}${classes ? `, ${classes} classes` : ''}, ${protocol.data.image}×${protocol.data.image}`;
  log(`== ${name}: ${description}; search on ${space.data.train} train images (${space.train.epochs} epochs), evaluation on ${protocol.data.train} (${budget.evalEpochs} epochs), ${protocol.data.test} test`);
  const t0 = performance.now();
  const first = budget.firstSearchSeed ?? space.train.seed;

  const searches: SearchRecord[] = [];
  const random: CellRecord[] = [];
  const sweeps: Partial<Record<Mode, string>> = {};
  for (const mode of MODES) {
    const n = seedsOf(budget, mode);
    if (n === 0) continue;
    const seeds = Array.from({ length: n }, (_, i) => first + i);
    const dir = join(ctx.root, `${name}-${mode}`);
    sweeps[mode] = dir;
    // This method's sweep also trains the random cells and the real-valued cells.
    const extra = mode === 'bnas' ? ['--float', ...(budget.random > 0 ? ['--random', String(budget.random)] : [])] : [];
    const s = sweep(file, dir, [
      '--seeds', seedRange(first, n), ...setArgs([...settings, ...modeSettings(space, mode)]),
      '--evaluate', '--protocol', protocolFile, '--epochs', String(budget.evalEpochs), ...extra,
    ], ctx.x);
    for (const t of finishedTrials(s, seeds)) {
      const r = t.result;
      if (r.cpu_seconds === undefined || !t.evaluation) throw new Error(`${dir}: trial ${t.id} has no CPU seconds or no evaluation`);
      const rec: SearchRecord = {
        mode, seed: t.seed, searchSeconds: r.search_seconds, cpuSeconds: r.cpu_seconds, validAcc: r.valid_acc, genotype: r.genotype,
        parameters: r.parameters, paramFreeShare: r.param_free_share, testAcc: t.evaluation.accuracy, ...(t.evaluation.float !== undefined && { floatAcc: t.evaluation.float }),
      };
      searches.push(rec);
      log(`  ${mode} seed ${t.seed}: search ${rec.searchSeconds.toFixed(1)} s (${rec.cpuSeconds.toFixed(1)} CPU s), supernet valid acc ${fmt(rec.validAcc)}, derived cell test ${fmt(rec.testAcc!)}${rec.floatAcc !== undefined ? `, float ${fmt(rec.floatAcc)}` : ''}`);
      t.evaluation.random.forEach((acc, i) => random.push({ name: `random ${i + 1} of seed ${t.seed}`, testAcc: acc }));
    }
  }
  for (const r of random) log(`  ${r.name}: test ${fmt(r.testAcc)}`);

  const refFiles = readdirSync(REF_DIR).filter((f) => f.endsWith('.json') && (!ctx.references || ctx.references.includes(basename(f, '.json')))).sort();
  const references: CellRecord[] = await pool(refFiles.map((f) => async () => {
    const j = await bnasJson(['evaluate', join(REF_DIR, f), '--data', protocolFile, '--adapt', '--seed', String(first), '--epochs', String(budget.evalEpochs),
      '--backend', ctx.x.backend, '--threads', String(ctx.x.threads), ...(budget.refFloat ? ['--float'] : [])]);
    const subs = (j.substitutions as { cell: string; from: string; to: string }[] | undefined) ?? [];
    const rec: CellRecord = {
      name: basename(f, '.json'), testAcc: j.accuracy as number, ...(typeof j.float === 'number' && { floatAcc: j.float }),
      substitutions: subs.map((x) => `${x.cell}: ${x.from} → ${x.to}`),
    };
    log(`  reference ${rec.name}: test ${fmt(rec.testAcc)}${rec.floatAcc === undefined ? '' : `, float ${fmt(rec.floatAcc)}`}`);
    return rec;
  }), ctx.x.parallel ?? 1);

  const byMode = (m: Mode) => searches.filter((r) => r.mode === m);
  const modes: ModePoint[] = MODES.map((m) => ({
    mode: m,
    seconds: stat(byMode(m).map((r) => r.searchSeconds)),
    cpuSeconds: stat(byMode(m).map((r) => r.cpuSeconds)),
    accuracy: stat(byMode(m).map((r) => r.testAcc ?? NaN)),
  }));
  const bnas = byMode('bnas');
  const groups: GroupRow[] = [
    { group: 'searched (bnas, one cell per seed)', accuracies: bnas.map((r) => r.testAcc ?? NaN), float: bnas.map((r) => r.floatAcc ?? NaN) },
    { group: 'searched (PC-DARTS mode)', accuracies: byMode('pc-darts').map((r) => r.testAcc ?? NaN) },
    { group: 'searched (DARTS mode)', accuracies: byMode('darts').map((r) => r.testAcc ?? NaN) },
    { group: `random cells of the space`, accuracies: random.map((r) => r.testAcc) },
    ...references.map((r) => ({ group: `reference ${r.name}`, accuracies: [r.testAcc], ...(r.floatAcc === undefined ? {} : { float: [r.floatAcc] }), note: r.substitutions?.length ? `adapted: ${[...new Set(r.substitutions)].join(', ')}` : '' })),
  ];
  const searched = stat(bnas.map((r) => r.testAcc ?? NaN));
  const rand = stat(random.map((r) => r.testAcc));
  return {
    dataset: name, description, numClasses: classes, space: `bench/quality/${name}.bnas`, seconds: (performance.now() - t0) / 1000,
    budget, sweeps,
    protocol: {
      file: ctx.protocol ?? 'the space with the evaluation\'s training images', train: space.data.train, evalTrain: protocol.data.train, test: protocol.data.test,
      searchEpochs: space.train.epochs, evalEpochs: budget.evalEpochs, batch: protocol.train.batch, optimizer: protocol.optimizers.weights, referenceSeed: first,
    },
    searches, random, references, modes, groups,
    headline: { searched, random: rand, margin: searched.mean - rand.mean, seedNoise: searched.std, beatsRandomBeyondNoise: searched.mean - rand.mean > Math.max(searched.std, rand.std) },
  };
}

/** One dataset's results; `date` = when it was run (a record may keep an earlier dataset's run). */
/** Welch's t-test of searched vs random cells, for the markdown (a sentence). */
function welchLine(searched: Stat, random: Stat): string {
  const w = welch(searched, random);
  return Number.isFinite(w.p)
    ? `Welch's t-test, searched (n = ${searched.n}) vs random (n = ${random.n}): t = ${w.t.toFixed(2)}, df = ${w.df.toFixed(1)}, two-sided p = ${w.p.toFixed(3)}.`
    : 'Welch\'s t-test: not defined (a group has fewer than 2 cells or no spread).';
}

type DatasetResult = Awaited<ReturnType<typeof evaluateDataset>> & { readonly date?: string };

function markdown(record: QualityRecord): string {
  const { quick, date, loadavg } = record;
  const out = [
    `# Quality evaluation${quick ? ' (quick)' : ''} — ${date.slice(0, 16)}Z, ${record.backend}, ${record.threads === undefined ? 'search threads not recorded (the default then: 2)' : `${record.threads} search thread(s)`}${record.parallel ? `, ${record.parallel} trial(s) at a time (${record.executor ?? 'local'})` : ''}, load average at the end ${loadavg}`, '',
    `${record.seconds.toFixed(0)} s in all.`, '',
  ];
  for (const r of record.results) {
    const p = r.protocol;
    const h = r.headline;
    out.push(`## ${r.dataset} (${r.description})${r.date ? `, run ${r.date.slice(0, 16)}Z` : ''}`, '',
      `Protocol: ${r.sweeps ? 'one `bnas sweep` per mode with `--evaluate --protocol`; ' : ''}searches on ${p.train} train images for ${p.searchEpochs} epochs; every cell trained from scratch on ${p.evalTrain ?? p.train} train images for ${p.evalEpochs} epochs, batch ${p.batch}, ${p.optimizer.kind} lr ${p.optimizer.lr} (${p.optimizer.schedule}), ` +
        `${r.sweeps ? `each seed's evaluation with its own sample of training images and initialisation, the reference cells with seed ${p.referenceSeed}` : 'one init seed'}; test accuracy on ${p.test} held-out test images. ${r.seconds.toFixed(0)} s in all.`, '',
      groupTable(r.groups), '',
      modeTable(r.modes), '',
      // With --random 0 there is nothing to compare with (the margin is NaN, or null read back from JSON).
      h.random.n
        ? `Searched (bnas) − mean random: ${(100 * h.margin).toFixed(1)} points; seed noise (std of the searched cells) ${(100 * h.seedNoise).toFixed(1)} points → ${h.beatsRandomBeyondNoise ? '**better than random beyond the noise**' : '**not better than random beyond the noise**'}.`
        : 'No random cells in this run (`--random 0`): no comparison with random cells.', '',
      welchLine(h.searched, h.random), '',
      `![accuracy vs search time, ${r.dataset}](quality${quick ? '-quick' : ''}-${r.dataset}.svg)`, '');
  }
  return out.join('\n');
}

interface QualityRecord {
  readonly date: string;
  readonly quick: boolean;
  readonly backend: string;
  readonly loadavg: string;
  readonly seconds: number;
  /** Older records: one budget for every dataset (newer ones keep it per result). */
  readonly seeds?: number;
  readonly randomN?: number;
  readonly threads?: number;
  /** Sweep records: trials at once and the executor. */
  readonly parallel?: number;
  readonly executor?: string;
  readonly budget?: Budget;
  readonly results: DatasetResult[];
}

/** Writes the JSON record, the markdown tables and one SVG plot per dataset. */
function writeOutputs(record: QualityRecord, outDir: string): void {
  const stem = `quality${record.quick ? '-quick' : ''}`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${stem}.json`), JSON.stringify(record, null, 2) + '\n');
  for (const r of record.results) {
    // CPU time when recorded (robust on shared cores; older records have wall time only).
    const time = r.modes.every((m) => m.cpuSeconds) ? 'cpu' : 'wall';
    const svg = accuracyTimeSvg(`${r.dataset}: derived-cell accuracy vs search ${time === 'cpu' ? 'CPU' : 'wall'} time`, r.modes, time, r.numClasses ? 1 / r.numClasses : undefined);
    writeFileSync(join(outDir, `${stem}-${r.dataset}.svg`), svg);
  }
  const md = markdown(record);
  writeFileSync(join(outDir, `${stem}.md`), md);
  process.stdout.write(md);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
  if (argv.includes('--render')) {
    // Re-writes the tables and plots of a recorded run (e.g. after a change of the writers).
    const file = opt('render', '');
    writeOutputs(JSON.parse(readFileSync(file, 'utf8')) as QualityRecord, opt('out', dirname(file)));
    return;
  }
  const quick = argv.includes('--quick');
  const num = (name: string) => (argv.includes(`--${name}`) ? Number(opt(name, '')) : undefined);
  const modeSeeds = argv.includes('--mode-seeds')
    ? Object.fromEntries(opt('mode-seeds', '').split(',').map((kv) => {
      const [m, n] = kv.split('=');
      if (!MODES.includes(m as Mode) || !(Number(n) >= 0)) throw new Error(`--mode-seeds: '${kv}' is not MODE=N with MODE one of ${MODES.join(', ')}`);
      return [m, Number(n)];
    }))
    : undefined;
  const budgetOf = (n: (typeof DATASETS)[number]): Budget => {
    const base = quick ? QUICK : FULL[n];
    return {
      ...base,
      evalEpochs: num('eval-epochs') ?? base.evalEpochs, seeds: num('seeds') ?? base.seeds, random: num('random') ?? base.random,
      evalTrain: num('eval-train') ?? base.evalTrain, modeSeeds: modeSeeds ?? base.modeSeeds, firstSearchSeed: num('first-seed') ?? base.firstSearchSeed,
    };
  };
  // One search thread and one trial at a time by default: CPU time then measures each mode's work
  // alone, and the bench leaves the second core to others; --threads 2 measures the product's
  // default instead, --parallel N runs N trials side by side.
  const x = executionOf(argv, { backend: 'wasm', threads: 1, parallel: 1 });
  const schedule = opt('schedule', 'file') as Schedule;
  if (schedule !== 'file' && schedule !== 'defaults' && schedule !== 'long') throw new Error(`--schedule must be file, defaults or long, got ${schedule}`);
  const names = opt('datasets', DATASETS.join(',')).split(',') as (typeof DATASETS)[number][];
  for (const n of names) if (!DATASETS.includes(n)) throw new Error(`--datasets: unknown '${n}'; allowed: ${DATASETS.join(', ')}`);
  const refs = opt('references', 'all');
  const references = refs === 'all' ? undefined : refs === 'none' ? [] : refs.split(',');
  const known = readdirSync(REF_DIR).filter((f) => f.endsWith('.json')).map((f) => basename(f, '.json'));
  for (const r of references ?? []) if (!known.includes(r)) throw new Error(`--references: unknown '${r}'; allowed: all, none, ${known.join(', ')}`);
  const outDir = opt('out', 'bench/quality/results');
  const keep = argv.includes('--sweeps');
  if (x.executor === 'slurm' && !keep) throw new Error('--executor slurm needs --sweeps DIR on a file system the compute nodes share');
  const root = keep ? resolve(opt('sweeps', '')) : mkdtempSync(join(tmpdir(), 'bnas-quality-'));
  mkdirSync(root, { recursive: true });
  const ctx: RunContext = { schedule, root, x, references, ...(argv.includes('--protocol') && { protocol: resolve(opt('protocol', '')) }) };
  const t0 = performance.now();
  const results: DatasetResult[] = [];
  try {
    for (const n of names) results.push({ ...(await evaluateDataset(n, budgetOf(n), ctx)), date: new Date().toISOString() });
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
  // --keep-others: the datasets not run now keep their results from the record in --out.
  const recordFile = join(outDir, `quality${quick ? '-quick' : ''}.json`);
  const kept = argv.includes('--keep-others') && existsSync(recordFile)
    ? (JSON.parse(readFileSync(recordFile, 'utf8')) as QualityRecord).results.filter((r) => !names.includes(r.dataset as (typeof DATASETS)[number]))
    : [];
  const all = [...kept, ...results].sort((a, b) => DATASETS.indexOf(a.dataset as (typeof DATASETS)[number]) - DATASETS.indexOf(b.dataset as (typeof DATASETS)[number]));
  const date = new Date().toISOString();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const record: QualityRecord = { date, quick, backend: x.backend, loadavg: load, seconds: (performance.now() - t0) / 1000, threads: x.threads, parallel: x.parallel, executor: x.executor, results: all };
  writeOutputs(record, outDir);
  log(`quality evaluation: ${record.seconds.toFixed(0)} s`);
}

await main();
