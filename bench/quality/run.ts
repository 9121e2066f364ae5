/**
 * Quality evaluation: does the search find binary cells better than random ones, and what
 * does each search mode buy for its time?
 *
 * For each dataset (the synthetic set and Fashion-MNIST, spaces in this folder):
 *  1. search with 3 seeds in each mode (budget.ts: fewer for DARTS mode on Fashion-MNIST) — bnas
 *     (the space as written: K = 4, performance pruning), pc-darts (K = 4, no pruning), darts
 *     (K = 1, no pruning) — modes rotate within a seed so slow phases of a shared machine hit all;
 *  2. train under ONE protocol (`trainGenotype`: same data, epochs, batch, optimizer, init seed;
 *     possibly more training images than the search saw) every derived cell, 5 random cells of the
 *     space and the reference cells (adapted to the space's ops with `adaptGenotype`), all binary;
 *  3. train the bnas-derived (and, per budget, the reference) cells again with real weights and
 *     activations (`realValuedSpace`): the binary-vs-float gap of the same cells.
 * Everything runs in this one process, one job after the other (2 shared cores), on wasm.
 *
 * Usage: npx tsx bench/quality/run.ts [--quick] [--datasets synthetic,fashion-mnist]
 *          [--seeds N] [--random N] [--eval-epochs N] [--eval-train N] [--mode-seeds pc-darts=N,darts=N]
 *          [--first-seed N] [--threads N] [--schedule file|defaults|long] [--out DIR] [--keep-others]
 *        npx tsx bench/quality/run.ts --render DIR/quality.json   (re-write tables and plots)
 * Writes DIR/quality[-quick].json, .md and one SVG plot per dataset (DIR = bench/quality/results).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { Genotype } from '../../runtime/protocol/genotype.js';
import { modeSpace } from '../search/run.js';
import { DATASETS, FULL, MODES, QUICK, searchOrder, type Budget, type Mode } from './budget.js';
import { accuracyTimeSvg, groupTable, modeTable, stat, welch, type GroupRow, type ModePoint, type Stat } from './report.js';

/**
 * `--schedule defaults`: the language's default schedule (docs/language.md: `epochs` 8,
 * `warmup` 2, pruning `start` 1, `every` 1, `drop` 1) instead of the file's, in every mode. The
 * search-cost benchmark measures that schedule (bench/search/space-paper-defaults.bnas); this
 * checks its cells' accuracy. `--schedule long`: the same for 16 epochs.
 */
type Schedule = 'file' | 'defaults' | 'long';
let schedule: Schedule = 'file';
function scheduled(space: SearchSpace): SearchSpace {
  if (schedule === 'file') return space;
  // `long`: the default schedule searched for 16 epochs (bench/search/space-paper-long.bnas): the
  // rounds end as early, the one-op supernet trains on.
  return { ...space, train: { ...space.train, epochs: schedule === 'long' ? 16 : 8, warmup: 2 }, pruning: { ...space.pruning, start: 1, every: 1, drop: 1 } };
}

function budgeted(space: SearchSpace, b: Budget): SearchSpace {
  return {
    ...space,
    data: { ...space.data, train: b.train ?? space.data.train, test: b.test ?? space.data.test },
    train: { ...space.train, epochs: b.searchEpochs ?? space.train.epochs },
  };
}

interface SearchRecord {
  readonly mode: Mode;
  readonly seed: number;
  readonly searchSeconds: number;
  readonly cpuSeconds: number;
  readonly pruneSeconds: number;
  readonly validAcc: number;
  readonly genotype: Genotype;
  testAcc?: number;
  floatAcc?: number;
}

interface CellRecord {
  readonly name: string;
  readonly genotype: Genotype;
  readonly testAcc: number;
  floatAcc?: number;
  readonly substitutions?: readonly string[];
}

const log = (s: string) => process.stderr.write(s + '\n');
const fmt = (x: number) => `${(100 * x).toFixed(1)}%`;

