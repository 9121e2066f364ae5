/**
 * The headline manifest: every headline number of the project, the record (JSON file) it is read
 * from and the command that makes that record. The README's benchmark table, the bench index
 * (bench/README.md) and bench/results.md are generated from it (`npm run bench:table`), so each
 * number exists once: in its record. `npm run bench:full` runs every record's command again.
 *
 * To add a headline: add its record (if new) to RECORDS and a row to HEADLINES; `value` turns the
 * record's JSON into the text shown. A row whose record is missing shows a dash.
 */
import { pairedT } from '../runtime/sweep/stats.js';
import { stat, welch, type Stat } from './quality/report.js';

/** A parsed JSON record. */
export type Json = Record<string, unknown>;

/** Node with the repository's loader: every bench script runs as `NODE script args`. */
export const NODE = 'node --require ./scripts/polyfills.cjs --import tsx';

/** What a record's command needs besides `npm ci`. */
export type Need = 'build' | 'torch' | 'chromium';

/** One record and the command that makes it. */
export interface RecordSpec {
  readonly id: string;
  /** The record, relative to the repository root. */
  readonly file: string;
  /**
   * The command's arguments after {@link NODE}; `{out}` stands for a scratch folder. When absent,
   * {@link manual} says how the record is made instead.
   */
  readonly args?: readonly string[];
  /** Files the command writes into `{out}`, moved to these paths (the record among them). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** A record `bench:full` does not make (it needs a setup of its own): how to make it. */
  readonly manual?: string;
  readonly needs?: readonly Need[];
  /** The backend its numbers are measured on. */
  readonly backend?: string;
  /** Rough minutes of the command on an idle 2-core machine. */
  readonly minutes: number;
  /** A short form of the script (`npm run bench`): checks that it runs; writes only into `{out}`. */
  readonly quick?: readonly string[];
}

/** One headline: what is measured, the value read from its records, and the target if any. */
export interface Headline {
  readonly id: string;
  readonly area: string;
  readonly what: string;
  /** Ids of the records `value` reads, in order. */
  readonly records: readonly string[];
  /** The value as shown, from the records' JSON (each undefined when missing). */
  readonly value: (...records: (Json | undefined)[]) => string | undefined;
  readonly target?: string;
  /** Shown in the README's table (every row is in bench/results.md). */
  readonly readme?: boolean;
}

// The search-cost and quality benchmarks run their searches as `bnas sweep` of the built command line.
const search = (name: string, args: readonly string[], minutes: number): RecordSpec => ({
  id: `search-${name}`,
  file: `bench/search/${name}.json`,
  args: ['bench/search/run.ts', ...args, '--threads', '1', '--name', name],
  needs: ['build'],
  backend: 'wasm',
  minutes,
});

/** A `ranking.ts --recorded` record of the 6-cell protocol's cells: one supernet seed, `set` its extra settings, `minutes` what it took. */
const rankingRecord = (variant: string, seed: number, set: readonly string[], minutes: number): RecordSpec => ({
  id: `ranking-recorded${variant}-seed${seed}`, file: `bench/search/results/ranking-recorded${variant}-seed${seed}.json`, backend: 'tensorflow', minutes,
  args: [
    'bench/search/ranking.ts', '--space', 'bench/quality/fashion-mnist-conv.bnas', '--set', 'data.train=4000', ...set, '--epochs', '7', '--batches', '16', '--backend', 'node',
    '--seed', String(seed), '--recorded', 'bench/quality/results-sweep/cells-6cells/evaluations.json', '--subset', 'random=R,Q,M,M2',
    '--subset', 'searched=A,S,Z,S8,E,H,F,P,L', '--out', `bench/search/results/ranking-recorded${variant}-seed${seed}.json`,
  ],
});

const peer = (id: string, dir: string, args: readonly string[]): RecordSpec => ({
  id,
  file: `bench/engine/results/${dir}peer-compare.json`,
  args: ['bench/engine/peer-compare.ts', ...args, ...(dir ? ['--out', `bench/engine/results/${dir.slice(0, -1)}`] : [])],
  needs: ['torch'],
  backend: 'wasm',
  minutes: 5,
});

const quality = (dir: string, args: readonly string[], minutes: number): RecordSpec => ({
  id: `quality-${dir}`,
  file: `bench/quality/${dir}/quality.json`,
  args: ['bench/quality/run.ts', ...args, ...(dir === 'results' ? [] : ['--out', `bench/quality/${dir}`])],
  needs: ['build'],
  backend: 'wasm',
  minutes,
});

