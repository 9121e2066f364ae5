/**
 * This runtime's contender in derived-peer.ts, in its own process: `bnas evaluate`'s training step
 * (runtime/search/evaluate.ts: forward, backward, clipping and the SGD-momentum update, in the
 * micro-batches `bnas evaluate` plans for the backend) on the derived network of a genotype.
 * Random batches (a step's cost does not depend on the values); `--warmup` steps are not timed.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/derived-step.ts
 *   --space FILE [--set key=value]... --genotype FILE [--channels 1] [--classes 10]
 *   [--backend wasm|node] [--threads 1] [--steps 3] [--warmup 1]
 * Prints one JSON line (derived-peer.ts's step record: images/s, ms a step, CPU ms a step, …).
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendChoice } from '../../runtime/engine/index.js';
import { microBatchPlan } from '../../runtime/dsl/memory.js';
import type { Batch } from '../../runtime/data/index.js';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { adaptGenotype, EvalThreads } from '../../runtime/search/evaluate.js';
import { Optimizer, scheduledLr } from '../../runtime/search/optimizers.js';
import { partSize } from '../../runtime/search/shards.js';
import { Rng } from '../../runtime/random/rng.js';
import { DiscreteNetwork } from '../../runtime/supernet/discrete.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';
import { timedSteps } from './derived-peer-plan.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions(),
    genotype: { type: 'string' },
    channels: { type: 'string', default: '1' },
    classes: { type: 'string', default: '10' },
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string', default: '1' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
  },
});
if (!values.space || !values.genotype) throw new Error('derived-step.ts needs --space and --genotype');
const { space } = loadBenchSpace(values.space, values.set ?? []);
const info = await initBackend(values.backend as BackendChoice);
const backend = info.name === 'tensorflow' ? 'node' : (info.name as BackendChoice);
const threads = Number(values.threads), channels = Number(values.channels), numClasses = Number(values.classes);
const size = space.data.image ?? 28;
const input = [size, size, channels] as const;
const batch = space.train.batch;
const genotype = adaptGenotype(readGenotype(values.genotype), space).genotype;
const plan = microBatchPlan(space, info.name, threads, { image: size, inChannels: channels, classes: numClasses });
const microBatch = partSize(plan);
const net = new DiscreteNetwork(space, genotype, { input, numClasses, seed: 1 });
const opt = new Optimizer(space.optimizers.weights, 'opt.eval');
const th = await EvalThreads.start(net, { space, genotype, input, numClasses, seed: 1, backend, microBatch }, threads);
const rng = new Rng(1);
const draw = (): Batch => ({
  x: new Float32Array(batch * size * size * channels).map(() => rng.normal()),
  y: Int32Array.from({ length: batch }, () => rng.int(numClasses)),
  n: batch,
  shape: [batch, size, size, channels],
});
const batches = [draw(), draw()];
const lr = scheduledLr(space.optimizers.weights, 0, space.train.epochs);
let i = 0;
const result = await timedSteps(async () => {
  await th.step(opt, batches[i++ % batches.length], lr);
}, Number(values.warmup), Number(values.steps), batch);
await th.close();
const parameters = net.parameterCount();
opt.dispose();
net.dispose();
console.log(JSON.stringify({ ...result, backend: info.name, threads, batch, input: [channels, size, size], classes: numClasses, parameters, micro_batch: { size: plan.size, count: plan.count } }));
process.exit(0);
