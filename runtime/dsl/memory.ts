/**
 * Memory and size estimate of a supernet before a run (for the `budget.memory_mb` warning and
 * the search-space view). A supernet keeps the activations of every candidate op on every edge
 * for the backward pass, so memory grows with batch × resolution² × channels × ops × edges;
 * partial channels divide the mixed-op part by k. This is an estimate of float32 tensors kept
 * alive during one training step (the forward activations, about as much again in the backward
 * pass, and weights with gradient and momentum), not a measurement: backends add workspace.
 */
import { STEM_KERNEL, planCells } from './cells.js';
import { SOURCE_CLASSES, SOURCE_IMAGE_SIZE } from './schema.js';
import { takesShortcut, type OpSpec, type SearchSpace } from './space.js';

/** Bytes per element: every tensor in the supernet is float32 (binary values are stored as ±1 floats). */
const BYTES = 4;
/** The backward pass holds about as much again as the forward pass keeps. */
const BACKWARD_FACTOR = 2;
/** Each weight is held with its gradient and a momentum slot. */
const COPIES_PER_WEIGHT = 3;
/** Classes assumed for IDX files, whose labels are only known once read (MNIST's). */
const FALLBACK_CLASSES = 10;
/** Image size assumed for IDX files whose size is only known once read. */
const FALLBACK_IMAGE = 28;
/** Input channels per source (the synthetic source draws colour images). */
const INPUT_CHANNELS: Readonly<Record<string, number>> = { cifar10: 3, synthetic: 3 };

/** Channels of the images a space's source gives (colour or grey). */
export function inputChannelsOf(space: SearchSpace): number {
  return INPUT_CHANNELS[space.data.source] ?? 1;
}

/** Classes of a space's source (a run passes its data set's). */
export function classesOf(space: SearchSpace): number {
  return SOURCE_CLASSES[space.data.source] ?? FALLBACK_CLASSES;
}

/** Per-cell part of an estimate. */
export interface CellMemory {
  readonly index: number;
  readonly reduction: boolean;
  /** Channels of each intermediate node (C doubled at every reduction so far). */
  readonly channels: number;
  /** Output resolution (square). */
  readonly resolution: number;
  readonly activationsMb: number;
}

/** The estimate for one search space. */
export interface MemoryEstimate {
  /** Activations plus weights (with gradients and optimizer slots), MB (2^20 bytes). */
  readonly totalMb: number;
  readonly activationsMb: number;
  readonly weightsMb: number;
  /**
   * Trainable supernet weights (not counting α and β): stem, pre-processing, every candidate op
   * of every edge and the classifier with its bias; the count a run reports as `parameters`.
   */
  readonly parameters: number;
  /** Image size the estimate assumes. */
  readonly imageSize: number;
  readonly cells: readonly CellMemory[];
}

/**
 * Activation maps an op keeps for the backward pass, in units of its output tensor
 * (batch × out-res² × C/k). The counts follow the candidate ops of the runtime
 * (`runtime/supernet/candidate-ops.ts`): ReLU, sign input, conv and batch-norm outputs.
 */
function opActivationMaps(op: OpSpec, stride: number): number {
  let maps: number;
  switch (op.kind) {
    case 'zero':
      maps = 0;
      break;
    case 'skip':
      maps = stride === 1 ? 0 : 4; // identity keeps nothing; the factorized reduce keeps 4
      break;
    case 'max_pool':
    case 'avg_pool':
      maps = 3;
      break;
    case 'conv':
      maps = 3;
      break;
    case 'dil_conv':
      maps = 5;
      break;
    case 'sep_conv':
      maps = 10;
      break;
  }
  return maps * op.repeat;
}

/**
 * Trainable weights of one op at `c` channels and `stride` (batch norms in the search have no
 * affine terms): the convs of each repeat; a strided skip is a factorized reduce (two 1×1 convs
 * to c/2 each), the later repeats of a skip are identities.
 */
function opParameters(op: OpSpec, c: number, stride: number): number {
  const k2 = op.kernel * op.kernel;
  switch (op.kind) {
    case 'conv':
      return k2 * c * c * op.repeat;
    case 'dil_conv':
      return (k2 * c + c * c) * op.repeat;
    case 'sep_conv':
      return 2 * (k2 * c + c * c) * op.repeat;
    case 'skip':
      return stride === 1 ? 0 : c * c;
    default:
      return 0;
  }
}

/** The image size a space trains on (its `image`, else the source's own size). */
export function imageSizeOf(space: SearchSpace): number {
  return space.data.image ?? SOURCE_IMAGE_SIZE[space.data.source] ?? FALLBACK_IMAGE;
}

/** Channel count of the intermediate nodes of every cell (doubling at each reduction cell). */
export function cellChannels(space: SearchSpace): number[] {
  return planCells(space, 1).map((p) => p.channels);
}

