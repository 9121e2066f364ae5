/**
 * Memory and size estimate of a supernet before a run (for the `budget.memory_mb` warning and
 * the search-space view). A supernet keeps the activations of every candidate op on every edge
 * for the backward pass, so memory grows with batch × resolution² × channels × ops × edges;
 * partial channels divide the mixed-op part by k. This is an estimate of float32 tensors kept
 * alive during one training step, not a measurement: backends add workspace and allocator slack.
 */
import { SOURCE_IMAGE_SIZE } from './schema.js';
import type { OpSpec, SearchSpace } from './space.js';

/** Bytes per element: every tensor in the supernet is float32 (binary values are stored as ±1 floats). */
const BYTES = 4;
/** Each weight is held with its gradient and up to two optimizer slots (Adam), hence 4 copies. */
const COPIES_PER_WEIGHT = 4;
/** Classes of every built-in source. */
const CLASSES = 10;
/** Image size assumed for IDX files whose size is only known once read. */
const FALLBACK_IMAGE = 28;
const INPUT_CHANNELS: Readonly<Record<string, number>> = { cifar10: 3 };

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
  /** Trainable supernet weights (not counting α and β). */
  readonly parameters: number;
  /** Image size the estimate assumes. */
  readonly imageSize: number;
  readonly cells: readonly CellMemory[];
}

/**
 * Activation maps an op keeps for the backward pass, in units of its output tensor
 * (batch × out-res² × C/k). Convs keep the ReLU output, the conv output, the batch-norm output
 * and, with binary activations, the sign input.
 */
function opActivationMaps(op: OpSpec, stride: number, binaryActivations: boolean): number {
  const sign = binaryActivations ? 1 : 0;
  let maps: number;
  switch (op.kind) {
    case 'zero':
      maps = 0;
      break;
    case 'skip':
      // Identity keeps nothing; the stride-2 factorized reduce keeps ReLU (at input size, 4×),
      // two half-width convs and the batch norm.
      maps = stride === 1 ? 0 : 4 + 2 + sign;
      break;
    case 'max_pool':
    case 'avg_pool':
      maps = 2;
      break;
    case 'conv':
      maps = 3 + sign;
      break;
    case 'dil_conv':
      maps = 4 + sign;
      break;
    case 'sep_conv':
      maps = 2 * (4 + sign);
      break;
  }
  return maps * op.repeat;
}

/** Trainable weights of one op at `c` channels (batch norms in the search have no affine terms). */
function opParameters(op: OpSpec, c: number, stride: number): number {
  const k2 = op.kernel * op.kernel;
  let p: number;
  switch (op.kind) {
    case 'zero':
    case 'max_pool':
    case 'avg_pool':
      p = 0;
      break;
    case 'skip':
      p = stride === 1 ? 0 : c * c;
      break;
    case 'conv':
      p = k2 * c * c;
      break;
    case 'dil_conv':
      p = k2 * c + c * c;
      break;
    case 'sep_conv':
      p = 2 * (k2 * c + c * c);
      break;
  }
  return p * op.repeat;
}

/** The image size a space trains on (its `image`, else the source's own size). */
export function imageSizeOf(space: SearchSpace): number {
  return space.data.image ?? SOURCE_IMAGE_SIZE[space.data.source] ?? FALLBACK_IMAGE;
}

/** Channel count of the intermediate nodes of every cell (doubling at each reduction cell). */
export function cellChannels(space: SearchSpace): number[] {
  const reductions = new Set(space.supernet.reductions);
  const out: number[] = [];
  let c = space.supernet.channels;
  for (let i = 0; i < space.supernet.cells; i++) {
    if (reductions.has(i)) c *= 2;
    out.push(c);
  }
  return out;
}

const MB = 1024 * 1024;

/**
 * Estimates the memory of one supernet training step and the supernet's weight count.
 *
 * @param space a validated search space (defaults filled).
 * @returns totals in MB and a per-cell breakdown.
 */
export function estimateSupernetMemory(space: SearchSpace): MemoryEstimate {
  const { supernet, sampling, train, binarize } = space;
  const batch = train.batch;
  const k = Math.max(1, sampling.k);
  const binaryActs = binarize.activations === 'sign';
  const image = imageSizeOf(space);
  const inChannels = INPUT_CHANNELS[space.data.source] ?? 1;
  const channels = cellChannels(space);
  const reductions = new Set(supernet.reductions);
  const stemC = supernet.channels * supernet.stemMultiplier;

  // Stem: input, conv output and batch-norm output at full resolution.
  let activations = batch * image * image * (inChannels + 2 * stemC);
  let parameters = 9 * inChannels * stemC;

  let res = image;
  let prevPrevC = stemC;
  let prevC = stemC;
  const cells: CellMemory[] = [];
  for (let i = 0; i < supernet.cells; i++) {
    const c = channels[i]!;
    const reduction = reductions.has(i);
    const inRes = res;
    const outRes = reduction ? Math.ceil(res / 2) : res;
    const cp = Math.max(1, Math.floor(c / k));
    let cellActs = 0;
    // Pre-processing of both inputs: ReLU, 1×1 conv, batch norm (3 maps each at input size).
    cellActs += 3 * batch * inRes * inRes * c * 2;
    parameters += prevPrevC * c + prevC * c;
    for (let node = 0; node < supernet.nodes; node++) {
      for (let from = 0; from < node + 2; from++) {
        const stride = reduction && from < 2 ? 2 : 1;
        const part = batch * outRes * outRes * cp;
        const full = batch * outRes * outRes * c;
        for (const op of space.ops) {
          cellActs += part * (opActivationMaps(op, stride, binaryActs) + 1); // + its α-weighted output
          parameters += opParameters(op, cp, stride);
        }
        // Mixed-op sum, bypassed channels, concatenation and shuffle.
        cellActs += part + 3 * full;
      }
      cellActs += batch * outRes * outRes * c; // β-weighted node sum
    }
    cellActs += batch * outRes * outRes * c * supernet.nodes; // concatenated cell output
    activations += cellActs;
    cells.push({ index: i, reduction, channels: c, resolution: outRes, activationsMb: (cellActs * BYTES) / MB });
    prevPrevC = prevC;
    prevC = c * supernet.nodes;
    res = outRes;
  }
  parameters += prevC * CLASSES + CLASSES;
  const activationsMb = (activations * BYTES) / MB;
  const weightsMb = (parameters * BYTES * COPIES_PER_WEIGHT) / MB;
  return { totalMb: activationsMb + weightsMb, activationsMb, weightsMb, parameters, imageSize: image, cells };
}