/** Every record a headline reads. */
export const RECORDS: readonly RecordSpec[] = [
  {
    id: 'engine-step',
    file: 'bench/engine/results/engine-step-simd.json',
    args: ['bench/engine/run.ts', '--backends', 'wasm', '--steps', '3', '--profile', '--configs', 'binary-k4,float-k4,binary-k1,float-k1', '--variants', 'naive,cell-sgd,parallel-cell', '--out', '{out}'],
    outputs: { 'engine-step.json': 'bench/engine/results/engine-step-simd.json', 'engine-step.md': 'bench/engine/results/engine-step-simd.md' },
    backend: 'wasm',
    minutes: 4,
    quick: ['bench/engine/run.ts', '--backends', 'wasm', '--steps', '2', '--configs', 'binary-k4', '--variants', 'naive,cell-sgd', '--out', '{out}'],
  },
  { ...peer('peer-binary-k4', '', ['--rounds', '3', '--steps', '3']), quick: ['bench/engine/peer-compare.ts', '--rounds', '1', '--steps', '2', '--out', '{out}'] },
  peer('peer-float-k4', 'peer-float-k4/', ['--rounds', '2', '--steps', '3', '--binary', '0']),
  peer('peer-binary-k1', 'peer-binary-k1/', ['--rounds', '2', '--steps', '3', '--k', '1']),
  peer('peer-float-k1', 'peer-float-k1/', ['--rounds', '2', '--steps', '3', '--k', '1', '--binary', '0']),
  {
    ...search('results', ['--repeats', '2'], 3),
    quick: ['bench/search/run.ts', '--modes', 'bnas,pc-darts', '--threads', '1', '--repeats', '1', '--name', '../.tmp/search-quick'],
  },
  search('results-paper-space', ['--space', 'bench/search/space-paper.bnas', '--repeats', '2'], 25),
  search('results-paper-steps-memory', ['--space', 'bench/search/space-paper.bnas', '--set', 'data.train=2048', '--repeats', '2', '--batch-rule', 'memory'], 35),
  search('results-paper-defaults', ['--space', 'bench/search/space-paper-defaults.bnas', '--modes', 'bnas,pc-darts', '--repeats', '3'], 8),
  search('results-paper-32', ['--space', 'bench/search/space-paper-defaults.bnas', '--set', 'data.image=32', '--modes', 'bnas,pc-darts', '--repeats', '1'], 25),
  search('results-paper-long', ['--space', 'bench/search/space-paper-defaults.bnas', '--set', 'train.epochs=16', '--modes', 'bnas,pc-darts', '--repeats', '2'], 12),
  search('results-paper-long-memory', ['--space', 'bench/search/space-paper-defaults.bnas', '--set', 'train.epochs=16', '--repeats', '1', '--batch-rule', 'memory'], 20),
  { ...quality('results', [], 40), quick: ['bench/quality/run.ts', '--quick', '--out', '{out}'] },
  quality('results-defaults', ['--datasets', 'fashion-mnist', '--mode-seeds', 'darts=0', '--random', '0', '--schedule', 'defaults'], 7),
  quality('results-long', ['--datasets', 'fashion-mnist', '--mode-seeds', 'darts=0', '--random', '0', '--schedule', 'long'], 10),
  quality('results-long-b', ['--datasets', 'fashion-mnist', '--mode-seeds', 'darts=0', '--random', '0', '--schedule', 'long', '--first-seed', '14'], 12),
  {
    id: 'validation', file: 'bench/validation/results.json', args: ['bench/validation/run.ts'], minutes: 1,
    quick: ['bench/validation/run.ts', '--iterations', '50', '--cold', '1', '--no-write'],
  },
  {
    id: 'language-server', file: 'bench/language-server/results.json', args: ['bench/language-server/run.ts'], needs: ['build'], minutes: 1,
    quick: ['bench/language-server/run.ts', '--cold', '1', '--iterations', '30', '--no-write'],
  },
  {
    id: 'extension', file: 'bench/extension/results.json', args: ['bench/extension/run.ts'], needs: ['build'], minutes: 1,
    quick: ['bench/extension/run.ts', '--events', '20000', '--no-write'],
  },
  {
    id: 'webview', file: 'bench/webview/results.json', args: ['bench/webview/run-view-bench.ts', '--out', 'bench/webview/results.json'], needs: ['build', 'chromium'], minutes: 1,
    quick: ['bench/webview/run-view-bench.ts', '--epochs', '10'],
  },
  {
    id: 'quality-cells-6cells', file: 'bench/quality/results-sweep/cells-6cells/evaluations.json', minutes: 300,
    manual: '`bnas evaluate` of each cell under `bench/quality/protocol-conv-6.bnas`, as bench/quality/README.md lists ("Where the searched cells lose to DARTS_V2", "Fewer inner edges")',
  },
  {
    id: 'quality-cells-6cells-bnest', file: 'bench/quality/results-sweep/cells-6cells-bnest/evaluations.json', minutes: 85,
    manual: '`bench/quality/reevaluate.ts --evaluations bench/quality/results-sweep/cells-6cells/evaluations.json --groups Z,R --per-seed 2 --seeds 1,2,3,4,7,8,9,10,11,12 --protocol bench/quality/protocol-conv-6.bnas --out bench/quality/results-sweep/cells-6cells-bnest --parallel 2 --backend node`, then the same with `--groups C --seeds 7,8,9,10,11,12` and with `--groups Q --per-seed 2 --seeds 1,2,3,4,5,6` into the same `--out` (bench/quality/README.md, "Re-evaluated with re-estimated statistics")',
  },
  {
    id: 'quality-calibration-10ep', file: 'bench/quality/results/calibration/conv-6cells-5k-10ep-test10k.json', minutes: 200,
    manual: '`bench/quality/calibrate.ts --space bench/quality/fashion-mnist-conv.bnas --backend node --train 5000 --test 10000 --cells 6 --seeds 1 --first-seed S --epochs 10 --out …/seed-S.json` for S = 1 … 6, two side by side, pooled with `--combine` (bench/quality/README.md, "Calibration")',
  },
  {
    id: 'quality-calibration-6cells', file: 'bench/quality/results/calibration/conv-6cells-5k-6ep-test10k-bnest.json', minutes: 60,
    manual: '`bench/quality/calibrate.ts --space bench/quality/fashion-mnist-conv.bnas --backend node --train 5000 --test 10000 --epochs 6 --cells 6 --seeds 3 --first-seed S` for S = 1 and 4 side by side, pooled with `--combine` (bench/quality/README.md, "Calibration")',
  },
  ...[1, 2].map((seed) => rankingRecord('', seed, [], 15)),
  ...[1, 2, 3].map((seed) => rankingRecord('-k1', seed, ['--set', 'sampling.k=1'], 20)),
  rankingRecord('-k2', 1, ['--set', 'sampling.k=2'], 16),
  { id: 'vsix-size', file: 'bench/ci/vsix-size.json', manual: 'npm run package -- --record', minutes: 2 },
  { id: 'host-timings', file: 'bench/ci/host-timings.json', manual: 'npm run test:host -- --record', minutes: 10 },
];

