/**
 * The samples of a search's and an evaluation's work that `auto` times on each backend that loads
 * (docs/design.md, "Backends and kernels"): the real network of the space at its real batch, one
 * weight step, on the dataset's first images. Everything the probe makes is disposed.
 * Also the steps `--threads auto` times at two batch sizes (runtime/engine/cores.ts), on a
 * throwaway network, so the run's own weights do not change.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { Batch, DataSplit, Dataset } from '../data/index.js';
import type { StepSampler } from '../engine/cores.js';
import type { BackendProbe } from '../engine/backend.js';
import type { SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { DiscreteNetwork } from '../supernet/discrete.js';
import { Supernet } from '../supernet/supernet.js';
import { trainStep } from './evaluate.js';
import { Optimizer } from './optimizers.js';
import { Trainer } from './trainer.js';
import { microBatchOf, partSize } from './shards.js';

/**
 * The micro-batch size a step takes on the active backend (one thread): a probe times the step
 * as a run computes it, and must not overflow a heap that the run's micro-batches would spare.
 */
function partHere(space: SearchSpace, dataset: Dataset): number {
  return partSize(microBatchOf(space, dataset, tf.getBackend(), 1));
}

function shapeKey(kind: string, space: SearchSpace, batch: Batch): string {
  const shape = { kind, supernet: space.supernet, ops: space.ops, sampling: space.sampling, binarize: space.binarize, batch: batch.shape };
  return `${kind} ${createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16)}`;
}

/** Wall time of `f`, whose results are read back (so a GPU's queue is included). */
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

/** One weight step of the space's supernet at the search's batch. */
export function searchStepProbe(space: SearchSpace, dataset: Dataset): BackendProbe {
  const batch = dataset.weights.slice(0, Math.min(space.train.batch, dataset.weights.size));
  return {
    label: 'a supernet weight step of this space',
    key: shapeKey('search', space, batch),
    async run() {
      const net = new Supernet(space, { input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses, seed: 1 });
      const trainer = new Trainer(net, space, dataset.numClasses);
      trainer.microBatch = partHere(space, dataset);
      try {
        return await timed(() => trainer.weightStep(batch, 0.01));
      } finally {
        trainer.dispose();
        net.dispose();
      }
    },
  };
}

/**
 * One training step of the derived network of `genotype` at the space's batch (`bnas evaluate`).
 * Cached by the space's shape, not the genotype: cells of one space cost alike enough for the choice.
 */
export function evaluateStepProbe(space: SearchSpace, genotype: Genotype, dataset: Dataset): BackendProbe {
  const batch = dataset.train.slice(0, Math.min(space.train.batch, dataset.train.size));
  return {
    label: 'a training step of the derived network',
    key: shapeKey('evaluate', space, batch),
    async run() {
      const net = new DiscreteNetwork(space, genotype, { input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses, seed: 1 });
      const opt = new Optimizer(space.optimizers.weights, 'opt.probe');
      try {
        return await timed(() => trainStep(net, opt, batch, 0.01, dataset.numClasses, partHere(space, dataset)));
      } finally {
        opt.dispose();
        net.dispose();
      }
    },
  };
}

/** CPU milliseconds of `f` (the process's: call it while no worker of this process computes). */
async function cpuTimed(f: () => Promise<void>): Promise<number> {
  const c = process.cpuUsage();
  await f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
}

/** A step sampler over `from`'s first images, from a network built by `make` (see {@link StepSampler}). */
function sampler(make: () => { step: (b: Batch) => Promise<void>; dispose: () => void }, from: DataSplit): () => StepSampler {
  return () => {
    const rig = make();
    return {
      step: (images) => cpuTimed(() => rig.step(from.slice(0, Math.max(1, Math.min(images, from.size))))),
      dispose: rig.dispose,
    };
  };
}

/** The search's step for `--threads auto`: an architecture step and a weight step of the space's supernet. */
export function searchStepSampler(space: SearchSpace, dataset: Dataset): () => StepSampler {
  return sampler(() => {
    const net = new Supernet(space, { input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses, seed: 1 });
    const trainer = new Trainer(net, space, dataset.numClasses);
    trainer.microBatch = partHere(space, dataset);
    return {
      step: async (b) => {
        await trainer.archStep(b, space.train.warmup);
        await trainer.weightStep(b, 0.01);
      },
      dispose: () => {
        trainer.dispose();
        net.dispose();
      },
    };
  }, dataset.weights);
}

/** A training step of the derived network of `genotype` (`bnas evaluate`) for `--threads auto`. */
export function evaluateStepSampler(space: SearchSpace, genotype: Genotype, dataset: Dataset): () => StepSampler {
  return sampler(() => {
    const net = new DiscreteNetwork(space, genotype, { input: [dataset.height, dataset.width, dataset.channels], numClasses: dataset.numClasses, seed: 1 });
    const opt = new Optimizer(space.optimizers.weights, 'opt.threads-probe');
    return {
      step: async (b) => {
        await trainStep(net, opt, b, 0.01, dataset.numClasses, partHere(space, dataset));
      },
      dispose: () => {
        opt.dispose();
        net.dispose();
      },
    };
  }, dataset.train);
}
