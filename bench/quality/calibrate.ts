/**
 * Calibration of the evaluation protocol (docs/method.md, "Evaluating a cell"): before a protocol
 * judges any search, it must tell a known-bad cell from known-good ones. Controls, all trained
 * from scratch as binary networks under the same protocol (trainGenotype) with several seeds:
 *  - `param-free`: DARTS_V2's wiring with every op replaced by max pool, avg pool or skip-connect
 *    (in turn), the collapsed cell a search must not return;
 *  - `darts-v2` and `bnas-xnor-1`: the published conv-rich cells, adapted to the space's ops.
 * The protocol separates them when the weaker conv-rich mean beats the parameter-free mean by at
 * least 3× the largest seed standard deviation (and by a Welch test).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/calibrate.ts
 *   [--space bench/quality/fashion-mnist.bnas] [--set key=value]... [--image N] [--train N] [--test N] [--epochs N]
 *   [--cells N] [--channels N] [--batch N] [--keep-real stem,preprocess,classifier] [--shortcut] [--seeds N]
 *   [--first-seed N] [--controls param-free,darts-v2,bnas-xnor-1] [--backend wasm|node|auto] [--out FILE.json]
 * Pooling records of one protocol made by separate processes (seeds split with `--first-seed`):
 *   … calibrate.ts --combine A.json,B.json[,…] --out FILE.json
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../runtime/engine/index.js';
import type { BackendChoice } from '../../runtime/protocol/backend-choice.js';
import { loadDataset } from '../../runtime/data/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { Genotype, GenotypeEdge } from '../../runtime/protocol/genotype.js';
import { adaptGenotype, trainGenotype } from '../../runtime/search/evaluate.js';
import { writeRecord } from '../record.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';
import { stat, welch, type Stat } from './report.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('bench/quality/fashion-mnist.bnas'),
    image: { type: 'string' },
    train: { type: 'string' },
    test: { type: 'string' },
    epochs: { type: 'string', default: '6' },
    cells: { type: 'string' },
    channels: { type: 'string' },
    batch: { type: 'string' },
    'keep-real': { type: 'string' },
    shortcut: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '3' },
    'first-seed': { type: 'string', default: '1' },
    combine: { type: 'string' },
    controls: { type: 'string', default: 'param-free,darts-v2,bnas-xnor-1' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
  },
});

const REF_DIR = 'bench/search/reference-cells';
const FREE_OPS = ['max_pool_3x3', 'avg_pool_3x3', 'skip_connect'];

/** DARTS_V2's wiring with parameter-free ops only: the collapsed control. */
function paramFreeCell(ref: Genotype): Genotype {
  const strip = (cell: readonly GenotypeEdge[]): GenotypeEdge[] => cell.map(([, from], i) => [FREE_OPS[i % FREE_OPS.length], from]);
  return { ...ref, normal: strip(ref.normal), reduce: strip(ref.reduce) };
}

function protocolSpace(space: SearchSpace): SearchSpace {
  const int = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const keepReal = values['keep-real'] === undefined ? space.binarize.keepReal : (values['keep-real'].split(',').filter(Boolean) as SearchSpace['binarize']['keepReal']);
  return {
    ...space,
    data: { ...space.data, image: int(values.image, space.data.image ?? 0) || space.data.image, train: int(values.train, space.data.train), test: int(values.test, space.data.test) },
    supernet: { ...space.supernet, cells: int(values.cells, space.supernet.cells), channels: int(values.channels, space.supernet.channels) },
    binarize: { ...space.binarize, keepReal, shortcut: values.shortcut || space.binarize.shortcut },
    train: { ...space.train, batch: int(values.batch, space.train.batch) },
  };
}

