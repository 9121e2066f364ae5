/**
 * Wall time of a sweep of two seeds run side by side (`--parallel 2`) against one after the other
 * (`--parallel 1`), each trial on one thread, and one after the other with two threads a trial
 * (`--threads 2`): which setting gives the best total on this machine. The settings alternate
 * within one run (`--rounds`), each in a fresh sweep folder; the genotypes must agree between the
 * two one-thread settings (a trial does not depend on what runs beside it).
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/sweep/parallel.ts
 *   [--space examples/quick.bnas] [--seeds 1,2] [--rounds 1] [--backend wasm] [--out FILE.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSweepFile } from '../../runtime/sweep/schema.js';
import { writeRecord } from '../record.js';

const { values } = parseArgs({
  options: {
    space: { type: 'string', default: 'examples/quick.bnas' },
    seeds: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
  },
});

const SETTINGS = [
  { label: 'one after the other, 1 thread each', args: ['--parallel', '1', '--threads', '1'] },
  { label: 'side by side (--parallel 2), 1 thread each', args: ['--parallel', '2', '--threads', '1'] },
  { label: 'one after the other, 2 threads each', args: ['--parallel', '1', '--threads', '2'] },
] as const;

const root = mkdtempSync(join(tmpdir(), 'bnas-sweep-bench-'));
const seconds: number[][] = SETTINGS.map(() => []);
const genotypes: string[][] = SETTINGS.map(() => []);
const loadBefore = loadavg();
try {
  for (let r = 0; r < Number(values.rounds); r++) {
    SETTINGS.forEach((s, i) => {
      const dir = join(root, `r${r}-s${i}`);
      const t0 = performance.now();
      const p = spawnSync(process.execPath, ['dist/cli.cjs', 'sweep', values.space as string, '--out', dir, '--seeds', values.seeds as string, '--backend', values.backend as string, ...s.args], { encoding: 'utf8' });
      const wall = (performance.now() - t0) / 1000;
      if (p.status !== 0) throw new Error(`${s.label}: exit ${p.status}\n${p.stderr}`);
      const sweep = parseSweepFile(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')));
      if (!sweep) throw new Error(`${s.label}: no sweep.json`);
      seconds[i].push(wall);
      genotypes[i].push(JSON.stringify(sweep.trials.map((t) => t.result?.genotype)));
      process.stderr.write(`round ${r + 1}: ${s.label}: ${wall.toFixed(1)} s\n`);
    });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(seconds[0]);
const rows = SETTINGS.map((s, i) => ({ setting: s.label, args: s.args.join(' '), seconds: seconds[i], median: median(seconds[i]), speedup: base / median(seconds[i]) }));
const sameGenotypes = genotypes[0].every((g, r) => g === genotypes[1][r]);
const table = ['| setting | wall s (median) | vs one after the other |', '|---|---|---|', ...rows.map((x) => `| ${x.setting} | ${x.median.toFixed(1)} | ${x.speedup.toFixed(2)}× |`)].join('\n');
process.stdout.write(`${table}\n1-thread trials give the same genotypes side by side as one after the other: ${sameGenotypes}\n`);
if (!sameGenotypes) process.exitCode = 1;
if (values.out) {
  const record = { space: values.space, seeds: values.seeds, backend: values.backend, cpus: cpus().length, loadBefore, rows, sameGenotypes };
  writeRecord(values.out, record, { backend: values.backend });
  writeFileSync(values.out.replace(/\.json$/, '.md'), `# Sweep of two seeds: side by side against one after the other\n\nCommand: \`node --require ./scripts/polyfills.cjs --import tsx bench/sweep/parallel.ts ${process.argv.slice(2).join(' ')}\`; ${cpus().length} CPU(s), load before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}.\n\n${table}\n\n1-thread trials give the same genotypes side by side as one after the other: ${sameGenotypes}.\n`);
}
