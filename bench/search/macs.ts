/**
 * The multiply-adds a whole search performs (runtime/dsl/search-compute.ts), for a space and for
 * run folders: what an engine whose time were proportional to its arithmetic would measure. Every
 * mode of bench/search/run.ts gets the same accounting. `--bounds` gives, without a run, the range
 * the ratio to PC-DARTS mode can take under the space's schedule whatever ops a round abandons:
 * the best case abandons the costliest op of every edge each round (and keeps the cheapest real
 * op), the worst case the cheapest.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/search/macs.ts --space FILE [--set key=value]...
 *   [--run DIR]... [--bounds]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { boundEvents, estimateSupernetCompute, searchMacs, totalMacs, unprunedMacs, type EpochMacs, type PruneEvent } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';

/**
 * The `pruned` events of a run's events.jsonl as decisions on `space`'s ops. A decision the space
 * cannot hold (an op it does not declare, an edge it does not have) is an error naming the run:
 * the run searched another space.
 */
export function prunedEvents(space: SearchSpace, eventsText: string, run = 'the run'): PruneEvent[] {
  const names = space.ops.map((o) => o.name);
  const edges = (space.supernet.nodes * (space.supernet.nodes + 3)) / 2;
  return eventsText.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.type === 'pruned')
    .map((e) => {
      const op = names.indexOf(e.op as string);
      const edge = e.edge as number;
      if (op < 0 || !(Number.isInteger(edge) && edge >= 0 && edge < edges) || (e.cell !== 'normal' && e.cell !== 'reduce')) {
        throw new Error(`${run} abandoned ${String(e.op)} on ${String(e.cell)} edge ${String(edge)}, which the space does not have (ops: ${names.join(', ')}; ${edges} edges): pass the space the run searched`);
      }
      return { epoch: e.epoch as number, cell: e.cell, edge, op };
    });
}

function main(): void {
  const { values } = parseArgs({ options: { ...spaceOptions(), run: { type: 'string', multiple: true }, bounds: { type: 'boolean' } } });
  if (!values.space) throw new Error('--space FILE is required (a .bnas file)');
  const { space, label } = loadBenchSpace(values.space, values.set);
  const est = estimateSupernetCompute(space);
  const reference = unprunedMacs(space, est);
  const g = (x: number) => (x / 1e9).toFixed(1);
  console.log(`${label}: ${(est.total / 1e6).toFixed(2)} M multiply-adds per image forward with every op, ${(est.fixed / 1e6).toFixed(2)} M fixed (${(100 * est.fixed / est.total).toFixed(0)} %: stem ${(est.stem / 1e6).toFixed(2)}, pre-processing ${(est.preprocess / 1e6).toFixed(2)}, mix ${(est.mix / 1e6).toFixed(2)}, head ${(est.head / 1e6).toFixed(3)})`);
  console.log(`PC-DARTS mode (no pruning): ${g(reference)} G multiply-adds a search`);
  const show = (label: string, epochs: EpochMacs[]) => {
    const t = totalMacs(epochs);
    console.log(`${label}: ${g(t)} G, ${(t / reference).toFixed(3)} of PC-DARTS mode; per epoch (train/valid/prune G, ops alive): ${epochs.map((e) => `${g(e.train)}/${g(e.valid)}/${g(e.prune)} (${e.opsAlive})`).join(', ')}`);
  };
  if (values.bounds) {
    show('best case (costliest op abandoned first)', searchMacs(space, boundEvents(space, 'best', est), est));
    show('worst case (cheapest op abandoned first)', searchMacs(space, boundEvents(space, 'worst', est), est));
  }
  for (const dir of values.run ?? []) {
    const events = join(dir, 'events.jsonl');
    if (!existsSync(events)) throw new Error(`--run ${dir}: no events.jsonl there (--run takes a run folder, as bnas search --out writes it)`);
    show(dir, searchMacs(space, prunedEvents(space, readFileSync(events, 'utf8'), `run ${dir}`), est));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
