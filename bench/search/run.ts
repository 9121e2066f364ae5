/**
 * Whole-search benchmark (issue 4): the same space searched three ways in one run, each in its own
 * process so peak memory is its own:
 *   bnas      this method: binary, K = 4, performance pruning (the space as written)
 *   pc-darts  binary, K = 4, no pruning
 *   darts     binary, K = 1, no pruning
 * Records the search's wall time and CPU time (user + system: robust when other processes share
 * the cores; process start-up and data loading excluded, they are the same in every mode) and the
 * process's peak RSS, optionally the derived cells' test accuracy from training them from scratch, and the
 * ratios. Usage: npx tsx bench/search/run.ts [--space FILE] [--evaluate EPOCHS] [--repeats N] [--name NAME]
 * Writes bench/search/NAME.json and bench/search/NAME.md (NAME defaults to `results`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';

type Mode = 'bnas' | 'pc-darts' | 'darts';
const MODES: readonly Mode[] = ['bnas', 'pc-darts', 'darts'];

/** The space of a mode: the benchmark space with sampling/pruning overridden. */
export function modeSpace(space: SearchSpace, mode: Mode): SearchSpace {
  if (mode === 'bnas') return space;
  return {
    ...space,
    sampling: { ...space.sampling, k: mode === 'darts' ? 1 : space.sampling.k },
    pruning: { ...space.pruning, criterion: 'none' },
  };
}

interface Measured {
  readonly mode: Mode;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly searchSeconds: number;
  readonly pruneSeconds: number;
  readonly peakRssMb: number;
  readonly validAcc: number;
  readonly genotype: unknown;
  readonly evalAccuracy?: number;
}

async function child(mode: Mode, spaceFile: string, outDir: string, evalEpochs: number): Promise<void> {
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
  const r = await runSearch({ space: modeSpace(space, mode), spaceText: text, outDir, keepBackend: true, stepEventSeconds: 1e9, dataset });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const u = process.resourceUsage();
  if (r.status !== 'finished' || !r.result) throw new Error(`${mode}: ${r.status} ${r.message ?? ''}`);
  let evalAccuracy: number | undefined;
  if (evalEpochs > 0) {
    const { trainGenotype } = await import('../../runtime/search/evaluate.js');
    evalAccuracy = (await trainGenotype(space, r.result.genotype, dataset, { epochs: evalEpochs, seed: 1 })).accuracy;
  }
  const m: Measured = {
    mode, wallSeconds: wall, cpuSeconds: (cpu.user + cpu.system) / 1e6,
    searchSeconds: r.result.metrics.search_seconds, pruneSeconds: r.result.metrics.prune_seconds,
    peakRssMb: u.maxRSS / 1024, validAcc: r.result.metrics.valid_acc, genotype: r.result.genotype, evalAccuracy,
  };
  process.stdout.write(JSON.stringify(m) + '\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
  if (argv[0] === 'child') return child(argv[1] as Mode, argv[2], argv[3], Number(argv[4]));
  const spaceFile = resolve(opt('space', 'bench/search/space.bnas'));
  const evalEpochs = Number(opt('evaluate', '0'));
  const repeats = Number(opt('repeats', '1'));
  const name = opt('name', 'results');
  const tmp = mkdtempSync(join(tmpdir(), 'bnas-bench-'));
  const runs: Measured[] = [];
  // Modes alternate within each repeat so slow phases of a shared machine hit all of them.
  for (let rep = 0; rep < repeats; rep++) {
    for (const mode of MODES) {
      const r = spawnSync(process.execPath, ['--require', './scripts/polyfills.cjs', '--import', 'tsx', 'bench/search/run.ts', 'child', mode, spaceFile, join(tmp, `${mode}-${rep}`), String(evalEpochs)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Measured;
      runs.push(m);
      console.log(`${mode}: wall ${m.wallSeconds.toFixed(1)} s, cpu ${m.cpuSeconds.toFixed(1)} s (pruning ${m.pruneSeconds.toFixed(1)} s wall), peak ${m.peakRssMb.toFixed(0)} MB, valid acc ${(100 * m.validAcc).toFixed(1)}%` + (m.evalAccuracy !== undefined ? `, derived cell test acc ${(100 * m.evalAccuracy).toFixed(1)}%` : ''));
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const mean = (mode: Mode, f: (m: Measured) => number) => {
    const xs = runs.filter((r) => r.mode === mode).map(f);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const summary = Object.fromEntries(MODES.map((m) => [m, {
    wallSeconds: mean(m, (r) => r.wallSeconds), cpuSeconds: mean(m, (r) => r.cpuSeconds), peakRssMb: mean(m, (r) => r.peakRssMb),
    validAcc: mean(m, (r) => r.validAcc), evalAccuracy: evalEpochs > 0 ? mean(m, (r) => r.evalAccuracy ?? NaN) : undefined,
  }]));
  const ratio = (a: Mode, b: Mode, k: 'wallSeconds' | 'cpuSeconds') => summary[a][k] / summary[b][k];
  const ratios = {
    cpuVsPcDarts: ratio('bnas', 'pc-darts', 'cpuSeconds'), cpuVsDarts: ratio('bnas', 'darts', 'cpuSeconds'),
    wallVsPcDarts: ratio('bnas', 'pc-darts', 'wallSeconds'), wallVsDarts: ratio('bnas', 'darts', 'wallSeconds'),
  };
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const record = { date: new Date().toISOString(), space: spaceFile, backend: 'wasm', repeats, evalEpochs, loadavg: load, runs, summary, ratios };
  writeFileSync(`bench/search/${name}.json`, JSON.stringify(record, null, 2) + '\n');
  const row = (m: Mode) => {
    const s = summary[m];
    return `| ${m} | ${s.wallSeconds.toFixed(1)} | ${s.cpuSeconds.toFixed(1)} | ${s.peakRssMb.toFixed(0)} | ${(100 * s.validAcc).toFixed(1)} % |${s.evalAccuracy !== undefined ? ` ${(100 * s.evalAccuracy).toFixed(1)} % |` : ''}`;
  };
  const md = [
    `# Search benchmark results (${record.date.slice(0, 16)}Z, wasm, load average at the end ${load})`,
    '',
    `| mode | wall s | CPU s | peak RSS MB | supernet valid acc |${evalEpochs > 0 ? ` derived cell test acc (${evalEpochs} epochs) |` : ''}`,
    `|---|---|---|---|---|${evalEpochs > 0 ? '---|' : ''}`,
    ...MODES.map(row),
    '',
    `This method vs PC-DARTS mode: CPU time ×${ratios.cpuVsPcDarts.toFixed(2)} (${(100 * (1 - ratios.cpuVsPcDarts)).toFixed(0)} % less), wall ×${ratios.wallVsPcDarts.toFixed(2)}.`,
    `This method vs DARTS mode: CPU time ×${ratios.cpuVsDarts.toFixed(2)} (${(1 / ratios.cpuVsDarts).toFixed(1)}× less), wall ×${ratios.wallVsDarts.toFixed(2)}.`,
    '',
  ].join('\n');
  writeFileSync(`bench/search/${name}.md`, md);
  console.log(md);
}

await main();