const MB = 1024 * 1024;

/** What the data gives, where the run knows it better than the space: the defaults are the space's. */
export interface MemoryInputs {
  readonly image?: number;
  readonly inChannels?: number;
  readonly batch?: number;
  readonly classes?: number;
  /**
   * The machine's memory in MB (a run passes `os.totalmem()`), the ceiling of the backends that
   * allocate per tensor in the process's own memory ({@link SYSTEM_BACKENDS}); absent: no ceiling.
   */
  readonly systemMb?: number;
}

/**
 * Estimates the memory of one supernet training step and the supernet's weight count: the one
 * estimate, for the editor's budget warning and for the run (runtime/supernet/memory.ts passes
 * the data set's sizes), so the two agree.
 *
 * @param space a validated search space (defaults filled).
 * @param inputs the data's sizes when known (a run); else the space's.
 * @returns totals in MB and a per-cell breakdown.
 */
export function estimateSupernetMemory(space: SearchSpace, inputs: MemoryInputs = {}): MemoryEstimate {
  const { supernet, sampling } = space;
  const batch = inputs.batch ?? space.train.batch;
  const k = Math.max(1, sampling.k);
  const image = inputs.image ?? imageSizeOf(space);
  const inChannels = inputs.inChannels ?? inputChannelsOf(space);
  const stemC = supernet.channels * supernet.stemMultiplier;

  // Stem: the input, and conv, batch-norm and ReLU outputs at full resolution.
  let activations = batch * image * image * (inChannels + 3 * stemC);
  let parameters = STEM_KERNEL * STEM_KERNEL * inChannels * stemC;

  let inRes = image;
  let lastC = stemC;
  const cells: CellMemory[] = [];
  for (const plan of planCells(space, image)) {
    const c = plan.channels;
    const reduction = plan.kind === 'reduce';
    const outRes = plan.size;
    const part = c / k;
    // Pre-processing of both inputs: ReLU, 1×1 conv, batch norm (3 maps each at input size).
    let cellActs = 2 * 3 * batch * inRes * inRes * c;
    parameters += (plan.inPrevPrev + plan.inPrev) * c;
    for (let node = 0; node < supernet.nodes; node++) {
      for (let from = 0; from < node + 2; from++) {
        const stride = reduction && from < 2 ? 2 : 1;
        for (const op of space.ops) {
          cellActs += opActivationMaps(op, stride) * batch * outRes * outRes * part;
          parameters += opParameters(op, part, stride);
          // The search's learned shortcut gain (binarize.shortcut_gain): one per op and edge.
          if (space.binarize.shortcut && space.binarize.shortcutGain !== undefined && takesShortcut(op.kind, stride)) parameters += 1;
        }
        // Channel slice, weighted sum, bypass, concatenation, shuffle and the β-weighted term.
        cellActs += batch * outRes * outRes * (2 * part + 4 * c);
      }
    }
    activations += cellActs;
    cells.push({ index: plan.index, reduction, channels: c, resolution: outRes, activationsMb: (cellActs * BYTES * BACKWARD_FACTOR) / MB });
    lastC = plan.out;
    inRes = outRes;
  }
  const classes = inputs.classes ?? classesOf(space);
  parameters += (lastC + 1) * classes;
  const activationsMb = (activations * BYTES * BACKWARD_FACTOR) / MB;
  const weightsMb = (parameters * BYTES * COPIES_PER_WEIGHT) / MB;
  return { totalMb: activationsMb + weightsMb, activationsMb, weightsMb, parameters, imageSize: image, cells };
}

/**
 * Backends whose tensors live in one heap of bounded size, in MB: the wasm backend addresses its
 * memory with 32 bits (4 GB). The others (native TensorFlow, WebGPU, cpu) allocate per tensor.
 */
export const HEAP_MB: Readonly<Record<string, number | undefined>> = { wasm: 4096 };

/**
 * Share of a bounded heap the estimate may fill when micro-batches are chosen automatically: the
 * estimate counts the tensors a step keeps, not the workspace of kernels and the heap's
 * fragmentation (bench/engine/README.md, "Memory at the papers' batch").
 */
export const HEAP_SHARE = 0.5;

/**
 * Backends that allocate per tensor in the process's memory, with the ratio of a step's peak RSS to
 * the estimate at the same part: measured on the native backend, whose allocator and read-back
 * copies add to the tensors (bench/engine/README.md, "Memory at the papers' batch"); cpu, the
 * reference backend, is given the same ratio, unmeasured. Their
 * automatic plan fits {@link HEAP_SHARE} of the machine's memory, shared by the threads. WebGPU's
 * tensors live in GPU memory, whose size the adapter does not report: it gets one part.
 */