async function calibrate(): Promise<void> {
  const file = values.space as string;
  const { space: parsed, label } = loadBenchSpace(file, values.set);
  const space = protocolSpace(parsed);
  if (space.supernet.reductions.some((r) => r >= space.supernet.cells)) {
    // Reductions at a third and two thirds of the depth, as DARTS places them.
    const c = space.supernet.cells;
    Object.assign(space, { supernet: { ...space.supernet, reductions: c >= 3 ? [Math.floor(c / 3), Math.floor((2 * c) / 3)] : [Math.floor(c / 2)] } });
  }
  const epochs = Number(values.epochs);
  const seeds = Number(values.seeds);
  // Seed s (1-based) initialises with 1000 + s − 1, so a run of seeds 2–3 continues a run of seed 1.
  const firstSeed = Number(values['first-seed']);
  const backend = await initBackend(values.backend as BackendChoice);
  const dataset = await loadDataset(space.data, { seed: 1 });
  const darts = JSON.parse(readFileSync(join(REF_DIR, 'darts-v2.json'), 'utf8')) as Genotype;
  const controls: Record<string, Genotype> = {
    'param-free': paramFreeCell(darts),
    'darts-v2': adaptGenotype(darts, space).genotype,
    'bnas-xnor-1': adaptGenotype(JSON.parse(readFileSync(join(REF_DIR, 'bnas-xnor-1.json'), 'utf8')) as Genotype, space).genotype,
  };
  const names = (values.controls as string).split(',');
  const protocol = {
    dataset: dataset.description,
    train: space.data.train,
    test: space.data.test,
    epochs,
    cells: space.supernet.cells,
    reductions: space.supernet.reductions,
    channels: space.supernet.channels,
    batch: space.train.batch,
    keepReal: space.binarize.keepReal,
    shortcut: space.binarize.shortcut ?? false,
    backend: backend.name,
    // Only where `--set` changed something, so records made before the option still pool.
    ...(values.set?.length ? { settings: label, weights: space.optimizers.weights } : {}),
  };
  process.stderr.write(`calibrating ${JSON.stringify(protocol)}\n`);

  const accuracies: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const seconds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  // Seed by seed, the controls in turn: a slow phase of a shared machine hits every control.
  for (let s = firstSeed - 1; s < firstSeed - 1 + seeds; s++) {
    for (const name of names) {
      const r = await trainGenotype(space, controls[name], dataset, { epochs, seed: 1000 + s });
      accuracies[name].push(r.accuracy);
      seconds[name].push(r.seconds);
      process.stderr.write(`  seed ${s + 1} ${name}: ${(100 * r.accuracy).toFixed(1)} % (${r.parameters} weights, ${r.seconds.toFixed(0)} s)\n`);
    }
  }
  report({ protocol, seeds, firstSeed, accuracies, seconds }, names, backend.name);
}

/** The per-seed accuracies of one protocol, as a run of this script records them. */
interface Part {
  readonly protocol: object;
  readonly seeds: number;
  readonly firstSeed?: number;
  readonly accuracies: Record<string, number[]>;
  readonly seconds: Record<string, number[]>;
}

/** Pools records of the same protocol (seeds run in separate processes) into one verdict. */
function combine(files: readonly string[]): void {
  const parts = files.map((f) => ({ file: f, ...(JSON.parse(readFileSync(f, 'utf8')) as Part & { provenance?: unknown }) })).sort((a, b) => (a.firstSeed ?? 1) - (b.firstSeed ?? 1));
  const protocol = parts[0].protocol;
  for (const p of parts) if (JSON.stringify(p.protocol) !== JSON.stringify(protocol)) throw new Error(`${p.file}: another protocol than ${parts[0].file}'s`);
  const names = Object.keys(parts[0].accuracies);
  const pool = (key: 'accuracies' | 'seconds') => Object.fromEntries(names.map((n) => [n, parts.flatMap((p) => p[key][n] ?? [])]));
  const seeds = parts.reduce((a, p) => a + p.seeds, 0);
  report({ protocol, seeds, firstSeed: parts[0].firstSeed ?? 1, accuracies: pool('accuracies'), seconds: pool('seconds'), parts: parts.map((p) => ({ file: p.file, firstSeed: p.firstSeed ?? 1, seeds: p.seeds, provenance: p.provenance })) }, names);
}

/** The verdict (the bar of the file comment), printed and written to `--out`. */
function report(run: Part & { parts?: object[] }, names: readonly string[], backendName?: string): void {
  const { accuracies } = run;
  const stats: Record<string, Stat> = Object.fromEntries(names.map((n) => [n, stat(accuracies[n])]));
  const good = names.filter((n) => n !== 'param-free');
  const bad = stats['param-free'];
  const weakest = good.map((n) => ({ n, s: stats[n] })).sort((a, b) => a.s.mean - b.s.mean)[0];
  const spread = Math.max(...names.map((n) => stats[n].std));
  const margin = weakest && bad ? weakest.s.mean - bad.mean : NaN;
  const test = weakest && bad ? welch(weakest.s, bad) : undefined;
  const separates = margin >= 3 * spread && (test?.p ?? 1) < 0.05;
  const pct = (x: number) => `${(100 * x).toFixed(1)}`;
  for (const n of names) process.stderr.write(`${n}: ${pct(stats[n].mean)} ± ${pct(stats[n].std)} % (n = ${stats[n].n})\n`);
  process.stderr.write(
    `margin of the weaker conv-rich cell (${weakest?.n}) over param-free: ${pct(margin)} points = ${(margin / spread).toFixed(1)} × the largest seed std; ` +
      `Welch p = ${test?.p.toPrecision(2)}; ${separates ? 'SEPARATES' : 'does NOT separate'} (needs ≥ 3× and p < 0.05)\n`,
  );
  const record = {
    command: `node --require ./scripts/polyfills.cjs --import tsx bench/quality/calibrate.ts ${process.argv.slice(2).join(' ')}`.trim(),
    ...run,
    stats,
    margin,
    spread,
    welch: test,
    separates,
  };
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeRecord(values.out, record, backendName ? { backend: backendName } : {});
  }
}

if (values.combine) combine(values.combine.split(','));
else await calibrate();
