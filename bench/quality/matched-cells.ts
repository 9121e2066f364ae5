/**
 * Random cells with a searched cell's ops: the control that asks whether a search's wiring and
 * op placement matter once its op choice is given (bench/quality/README.md, "The searched cells
 * against random cells with their ops"). For each searched cell pair it draws N cell pairs whose
 * normal and reduction cells carry the same multiset of ops as the searched ones, placed in a
 * random order on random wiring: two distinct inputs per node, drawn as `randomGenotype` draws
 * them (`randomInputs`), redrawn until the cell has no more edges from intermediate nodes than `--max-inner`
 * allows (the cap the searches derived under). The draws are seeded by the searched trial's seed
 * (stream `matched-cells`), so a rerun writes the same cells.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/matched-cells.ts
 *   SWEEP_DIR --out DIR [--per-seed N] [--max-inner N] [--all OP]
 *   SWEEP_DIR   a `bnas sweep` output folder; its `results/seed-S.json` are the searched cells
 *   --out       writes `seed-S-i.json` (a genotype `bnas evaluate` takes) for i < N
 *   --per-seed  cells per searched cell (default 2)
 *   --max-inner edges from intermediate nodes allowed per cell (default 1)
 *   --all       the same cells with every op replaced by OP: the same wiring with the trivial
 *               choice of ops (e.g. `conv_3x3` everywhere), paired with the matched cells
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../../runtime/random/rng.js';
import { randomInputs } from '../../runtime/supernet/random-cells.js';
import type { Genotype, GenotypeEdge } from '../../runtime/protocol/genotype.js';

/** A cell with `cell`'s ops in a random order on random wiring with at most `maxInner` inner edges. */
export function matchedCell(cell: readonly GenotypeEdge[], maxInner: number, rng: { int(n: number): number }): GenotypeEdge[] {
  const nodes = cell.length / 2;
  let inputs: number[];
  do {
    inputs = [];
    for (let j = 0; j < nodes; j++) inputs.push(...randomInputs(j, rng));
  } while (inputs.filter((i) => i >= 2).length > maxInner);
  const ops = cell.map(([op]) => op);
  for (let i = ops.length - 1; i > 0; i--) {
    const k = rng.int(i + 1);
    [ops[i], ops[k]] = [ops[k], ops[i]];
  }
  return inputs.map((input, i) => [ops[i], input]);
}

/** N cell pairs matched to `searched`, from the trial seed's own stream. */
export function matchedGenotypes(searched: Genotype, seed: number, n: number, maxInner: number): Genotype[] {
  const rng = Rng.stream(seed, 'matched-cells');
  return Array.from({ length: n }, () => ({
    normal: matchedCell(searched.normal, maxInner, rng),
    normal_concat: searched.normal_concat,
    reduce: matchedCell(searched.reduce, maxInner, rng),
    reduce_concat: searched.reduce_concat,
  }));
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' }, 'per-seed': { type: 'string', default: '2' }, 'max-inner': { type: 'string', default: '1' }, all: { type: 'string' } },
  });
  if (positionals.length !== 1 || !values.out) throw new Error('usage: matched-cells.ts SWEEP_DIR --out DIR [--per-seed N] [--max-inner N] [--all OP]');
  const all = values.all;
  const only = (cell: readonly GenotypeEdge[]): GenotypeEdge[] => (all ? cell.map(([, input]) => [all, input]) : [...cell]);
  const n = Number(values['per-seed']);
  const maxInner = Number(values['max-inner']);
  const results = join(positionals[0], 'results');
  mkdirSync(values.out, { recursive: true });
  for (const file of readdirSync(results).filter((f) => /^seed-\d+\.json$/.test(f))) {
    const seed = Number(/\d+/.exec(file)![0]);
    const searched = (JSON.parse(readFileSync(join(results, file), 'utf8')) as { genotype: Genotype }).genotype;
    matchedGenotypes(searched, seed, n, maxInner).forEach((g, i) => {
      const path = join(values.out!, `seed-${seed}-${i}.json`);
      writeFileSync(path, JSON.stringify({ ...g, normal: only(g.normal), reduce: only(g.reduce) }) + '\n');
      process.stdout.write(`${path}\n`);
    });
  }
}

if (process.argv[1]?.endsWith('matched-cells.ts')) main();