// ------------------------------------------------------------------ reading records

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
/** A nested field of a record. */
export const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), o);
/** A number with one decimal below 100, none from 100. */
export const fixed = (x: number | undefined, unit = ''): string | undefined => (x === undefined ? undefined : `${x.toFixed(Math.abs(x) >= 100 ? 0 : 1)}${unit}`);
const meanStd = (s: Stat) => `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)} %`;

/** The one-thread CPU-time ratio `key` of a search record (records keep one per thread count). */
function searchRatio(r: Json | undefined, key: string): number | undefined {
  const ratios = get(r, 'ratios') as Json | undefined;
  if (!ratios) return undefined;
  return num('x1' in ratios ? get(ratios, 'x1', key) : ratios[key]);
}

/** Median ms of a peer record's entry named exactly `name`, or the best entry starting with it. */
function peerMs(r: Json | undefined, name: string): number | undefined {
  const s = (get(r, 'summary') as { name: string; medianMs: number }[] | undefined) ?? [];
  const exact = s.find((x) => x.name === name);
  if (exact) return exact.medianMs;
  const all = s.filter((x) => x.name.startsWith(name)).map((x) => x.medianMs);
  return all.length ? Math.min(...all) : undefined;
}

/** This runtime's best one-thread step against PyTorch on one thread. */
function peerRatio(r: Json | undefined): string | undefined {
  const torch = peerMs(r, 'pytorch 1 thread');
  const ours = peerMs(r, 'tfjs');
  if (torch === undefined || ours === undefined) return undefined;
  return `${(torch / ours).toFixed(2)}× (this runtime ${ours.toFixed(0)} ms, PyTorch ${torch.toFixed(0)} ms)`;
}

/** A dataset's result of a quality record. */
function dataset(r: Json | undefined, name: string): Json | undefined {
  return ((get(r, 'results') as Json[] | undefined) ?? []).find((x) => x.dataset === name);
}

/** Per-seed test accuracies of a quality group whose name starts with `prefix`, over several records. */
function groupAccuracies(records: readonly (Json | undefined)[], data: string, prefix: string): number[] {
  return records.flatMap((r) => ((get(dataset(r, data), 'groups') as { group: string; accuracies: number[] }[] | undefined) ?? [])
    .filter((g) => g.group.startsWith(prefix))
    .flatMap((g) => g.accuracies));
}

/** This method's derived cells against PC-DARTS mode's, trained from scratch, pooled over records. */
function methodVsPcDarts(...records: (Json | undefined)[]): string | undefined {
  const ours = groupAccuracies(records, 'fashion-mnist', 'searched (bnas');
  const pc = groupAccuracies(records, 'fashion-mnist', 'searched (PC-DARTS');
  if (!ours.length || !pc.length) return undefined;
  const a = stat(ours);
  const b = stat(pc);
  const p = welch(a, b).p;
  return `${meanStd(a)} vs ${meanStd(b)} (${a.n} seeds each${Number.isFinite(p) ? `, Welch p = ${p.toFixed(2)}` : ''})`;
}

