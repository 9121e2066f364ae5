/**
 * What `--threads auto` decides for a space and what its trial costs, with the cores probe's
 * answer given (`--speedup S`, default: measured): on a loaded machine the probe keeps every
 * count at 1 thread and the trial never runs, so this forces it to show the step timings.
 * `--remember` reads and writes the user's trial cache as the CLI does (runtime/engine/backend-cache.ts).
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/auto-trial.ts [--space examples/quick.bnas] [--set key=value]... [--speedup 2] [--work search|evaluate] [--remember]
 */
import { initBackend } from '../../runtime/engine/index.js';
import { coresOnce, resolveThreads } from '../../runtime/engine/cores.js';
import { userTrialMemory } from '../../runtime/engine/backend-cache.js';
import { loadDataset } from '../../runtime/data/index.js';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { adaptGenotype } from '../../runtime/search/evaluate.js';
import { evaluateStepProbe, evaluateStepSampler, searchStepProbe, searchStepSampler } from '../../runtime/search/backend-probe.js';
import { benchArgs } from './space-bench.js';
import { loadBenchSpace } from '../space-args.js';
import { loadAverage } from '../record.js';

const { values, file, sets, backend } = benchArgs({ space: 'examples/quick.bnas', steps: 0 }, {
  speedup: { type: 'string' },
  remember: { type: 'boolean', default: false },
  work: { type: 'string', default: 'search' },
  genotype: { type: 'string', default: 'bench/search/reference-cells/pc-darts-cifar.json' },
});
const info = await initBackend(backend);
const { space, label } = loadBenchSpace(file, sets);
const dataset = await loadDataset(space.data, { seed: space.train.seed });
const genotype = values.work === 'evaluate' ? adaptGenotype(readGenotype(values.genotype as string), space).genotype : undefined;
const sampler = genotype ? evaluateStepSampler(space, genotype, dataset) : searchStepSampler(space, dataset);
const memory = values.remember ? userTrialMemory((genotype ? evaluateStepProbe(space, genotype, dataset) : searchStepProbe(space, dataset)).key) : undefined;
const cores = values.speedup ? async () => ({ threads: 2, speedup: Number(values.speedup) }) : coresOnce;
const load = loadAverage();
const t = performance.now();
const r = await resolveThreads('auto', space.train.batch, info.name, sampler, cores, memory);
console.log(`${label} (${values.work as string}, ${info.name}), load ${load} → ${loadAverage()}: ${r.threads} thread(s) after ${((performance.now() - t) / 1000).toFixed(1)} s; ${r.reason}`);
process.exit(0);