async function evaluateDataset(name: (typeof DATASETS)[number], budget: Budget, threads: number, tmp: string) {
  const { loadDataset } = await import('../../runtime/data/index.js');
  const { runSearch } = await import('../../runtime/search/search.js');
  const { adaptGenotype, realValuedSpace, trainGenotype } = await import('../../runtime/search/evaluate.js');
  const { randomGenotype } = await import('../../runtime/supernet/discrete.js');
  const { Rng } = await import('../../runtime/search/rng.js');
  const file = `bench/quality/${name}.bnas`;
  const text = readFileSync(file, 'utf8');
  const loaded = loadSearchSpace(text, { filePath: file, checkFiles: true });
  if (!loaded.space) throw new Error(`${file} does not validate: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  const space = budgeted(scheduled(loaded.space), budget);
  // One dataset for every job: the searches and all trainings see the same images and splits.
  const dataSeed = space.train.seed;
  const dataset = await loadDataset(space.data, { seed: dataSeed });
  // The from-scratch protocol may train on more images than the search saw: the same seeded
  // subset grows (the search's images are its first ones) and the test images are the same.
  const evalTrain = budget.evalTrain ?? space.data.train;
  const evalSpace: SearchSpace = { ...space, data: { ...space.data, train: evalTrain } };
  const evalData = evalTrain === space.data.train ? dataset : await loadDataset(evalSpace.data, { seed: dataSeed });
  log(`== ${name}: ${dataset.description}; search on ${space.data.train} train images (${space.train.epochs} epochs), evaluation on ${evalTrain} (${budget.evalEpochs} epochs), ${space.data.test} test`);
  const t0 = performance.now();

  const searches: SearchRecord[] = [];
  for (const { mode, s } of searchOrder(budget)) {
    {
      const seed = (budget.firstSearchSeed ?? dataSeed) + s;
      const c0 = process.cpuUsage();
      const r = await runSearch({ space: modeSpace(space, mode), spaceText: text, outDir: join(tmp, `${name}-${mode}-${seed}`), seed, dataset, keepBackend: true, stepEventSeconds: 1e9, threads });
      const cpu = process.cpuUsage(c0);
      if (r.status !== 'finished' || !r.result) throw new Error(`${name} ${mode} seed ${seed}: ${r.status} ${r.message ?? ''}`);
      const rec: SearchRecord = {
        mode, seed, searchSeconds: r.result.metrics.search_seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
        pruneSeconds: r.result.metrics.prune_seconds, validAcc: r.result.metrics.valid_acc, genotype: r.result.genotype,
      };
      searches.push(rec);
      log(`  search ${mode} seed ${seed}: ${rec.searchSeconds.toFixed(1)} s, supernet valid acc ${fmt(rec.validAcc)}`);
    }
  }

  // One protocol for every cell: same epochs, batch, optimizer, data and initialisation seed.
  const initSeed = Rng.stream(dataSeed, 'eval').seed();
  const train = async (g: Genotype, s: SearchSpace = evalSpace) => (await trainGenotype(s, g, evalData, { epochs: budget.evalEpochs, seed: initSeed })).accuracy;
  for (const r of searches) {
    r.testAcc = await train(r.genotype);
    if (r.mode === 'bnas') r.floatAcc = await train(r.genotype, realValuedSpace(evalSpace));
    log(`  derived ${r.mode} seed ${r.seed}: test ${fmt(r.testAcc)}${r.floatAcc !== undefined ? `, float ${fmt(r.floatAcc)}` : ''}`);
  }
  const rng = Rng.stream(dataSeed, 'random-cells');
  const random: CellRecord[] = [];
  for (let i = 0; i < budget.random; i++) {
    const g = randomGenotype(space, rng);
    random.push({ name: `random ${i + 1}`, genotype: g, testAcc: await train(g) });
    log(`  random ${i + 1}: test ${fmt(random[i].testAcc)}`);
  }
  const refDir = 'bench/search/reference-cells';
  const references: CellRecord[] = [];
  for (const f of readdirSync(refDir).filter((x) => x.endsWith('.json')).sort()) {
    const a = adaptGenotype(JSON.parse(readFileSync(join(refDir, f), 'utf8')) as Genotype, space);
    const rec: CellRecord = {
      name: basename(f, '.json'), genotype: a.genotype, testAcc: await train(a.genotype),
      substitutions: a.substitutions.map((x) => `${x.cell}: ${x.from} → ${x.to}`),
    };
    if (budget.refFloat) rec.floatAcc = await train(a.genotype, realValuedSpace(evalSpace));
    references.push(rec);
    log(`  reference ${rec.name}: test ${fmt(rec.testAcc)}${rec.floatAcc === undefined ? '' : `, float ${fmt(rec.floatAcc)}`}`);
  }

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
    dataset: name, description: dataset.description, numClasses: dataset.numClasses, space: file, seconds: (performance.now() - t0) / 1000,
    budget,
    protocol: { train: space.data.train, evalTrain, test: space.data.test, searchEpochs: space.train.epochs, evalEpochs: budget.evalEpochs, batch: space.train.batch, optimizer: space.optimizers.weights, initSeed, dataSeed },
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
    `# Quality evaluation${quick ? ' (quick)' : ''} — ${date.slice(0, 16)}Z, wasm, ${record.threads === undefined ? 'search threads not recorded (the default then: 2)' : `${record.threads} search thread(s)`}, load average at the end ${loadavg}`, '',
    `${record.seconds.toFixed(0)} s in all.`, '',
  ];
  for (const r of record.results) {
    const p = r.protocol;
    const h = r.headline;
    out.push(`## ${r.dataset} (${r.description})${r.date ? `, run ${r.date.slice(0, 16)}Z` : ''}`, '',
      `Protocol: searches on ${p.train} train images for ${p.searchEpochs} epochs; every cell trained from scratch on ${p.evalTrain ?? p.train} train images for ${p.evalEpochs} epochs, batch ${p.batch}, ${p.optimizer.kind} lr ${p.optimizer.lr} (${p.optimizer.schedule}), one init seed; test accuracy on ${p.test} held-out test images. ${r.seconds.toFixed(0)} s in all.`, '',
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
  // One search thread by default: CPU time then measures each mode's work alone, and the bench
  // leaves the second core to others; --threads 2 measures the product's default instead.
  const threads = Number(opt('threads', '1'));
  schedule = opt('schedule', 'file') as Schedule;
  if (schedule !== 'file' && schedule !== 'defaults' && schedule !== 'long') throw new Error(`--schedule must be file, defaults or long, got ${schedule}`);
  const names = opt('datasets', DATASETS.join(',')).split(',') as (typeof DATASETS)[number][];
  for (const n of names) if (!DATASETS.includes(n)) throw new Error(`--datasets: unknown '${n}'; allowed: ${DATASETS.join(', ')}`);
  const outDir = opt('out', 'bench/quality/results');
  const { initBackend } = await import('../../runtime/engine/index.js');
  await initBackend('wasm');
  const tmp = mkdtempSync(join(tmpdir(), 'bnas-quality-'));
  const t0 = performance.now();
  const results: DatasetResult[] = [];
  try {
    for (const n of names) results.push({ ...(await evaluateDataset(n, budgetOf(n), threads, tmp)), date: new Date().toISOString() });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // --keep-others: the datasets not run now keep their results from the record in --out.
  const recordFile = join(outDir, `quality${quick ? '-quick' : ''}.json`);
  const kept = argv.includes('--keep-others') && existsSync(recordFile)
    ? (JSON.parse(readFileSync(recordFile, 'utf8')) as QualityRecord).results.filter((r) => !names.includes(r.dataset as (typeof DATASETS)[number]))
    : [];
  const all = [...kept, ...results].sort((x, y) => DATASETS.indexOf(x.dataset as (typeof DATASETS)[number]) - DATASETS.indexOf(y.dataset as (typeof DATASETS)[number]));
  const date = new Date().toISOString();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const record: QualityRecord = { date, quick, backend: 'wasm', loadavg: load, seconds: (performance.now() - t0) / 1000, threads, results: all };
  writeOutputs(record, outDir);
  log(`quality evaluation: ${record.seconds.toFixed(0)} s`);
}

await main();