/** Searched cells against random cells of the space, with the verdict against the seed noise. */
function searchedVsRandom(r: Json | undefined, data: string): string | undefined {
  const h = get(dataset(r, data), 'headline') as { searched: Stat; random: Stat; margin: number; beatsRandomBeyondNoise: boolean } | undefined;
  if (!h || h.random.n === 0) return undefined;
  const sign = h.margin >= 0 ? '+' : '';
  return `${meanStd(h.searched)} vs ${meanStd(h.random)} (${h.searched.n} seeds, ${h.random.n} random cells): ${sign}${(100 * h.margin).toFixed(1)} points, ${h.beatsRandomBeyondNoise ? 'beyond' : 'within'} the noise`;
}

/** Mean (float − binary) accuracy of the searched cells trained both ways. */
function floatGap(r: Json | undefined, data: string): number | undefined {
  const g = ((get(dataset(r, data), 'groups') as { accuracies: number[]; float?: number[] }[] | undefined) ?? []).find((x) => x.float?.length);
  if (!g?.float) return undefined;
  return g.float.reduce((a, x, i) => a + x - g.accuracies[i], 0) / g.float.length;
}

/** The evaluations of some groups in a cell-evaluation record (`evaluations.json`). */
function cellGroup(r: Json | undefined, ...groups: readonly string[]): { seed: number; accuracy: number }[] {
  return ((get(r, 'evaluations') as { group: string; seed: number; accuracy: number }[] | undefined) ?? []).filter((e) => groups.includes(e.group));
}

