/**
 * Recorded cells trained again under another protocol: the groups of a cell-evaluation record
 * (`evaluations.json`) re-evaluated with `bnas evaluate --data PROTOCOL --seed S`, each cell with
 * the seed it was recorded with, into a new record of the same shape that `compare.ts` reads. A
 * protocol that changes (a new calibration) can so judge the same cells without searching again
 * (bench/quality/README.md, "Calibration").
 *
 * The record is written after every cell and read back on start, so a run that is stopped loses
 * nothing: run the same command again and it trains only the cells that are missing.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/reevaluate.ts
 *   --evaluations FILE --groups Z,R,C --protocol FILE.bnas --out DIR [--per-seed N] [--seeds 1,2,…]
 *   [--parallel N] [--backend node]
 *   --per-seed  at most N cells of a group per seed, the first N in record order (random cells: index < N)
 *   --seeds     only these seeds
 *   --parallel  cells trained side by side, each `bnas evaluate` on one thread (default 1)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Genotype } from '../../runtime/protocol/genotype.js';
import { writeRecord } from '../record.js';
import { bnasJson, pool } from '../sweep/drive.js';

interface Evaluation {
  readonly name?: string;
  readonly group: string;
  readonly seed: number;
  readonly accuracy: number;
  readonly seconds: number;
  readonly parameters: number;
  readonly genotype: Genotype;
}

interface Recorded {
  readonly groups: Record<string, string>;
  readonly evaluations: readonly Evaluation[];
}

/** A cell to train: where it came from and its name in the new record (group-seed-index). */
interface Job {
  readonly key: string;
  readonly group: string;
  readonly seed: number;
  readonly genotype: Genotype;
}

/** The cells of `groups` (at most `perSeed` a group and seed, only `seeds` if given), each keyed by group, seed and index. */
export function chooseCells(evaluations: readonly Evaluation[], groups: readonly string[], perSeed = Infinity, seeds?: readonly number[]): Job[] {
  const count = new Map<string, number>();
  const jobs: Job[] = [];
  for (const e of evaluations) {
    if (!groups.includes(e.group) || (seeds && !seeds.includes(e.seed))) continue;
    const at = `${e.group}-${e.seed}`;
    const i = count.get(at) ?? 0;
    count.set(at, i + 1);
    if (i < perSeed) jobs.push({ key: `${at}-${i}`, group: e.group, seed: e.seed, genotype: e.genotype });
  }
  for (const g of groups) if (!jobs.some((j) => j.group === g)) throw new Error(`no cells of group ${g} in the record`);
  return jobs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      evaluations: { type: 'string' },
      groups: { type: 'string' },
      protocol: { type: 'string' },
      out: { type: 'string' },
      'per-seed': { type: 'string' },
      seeds: { type: 'string' },
      parallel: { type: 'string', default: '1' },
      backend: { type: 'string', default: 'node' },
    },
  });
  if (!values.evaluations || !values.groups || !values.protocol || !values.out) throw new Error('usage: reevaluate.ts --evaluations FILE --groups A,B --protocol FILE.bnas --out DIR [--per-seed N] [--seeds …] [--parallel N]');
  const source = JSON.parse(readFileSync(values.evaluations, 'utf8')) as Recorded;
  const groups = values.groups.split(',');
  const seeds = values.seeds?.split(',').map(Number);
  const jobs = chooseCells(source.evaluations, groups, values['per-seed'] ? Number(values['per-seed']) : Infinity, seeds);
  const out = values.out;
  mkdirSync(join(out, 'cells'), { recursive: true });
  const recordFile = join(out, 'evaluations.json');
  const previous = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')) as Recorded) : undefined;
  const done: Evaluation[] = previous?.evaluations.slice() ?? [];
  // Groups trained by an earlier command into the same record keep their legend and their place.
  const legend = { ...previous?.groups, ...Object.fromEntries(groups.map((g) => [g, `${source.groups[g] ?? g}; re-evaluated from ${values.evaluations} under ${values.protocol}`])) };
  const order = new Map<string, number>();
  for (const key of [...done.map((d) => d.name ?? ''), ...jobs.map((j) => j.key)]) if (!order.has(key)) order.set(key, order.size);
  const save = (): void =>
    writeRecord(recordFile, {
      protocol: values.protocol,
      backend: values.backend,
      threads: 1,
      source: values.evaluations,
      groups: legend,
      evaluations: [...done].sort((a, b) => (order.get(a.name ?? '') ?? 0) - (order.get(b.name ?? '') ?? 0)),
    });
  const todo = jobs.filter((j) => !done.some((d) => d.name === j.key));
  process.stderr.write(`${jobs.length} cells, ${jobs.length - todo.length} already trained, ${todo.length} to train, ${values.parallel} side by side\n`);
  await pool(
    todo.map((job) => async () => {
      const file = join(out, 'cells', `${job.key}.json`);
      writeFileSync(file, JSON.stringify(job.genotype, null, 2) + '\n');
      const r = (await bnasJson(['evaluate', file, '--data', values.protocol!, '--seed', String(job.seed), '--backend', values.backend!, '--threads', '1'])) as {
        accuracy: number;
        seconds: number;
        parameters: number;
      };
      done.push({ name: job.key, group: job.group, seed: job.seed, accuracy: r.accuracy, seconds: r.seconds, parameters: r.parameters, genotype: job.genotype });
      save();
      process.stderr.write(`${job.key}: ${(100 * r.accuracy).toFixed(2)} % (${r.seconds.toFixed(0)} s)\n`);
    }),
    Number(values.parallel),
  );
}

if (process.argv[1]?.endsWith('reevaluate.ts')) await main();
