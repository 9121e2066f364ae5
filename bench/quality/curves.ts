/**
 * Learning curves of from-scratch training (a diagnostic): test accuracy after every epoch
 * for a few cells under the quality protocol, so a budget can be chosen where the curves have
 * flattened and cell differences show. Cells: random cells of the space (the `randomGenotype`
 * stream of run.ts) and the derived cells of a recorded run (`--from quality.json`).
 *
 * Usage: npx tsx bench/quality/curves.ts [--space bench/quality/fashion-mnist.bnas] [--train N]
 *          [--test N] [--image N] [--epochs N] [--random N] [--skip-random N] [--from FILE.json] [--modes bnas,darts]
 *          [--genotypes LIST.json] [--float] [--out FILE.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import type { Genotype } from '../../runtime/protocol/genotype.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const file = opt('space', 'bench/quality/fashion-mnist.bnas');
const loaded = loadSearchSpace(readFileSync(file, 'utf8'), { filePath: file, checkFiles: true });
if (!loaded.space) throw new Error(`${file}: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
const base = loaded.space;
const num = (name: string, dflt: number | undefined) => (argv.includes(`--${name}`) ? Number(opt(name, '')) : dflt);
const space: SearchSpace = {
  ...base,
  data: { ...base.data, train: num('train', base.data.train)!, test: num('test', base.data.test)!, image: num('image', base.data.image) },
  supernet: { ...base.supernet, channels: num('channels', base.supernet.channels)! },
  train: { ...base.train, batch: num('batch', base.train.batch)! },
};
const epochs = num('epochs', 10)!;

const { initBackend } = await import('../../runtime/engine/index.js');
await initBackend('wasm');
const { loadDataset } = await import('../../runtime/data/index.js');
const { trainGenotype, realValuedSpace } = await import('../../runtime/search/evaluate.js');
const { randomGenotype } = await import('../../runtime/supernet/random-cells.js');
const { Rng } = await import('../../runtime/random/rng.js');
const dataset = await loadDataset(space.data, { seed: space.train.seed });
const initSeed = Rng.stream(space.train.seed, 'eval').seed();
const cells: { name: string; genotype: Genotype }[] = [];
const rng = Rng.stream(space.train.seed, 'random-cells');
// --skip-random N: draw (and skip) the first N random cells, e.g. those a recorded run trained.
const skip = num('skip-random', 0)!;
for (let i = 0; i < skip + num('random', 2)!; i++) {
  const genotype = randomGenotype(space, rng);
  if (i >= skip) cells.push({ name: `random ${i + 1}`, genotype });
}
// --genotypes FILE: a JSON list of { name, genotype } (e.g. cells of single searches).
const listed = opt('genotypes', '');
if (listed) cells.push(...(JSON.parse(readFileSync(listed, 'utf8')) as { name: string; genotype: Genotype }[]));
const from = opt('from', '');
if (from) {
  const modes = opt('modes', 'bnas').split(',');
  const rec = JSON.parse(readFileSync(from, 'utf8')) as { results: { dataset: string; searches: { mode: string; seed: number; genotype: Genotype }[] }[] };
  const r = rec.results.find((x) => file.includes(x.dataset)) ?? rec.results[0];
  for (const s of r.searches) if (modes.includes(s.mode)) cells.push({ name: `${s.mode} seed ${s.seed}`, genotype: s.genotype });
}
process.stderr.write(`${dataset.description}: ${space.data.train} train, ${space.data.test} test, ${epochs} epochs, channels ${space.supernet.channels}, batch ${space.train.batch}\n`);
const out: unknown[] = [];
for (const c of cells) {
  for (const s of argv.includes('--float') ? [space, realValuedSpace(space)] : [space]) {
    const r = await trainGenotype(s, c.genotype, dataset, { epochs, seed: initSeed, curve: true });
    const tag = s === space ? 'binary' : 'float';
    process.stderr.write(`${c.name} (${tag}): ${r.seconds.toFixed(1)} s, ${r.parameters} params, test ${r.curve!.map((a) => (100 * a).toFixed(1)).join(' ')}; loss ${r.losses.map((l) => l.toFixed(2)).join(' ')}\n`);
    out.push({ name: c.name, precision: tag, seconds: r.seconds, curve: r.curve, losses: r.losses, genotype: c.genotype });
  }
}
const o = opt('out', '');
if (o) writeFileSync(o, JSON.stringify({ space: file, protocol: space.data, epochs, cells: out }, null, 2) + '\n');