const pText = (p: number): string => (p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`);

/**
 * The searched cells under the BNAS pruning rule and the default derivation in `evaluations.json`:
 * the first six searches re-derived (H) and the fresh searches made under those defaults (S).
 */
const SEARCHED = ['H', 'S'] as const;

/** A group of cell evaluations against random cells: the margin in points and in the random cells' std, Welch p. */
function cellsVsRandom(r: Json | undefined, groups: readonly string[], random: string): string | undefined {
  const a = stat(cellGroup(r, ...groups).map((e) => e.accuracy));
  const b = stat(cellGroup(r, random).map((e) => e.accuracy));
  if (a.n < 2 || b.n < 2) return undefined;
  const m = a.mean - b.mean;
  return `${meanStd(a)} vs ${meanStd(b)} (${a.n} seeds, ${b.n} random cells): ${m >= 0 ? '+' : ''}${(100 * m).toFixed(1)} points, ${(m / b.std).toFixed(1)}× their std, Welch p ${pText(welch(a, b).p)}`;
}

/** A group of cell evaluations against a reference cell, paired by seed. */
function cellsVsReference(r: Json | undefined, groups: readonly string[], reference: string): string | undefined {
  const ref = new Map(cellGroup(r, reference).map((e) => [e.seed, e.accuracy]));
  const pairs = cellGroup(r, ...groups).filter((e) => ref.has(e.seed));
  if (pairs.length < 2) return undefined;
  const t = pairedT(pairs.map((e) => e.accuracy), pairs.map((e) => ref.get(e.seed)!));
  const ahead = pairs.filter((e) => e.accuracy > ref.get(e.seed)!).length;
  return `${t.diff >= 0 ? '+' : '−'}${Math.abs(100 * t.diff).toFixed(2)} points paired over ${pairs.length} seeds (ahead on ${ahead}), p ${pText(t.p)}`;
}

/** A calibration record's margins: each conv-rich control over the parameter-free one, in units of the largest seed std. */
function calibration(r: Json | undefined): string | undefined {
  const mean = (c: string) => num(get(r, 'stats', c, 'mean'));
  const free = mean('param-free');
  const spread = num(get(r, 'spread'));
  const p = num(get(r, 'welch', 'p'));
  if (free === undefined || !spread || p === undefined) return undefined;
  const over = (c: string) => {
    const m = mean(c);
    return m === undefined ? '–' : `+${(100 * (m - free)).toFixed(1)} points = ${((m - free) / spread).toFixed(1)}×`;
  };
  const widest = ['param-free', 'darts-v2', 'bnas-xnor-1'].find((c) => num(get(r, 'stats', c, 'std')) === spread);
  const seeds = ((get(r, 'accuracies', widest ?? '') as number[] | undefined) ?? []).map((a) => 100 * a);
  const range = seeds.length ? `, ${widest}: ${Math.min(...seeds).toFixed(1)}–${Math.max(...seeds).toFixed(1)} %` : '';
  return `BNAS_XNOR_1 ${over('bnas-xnor-1')} (Welch p ${pText(p)}), DARTS_V2 ${over('darts-v2')}; the largest seed std ${(100 * spread).toFixed(1)} points${range}`;
}

/** A τ with its sign as text: −0.24, +0.15. */
const signed = (x: number): string => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(2)}`;

/** Kendall τ of the supernet's estimates against stand-alone accuracy, one supernet seed a record. */
function ranking(...records: (Json | undefined)[]): string | undefined {
  const parts = records.map((r) => {
    const tau = num(get(r, 'tau'));
    const ci = get(r, 'ci95') as number[] | undefined;
    const free = num(get(r, 'against_param_free', 'estimate', 'tau'));
    const within = num(get(r, 'within_param_free', 'tau'));
    const withinP = num(get(r, 'within_param_free', 'permutation_p'));
    if (tau === undefined || !ci || free === undefined || within === undefined || withinP === undefined) return undefined;
    return {
      text: `${signed(tau)} [${signed(ci[0])}, ${signed(ci[1])}] (two-sided p ${pText(num(get(r, 'two_sided_p')) ?? NaN)})`,
      free, within: `${signed(within)} (one-sided p ${pText(withinP)})`, n: num(get(r, 'cells', 'length')),
    };
  });
  if (parts.some((x) => x === undefined)) return undefined;
  const ok = parts as { text: string; free: number; within: string; n?: number }[];
  return `τ ${ok.map((x) => x.text).join(', ')} over ${ok[0].n} cells; the estimate follows the parameter-free share (τ ${ok.map((x) => signed(x.free)).join(', ')}); `
    + `among cells of equal share τ ${ok.map((x) => x.within).join(', ')}`;
}

/** The mode time ratios of a quality run: this method ÷ PC-DARTS mode, ÷ DARTS mode (CPU time). */
function qualityModeRatios(r: Json | undefined, data: string): string | undefined {
  const modes = get(dataset(r, data), 'modes') as { mode: string; cpuSeconds?: Stat }[] | undefined;
  const cpu = (m: string) => modes?.find((x) => x.mode === m)?.cpuSeconds?.mean;
  const ours = cpu('bnas');
  const pc = cpu('pc-darts');
  const darts = cpu('darts');
  if (ours === undefined || pc === undefined) return undefined;
  return `${(ours / pc).toFixed(2)}${darts === undefined ? '' : `, ${(ours / darts).toFixed(2)}`}`;
}

/** Naive → fused-cell step of an engine record for `config` on wasm. */
function engineStep(r: Json | undefined, config: string): string | undefined {
  const rows = (get(r, 'rows') as { backend: string; config: string; variant: string; medianMs: number }[] | undefined) ?? [];
  const ms = (v: string) => rows.find((x) => x.backend === 'wasm' && x.config === config && x.variant === v)?.medianMs;
  const naive = ms('naive');
  const cell = ms('cell-sgd');
  if (naive === undefined || cell === undefined) return undefined;
  return `${naive.toFixed(0)} → ${cell.toFixed(0)} ms (${(naive / cell).toFixed(1)}×)`;
}

const ratioWithMacs = (r: Json | undefined): string | undefined => {
  const cpu = searchRatio(r, 'cpuVsPcDarts');
  const macs = searchRatio(r, 'macsVsPcDarts');
  return cpu === undefined ? undefined : `${cpu.toFixed(2)}${macs === undefined ? '' : ` (multiply-adds ${macs.toFixed(2)})`}`;
};

const dartsRatio = (r: Json | undefined): string | undefined => {
  const x = searchRatio(r, 'cpuVsDarts');
  const batches = get(r, 'batches') as Record<string, number> | undefined;
  const rule = get(r, 'batchRule') === 'memory' && batches ? ` (DARTS mode at batch ${batches.darts}, this method at ${batches.bnas})` : '';
  return x === undefined ? undefined : `${x.toFixed(2)}${rule}`;
};

/** This method ÷ PC-DARTS mode and ÷ DARTS mode of a search record. */
const bothRatios = (r: Json | undefined): string | undefined => {
  const pc = searchRatio(r, 'cpuVsPcDarts');
  const d = searchRatio(r, 'cpuVsDarts');
  return pc === undefined || d === undefined ? undefined : `${pc.toFixed(2)}, ${d.toFixed(2)}`;
};

/** A headline read from one whole-search record (`bench/search/NAME.json`). */
function searchRow(id: string, name: string, value: (r: Json | undefined) => string | undefined, target: string | undefined, what: string, readme = false): Headline {
  return { id, area: 'search', records: [`search-${name}`], value, target, what, readme };
}

/** Every headline, in the order the tables show them. */
export const HEADLINES: readonly Headline[] = [
  {
    id: 'engine-step', area: 'engine', readme: true, records: ['engine-step'], target: '≥ 3×',
    what: 'PC-DARTS cell step (binary, K = 4, one thread): straightforward TensorFlow.js ops → the fused cell',
    value: (r) => engineStep(r, 'binary-k4'),
  },
  {
    id: 'engine-step-k1', area: 'engine', records: ['engine-step'],
    what: 'the same step at K = 1 (binary)',
    value: (r) => engineStep(r, 'binary-k1'),
  },
  {
    id: 'peer-binary-k4', area: 'peers', readme: true, records: ['peer-binary-k4'], target: '≥ 1.0',
    what: 'the same step against PyTorch on CPU (Debian python3-torch), one thread each: PyTorch ms ÷ this runtime ms',
    value: peerRatio,
  },
  { id: 'peer-float-k4', area: 'peers', records: ['peer-float-k4'], what: 'the same, float, K = 4', value: peerRatio },
  { id: 'peer-binary-k1', area: 'peers', records: ['peer-binary-k1'], what: 'the same, binary, K = 1', value: peerRatio },
  { id: 'peer-float-k1', area: 'peers', records: ['peer-float-k1'], what: 'the same, float, K = 1', value: peerRatio },
  searchRow('search-long', 'results-paper-long', ratioWithMacs, '≤ 0.60', 'whole search, this method ÷ PC-DARTS mode, CPU time: `space-paper-defaults.bnas` searched for 16 epochs (the default pruning schedule)', true),
  searchRow('search-defaults', 'results-paper-defaults', ratioWithMacs, '≤ 0.60', 'the same with the language\'s 8-epoch default schedule (`space-paper-defaults.bnas`)', true),
  searchRow('search-32', 'results-paper-32', ratioWithMacs, '≤ 0.60', 'the same at 32×32 images, 8 epochs (`space-paper-defaults.bnas --set data.image=32`)'),
  searchRow('search-long-memory-pc', 'results-paper-long-memory', ratioWithMacs, '≤ 0.60', 'the same, 16 epochs, in the three-mode run below'),
  searchRow('search-darts-memory', 'results-paper-long-memory', dartsRatio, '≤ 0.25', 'whole search, this method ÷ DARTS mode, CPU time, DARTS mode at the batch that fits the same memory (the papers\' protocol; `space-paper-defaults.bnas --set train.epochs=16`)', true),
  searchRow('search-darts-steps', 'results-paper-steps-memory', dartsRatio, '≤ 0.25', 'the same on `space-paper.bnas --set data.train=2048` (PC-DARTS-shaped schedule, 12 epochs, 32 steps an epoch)'),
  searchRow('search-same-batch', 'results-paper-space', bothRatios, undefined, 'whole search at the same batch in every mode, 8 steps an epoch (`space-paper.bnas`): this method ÷ PC-DARTS mode, ÷ DARTS mode', true),
  searchRow('search-small', 'results', bothRatios, undefined, 'the same on the small `space.bnas`'),
  {
    id: 'quality-synthetic', area: 'quality', readme: true, records: ['quality-results'], target: 'better than the seed noise',
    what: 'searched binary cells vs random cells of the space, synthetic set, test accuracy',
    value: (r) => searchedVsRandom(r, 'synthetic'),
  },
  {
    id: 'quality-fashion', area: 'quality', readme: true, records: ['quality-results'], target: 'better than the seed noise',
    what: 'the same on Fashion-MNIST',
    value: (r) => searchedVsRandom(r, 'fashion-mnist'),
  },
  {
    id: 'quality-vs-pc', area: 'quality', readme: true, records: ['quality-results'], target: 'no worse beyond the noise',
    what: 'this method\'s derived cells vs PC-DARTS mode\'s, trained from scratch (Fashion-MNIST, the quality schedule)',
    value: methodVsPcDarts,
  },
  {
    id: 'quality-vs-pc-defaults', area: 'quality', readme: true, records: ['quality-results-defaults'], target: 'no worse beyond the noise',
    what: 'the same with the language\'s 8-epoch default schedule',
    value: methodVsPcDarts,
  },
  {
    id: 'quality-vs-pc-long', area: 'quality', readme: true, records: ['quality-results-long', 'quality-results-long-b'], target: 'no worse beyond the noise',
    what: 'the same searched for 16 epochs',
    value: methodVsPcDarts,
  },
  {
    id: 'quality-calibration', area: 'quality', readme: true, records: ['quality-calibration-6cells'], target: '≥ 3× the seed std, Welch p < 0.05',
    what: 'calibration of the 6-cell protocol below: the weaker conv-rich reference cell (BNAS_XNOR_1, adapted) and DARTS_V2 over the parameter-free control, in units of the largest seed std (6 seeds)',
    value: calibration,
  },
  {
    id: 'quality-calibration-10ep', area: 'quality', readme: true, records: ['quality-calibration-10ep'], target: '≥ 3× the seed std, Welch p < 0.05',
    what: 'the same protocol trained for 10 epochs (`protocol-conv-6-10ep.bnas`, 6 seeds): the calibrated protocol',
    value: calibration,
  },
  {
    id: 'quality-ranking', area: 'quality', readme: true, records: ['ranking-recorded-seed1', 'ranking-recorded-seed2'], target: 'τ > 0, p < 0.05',
    what: 'ranking: Kendall τ-b of the supernet\'s estimate of a cell (fashion-mnist-conv.bnas, trained 7 epochs without pruning, two seeds; accuracy on 512 architecture-split images with the cell\'s ops alone) against the cell\'s accuracy under the 6-cell protocol, every distinct cell evaluated below (bootstrap 95 % CI)',
    value: ranking,
  },
  {
    id: 'quality-ranking-k1', area: 'quality', readme: true, records: ['ranking-recorded-k1-seed1', 'ranking-recorded-k1-seed2', 'ranking-recorded-k1-seed3'], target: 'τ > 0, p < 0.05',
    what: 'the same with a supernet without partial channels (`sampling.k = 1`, every channel through every op), three seeds',
    value: ranking,
  },
  {
    id: 'quality-ranking-k2', area: 'quality', records: ['ranking-recorded-k2-seed1'], target: 'τ > 0, p < 0.05',
    what: 'the same with half the channels through the ops (`sampling.k = 2`), one seed',
    value: ranking,
  },
  {
    id: 'quality-6cells-random', area: 'quality', readme: true, records: ['quality-cells-6cells'], target: '≥ 2× the random cells\' std, Welch p < 0.05',
    what: 'searched cells (this method under the defaults: pruning.confidence = 2, the default derivation: ≤ 2 parameter-free ops, ≤ 1 inner edge a cell; 6 fresh searches, seeds 7–12) vs uniform random cells, the 6-cell protocol (Fashion-MNIST 12×12, 5,000 images × 6 epochs, 10,000 test images)',
    value: (r) => cellsVsRandom(r, ['Z'], 'R'),
  },
  {
    id: 'quality-6cells-random-bnest', area: 'quality', readme: true, records: ['quality-cells-6cells-bnest'], target: '≥ 2× the random cells\' std, Welch p < 0.05',
    what: 'the same searched cells against 8 of the same random cells (seeds 1–4), evaluated again at the engine that re-estimates batch-norm statistics before the test, under the 6-cell protocol (calibration above)',
    value: (r) => cellsVsRandom(r, ['Z'], 'R'),
  },
  {
    id: 'quality-6cells-caps-bnest', area: 'quality', readme: true, records: ['quality-cells-6cells-bnest'],
    what: 'the same searched cells against random cells under the same two caps (the fair baseline, `--random-rule caps`), both evaluated again at the engine that re-estimates batch-norm statistics: what the search adds to the derivation\'s priors',
    value: (r) => cellsVsRandom(r, ['Z'], 'Q'),
  },
  {
    id: 'quality-6cells-reference-bnest', area: 'quality', readme: true, records: ['quality-cells-6cells-bnest'], target: 'no worse than the best reference cell',
    what: 'the same searched cells against DARTS_V2 (adapted), paired by seed, both evaluated again at the engine that re-estimates batch-norm statistics',
    value: (r) => cellsVsReference(r, ['Z'], 'C'),
  },
  {
    id: 'quality-6cells-confidence-reference', area: 'quality', readme: true, records: ['quality-cells-6cells'], target: 'no worse than the best reference cell',
    what: 'the same searched cells against DARTS_V2 (adapted), paired by seed',
    value: (r) => cellsVsReference(r, ['Z'], 'C'),
  },
  {
    id: 'quality-6cells-confidence-matched', area: 'quality', readme: true, records: ['quality-cells-6cells'],
    what: 'the same searched cells against random cells carrying their ops (each seed\'s ops in a random order on random wiring under the same caps): what the search\'s wiring and op placement add, paired by seed',
    value: (r) => cellsVsReference(r, ['Z'], 'M'),
  },
  {
    id: 'quality-6cells-confidence-trivial', area: 'quality', readme: true, records: ['quality-cells-6cells'],
    what: 'the same searched cells against the trivial cell: conv_3x3 on every edge (about 1.3× their weights) on the random wiring above, paired by seed',
    value: (r) => cellsVsReference(r, ['Z'], 'K'),
  },
  {
    id: 'quality-6cells-bnas-rule-random', area: 'quality', readme: true, records: ['quality-cells-6cells'],
    what: 'searched cells under the BNAS pruning rule (pruning.confidence = 0, the default before; 6 searches re-derived, 6 searched afresh) vs the same random cells',
    value: (r) => cellsVsRandom(r, SEARCHED, 'R'),
  },
  {
    id: 'quality-6cells-caps', area: 'quality', readme: true, records: ['quality-cells-6cells'],
    what: 'the BNAS-rule searched cells against random cells under the same two caps: what the search adds to the derivation\'s priors',
    value: (r) => cellsVsRandom(r, SEARCHED, 'Q'),
  },
  {
    id: 'quality-6cells-reference', area: 'quality', readme: true, records: ['quality-cells-6cells'],
    what: 'the BNAS-rule searched cells against DARTS_V2 (adapted), paired by seed',
    value: (r) => cellsVsReference(r, SEARCHED, 'C'),
  },
  {
    id: 'quality-gap', area: 'quality', readme: true, records: ['quality-results'],
    what: 'binary-vs-float gap of the searched cells (float − binary): synthetic, Fashion-MNIST',
    value: (r) => {
      const s = floatGap(r, 'synthetic');
      const f = floatGap(r, 'fashion-mnist');
      return s === undefined || f === undefined ? undefined : `${(100 * s).toFixed(1)}, ${(100 * f).toFixed(1)} points`;
    },
  },
  {
    id: 'quality-mode-time', area: 'quality', records: ['quality-results'],
    what: 'search CPU time in the quality run (Fashion-MNIST): this method ÷ PC-DARTS mode, ÷ DARTS mode',
    value: (r) => qualityModeRatios(r, 'fashion-mnist'),
  },
  {
    id: 'validation', area: 'editor', readme: true, records: ['validation'],
    what: 'validating a 300-line space in process, median / p95',
    value: (r) => {
      const big = (get(r, 'rows') as { name: string; medianMs: number; p95Ms: number }[] | undefined)?.find((x) => x.name.includes('300'));
      return big ? `${fixed(big.medianMs)} / ${fixed(big.p95Ms)} ms` : undefined;
    },
  },
  {
    id: 'validate-cli', area: 'editor', records: ['validation'],
    what: '`bnas validate`, the whole command-line process',
    value: (r) => fixed(num(get(r, 'cliValidateWallMs')), ' ms'),
  },
  {
    id: 'language-server-cold', area: 'editor', readme: true, records: ['language-server'],
    what: 'language server: cold start to first diagnostics, median',
    value: (r) => fixed(num(get(r, 'coldStart', 'firstDiagnosticsMs', 'median')), ' ms'),
  },
  {
    id: 'language-server-warm', area: 'editor', records: ['language-server'],
    what: 'language server: completion / hover / revalidation after an edit (300 lines), median',
    value: (r) => {
      const v = ['completionMs', 'hoverMs', 'revalidateAfterEditMs'].map((k) => fixed(num(get(r, 'warm', k, 'median'))));
      return v.every((x) => x !== undefined) ? `${v.join(' / ')} ms` : undefined;
    },
  },
  {
    id: 'extension-load', area: 'editor', records: ['extension'],
    what: 'extension bundle require (stub vscode, fresh process), median',
    value: (r) => fixed(num(get(r, 'bundleLoadMs', 'median')), ' ms'),
  },
  {
    id: 'extension-events', area: 'editor', records: ['extension'],
    what: 'run events through stdout, loss-free',
    value: (r) => fixed(num(get(r, 'flood', 'stdout', 'eventsPerSecond')), ' events/s'),
  },
  {
    id: 'webview-first', area: 'editor', readme: true, records: ['webview'],
    what: 'run view: first render of a recorded run / live update rate',
    value: (r) => {
      const first = num(get(r, 'firstRender', 'totalMs'));
      const live = num(get(r, 'liveBatch10', 'eventsPerSecond'));
      return first === undefined || live === undefined ? undefined : `${fixed(first)} ms for ${String(get(r, 'events'))} events / ${fixed(live)} events/s`;
    },
  },
  {
    id: 'vsix-size', area: 'ci', records: ['vsix-size'],
    what: 'packaged .vsix size',
    value: (r) => fixed(num(get(r, 'mib')), ' MiB'),
  },
  {
    id: 'host-activation', area: 'ci', records: ['host-timings'],
    what: 'VS Code host tests (code-server): extension activated after server spawn, per suite',
    value: (r) => {
      const s = (get(r, 'results') as { suite: string; activationMs?: number }[] | undefined)?.filter((x) => x.activationMs !== undefined) ?? [];
      return s.length ? s.map((x) => `${x.suite} ${fixed(x.activationMs)} ms`).join(', ') : undefined;
    },
  },
];

/** The record of `id`. */
export function recordSpec(id: string): RecordSpec {
  const r = RECORDS.find((x) => x.id === id);
  if (!r) throw new Error(`no record '${id}' in bench/headlines.ts`);
  return r;
}

/** The command line of a record, runnable from the repository root. */
export function commandOf(r: RecordSpec): string {
  return r.args ? `${NODE} ${r.args.join(' ')}` : (r.manual ?? '');
}