export const SYSTEM_BACKENDS: Readonly<Record<string, number | undefined>> = { tensorflow: 1.4, cpu: 1.4 };

/** The backend whose memory a name or choice means (`auto`: wasm's heap is assumed; `node`: TensorFlow). */
function memoryBackend(backend: string): string {
  return backend === 'auto' ? 'wasm' : backend === 'node' ? 'tensorflow' : backend;
}

/** How a step's batch is cut into micro-batches (docs/method.md, "Micro-batches"). */
export interface MicroBatchPlan {
  /** Images per micro-batch of one thread's shard (the last parts may hold one fewer). */
  readonly size: number;
  /** Micro-batches per thread's shard of a step (1: the shard is computed at once). */
  readonly count: number;
  /** Why: asked for, fits, or the estimate against the heap. */
  readonly reason: string;
}

/**
 * The micro-batches of a step of `space` on `backend` with `threads` data-parallel threads (each
 * thread holds its shard of the batch in its own heap): `train.micro_batch` when set, else the
 * whole shard, unless the backend's heap is bounded ({@link HEAP_MB}) and the estimate at the
 * shard exceeds {@link HEAP_SHARE} of it, or the backend allocates in the process's memory
 * ({@link SYSTEM_BACKENDS}), `inputs.systemMb` is given and the estimate, scaled by the backend's
 * measured overhead, exceeds that share of the machine's memory divided among the threads: then
 * the fewest equal parts whose estimate fits.
 * @param backend a backend name (`wasm`, `tensorflow`, `webgpu`, `cpu`) or choice (`node`, `auto`: wasm's heap is assumed)
 */
export function microBatchPlan(space: SearchSpace, backend: string, threads = 1, inputs: MemoryInputs = {}): MicroBatchPlan {
  const shard = Math.max(1, Math.ceil((inputs.batch ?? space.train.batch) / Math.max(1, threads)));
  const parts = (count: number, reason: string): MicroBatchPlan => ({ size: Math.ceil(shard / count), count, reason });
  if (space.train.microBatch !== undefined) return parts(Math.ceil(shard / Math.min(space.train.microBatch, shard)), `micro_batch = ${space.train.microBatch}`);
  const name = memoryBackend(backend);
  const heap = HEAP_MB[name];
  const overhead = SYSTEM_BACKENDS[name];
  const threadCount = Math.max(1, threads);
  let limit: number, where: string, factor = 1;
  if (heap !== undefined) {
    limit = heap * HEAP_SHARE;
    where = `${Math.round(HEAP_SHARE * 100)} % of the ${heap} MB ${backend} heap`;
  } else if (overhead !== undefined && inputs.systemMb !== undefined) {
    // One process's memory holds every thread's shard.
    limit = (inputs.systemMb * HEAP_SHARE) / threadCount;
    factor = overhead;
    where = `${Math.round(HEAP_SHARE * 100)} % of the machine's ${Math.round(inputs.systemMb)} MB${threadCount > 1 ? ` shared by ${threadCount} threads` : ''} (the ${name} backend, ${overhead}× the estimate)`;
  } else {
    return parts(1, `the ${backend} backend has no heap ceiling`);
  }
  const at = (images: number) => factor * estimateSupernetMemory(space, { ...inputs, batch: images }).totalMb;
  const whole = at(shard);
  if (whole <= limit) return parts(1, `the estimate (${Math.round(whole)} MB) fits ${where}`);
  // The estimate grows with the images: find the largest part that fits, then the fewest equal parts.
  let lo = 1, hi = shard;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (at(mid) <= limit) lo = mid;
    else hi = mid - 1;
  }
  const count = Math.ceil(shard / lo);
  return parts(count, `the estimate at ${shard} images (${Math.round(whole)} MB) exceeds ${where}`);
}

/**
 * The most threads, at most `threads`, whose workers each holding one thread's micro-batch of
 * `space` fit {@link HEAP_SHARE} of the machine's memory (`inputs.systemMb`): with the steps on one
 * thread every worker computes whole pruning and measurement batches, so their memory adds up
 * (docs/design.md, "Threads"). At least 1; `threads` where the machine's memory is not given.
 */
export function sharedThreadsThatFit(space: SearchSpace, backend: string, threads: number, inputs: MemoryInputs = {}): number {
  if (inputs.systemMb === undefined) return threads;
  const name = memoryBackend(backend);
  const plan = microBatchPlan(space, backend, 1, inputs);
  const each = (SYSTEM_BACKENDS[name] ?? 1) * estimateSupernetMemory(space, { ...inputs, batch: plan.size }).totalMb;
  return Math.max(1, Math.min(threads, Math.floor((inputs.systemMb * HEAP_SHARE) / each)));
}
