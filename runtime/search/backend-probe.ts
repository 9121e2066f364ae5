/**
 * The samples of a search's and an evaluation's work that `auto` times on each backend that loads
 * (docs/design.md, "Backends and kernels"): the real network of the space at its real batch, one
 * weight step, on the dataset's first images. Everything the probe makes is disposed.
 * Also the steps `--threads auto` times on 1 and on more threads (runtime/engine/cores.ts), on a
 * throwaway network, so the run's own weights do not change.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { Batch, DataSplit, Dataset } from '../data/index.js';
import type { StepRig, StepSampler } from '../engine/cores.js';
import type { BackendProbe } from '../engine/backend.js';
import type { SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { DiscreteNetwork } from '../supernet/discrete.js';
import { Supernet } from '../supernet/supernet.js';
import { EvalThreads, trainStep } from './evaluate.js';
import { Optimizer } from './optimizers.js';
import { SearchThreads } from './parallel.js';
import { backendChoiceOf } from './replica-protocol.js';
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

/** The shape of a dataset's images and labels, and the batch a sampler steps on. */
export interface SampleData extends Pick<Dataset, 'height' | 'width' | 'channels' | 'numClasses'> {
  readonly batch: Batch;
}

/** The first images of `split` at the space's batch, with `dataset`'s shape. */
function firstBatch(space: SearchSpace, dataset: Dataset, split: DataSplit): SampleData {
  return { height: dataset.height, width: dataset.width, channels: dataset.channels, numClasses: dataset.numClasses, batch: split.slice(0, Math.min(space.train.batch, split.size)) };
}

/** A rig whose step is `step` on `d.batch`, timed by the wall clock (see {@link StepRig}). */
function rig(step: (b: Batch) => Promise<unknown>, d: SampleData, close: () => Promise<void>): StepRig {
  return { step: () => timed(() => step(d.batch)), close };
}

/**
 * The search's step for `--threads auto` (runtime/engine/cores.ts): an architecture step and a
 * weight step of the space's supernet on `d.batch`, on one throwaway supernet for every thread count.
 */
export function searchStepSampler(space: SearchSpace, dataset: Dataset): () => StepSampler {
  return supernetStepSampler(space, firstBatch(space, dataset, dataset.weights));
}

/** {@link searchStepSampler} on a given batch (benchmarks draw their own). */
export function supernetStepSampler(space: SearchSpace, d: SampleData): () => StepSampler {
  return () => {
    const input = [d.height, d.width, d.channels] as const;
    const net = new Supernet(space, { input: [...input], numClasses: d.numClasses, seed: 1 });
    const trainer = new Trainer(net, space, d.numClasses);
    const sgd = new Optimizer({ ...space.optimizers.weights, kind: 'sgd', momentum: 0 }, 'opt.threads-probe');
    return {
      start: async (threads) => {
        const microBatch = partSize(microBatchOf(space, d, tf.getBackend(), threads));
        trainer.microBatch = microBatch;
        const th = await SearchThreads.start(trainer, sgd, { space, input, numClasses: d.numClasses, seed: 1, backend: backendChoiceOf(tf.getBackend()), microBatch }, threads);
        return rig(async (b) => {
          trainer.microBatch = microBatch;
          await th.archStep(b, space.train.warmup);
          await th.weightStep(b, 0.01);
        }, d, () => th.close());
      },
      dispose: () => {
        sgd.dispose();
        trainer.dispose();
        net.dispose();
      },
    };
  };
}

/** A training step of the derived network of `genotype` (`bnas evaluate`) for `--threads auto`. */
export function evaluateStepSampler(space: SearchSpace, genotype: Genotype, dataset: Dataset): () => StepSampler {
  return derivedStepSampler(space, genotype, firstBatch(space, dataset, dataset.train));
}

/** {@link evaluateStepSampler} on a given batch (benchmarks draw their own). */
export function derivedStepSampler(space: SearchSpace, genotype: Genotype, d: SampleData): () => StepSampler {
  return () => {
    const input = [d.height, d.width, d.channels] as const;
    const net = new DiscreteNetwork(space, genotype, { input: [...input], numClasses: d.numClasses, seed: 1 });
    const opt = new Optimizer(space.optimizers.weights, 'opt.threads-probe');
    return {
      start: async (threads) => {
        const microBatch = partSize(microBatchOf(space, d, tf.getBackend(), threads));
        const th = await EvalThreads.start(net, { space, genotype, input, numClasses: d.numClasses, seed: 1, backend: backendChoiceOf(tf.getBackend()), microBatch }, threads);
        return rig((b) => th.step(opt, b, 0.01), d, () => th.close());
      },
      dispose: () => {
        opt.dispose();
        net.dispose();
      },
    };
  };
}
