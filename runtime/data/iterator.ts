/**
 * The persistent, seeded, checkpointable iterator over one split.
 *
 * Counter-based randomness makes resuming exact with a tiny state: epoch e's order is the
 * permutation drawn from (seed, split, e), and the augmentation of the example at position p of
 * epoch e is drawn from (seed, split, e, p). So {epoch, position} is the whole state.
 */
import { type AugmentDraw, type Augmentation, type Storage, drawAugmentation, makeBatch } from './batch.js';
import { DataError } from './files.js';
import { Rng, permutation } from '../random/rng.js';
import type { Batch, IteratorState, SplitIterator, SplitName } from './types.js';

/** What an iterator needs from its split. */
export interface IteratorSource {
  readonly split: SplitName;
  readonly seed: number;
  readonly storage: Storage;
  /** Stored-example index of each split example, shape [size]. */
  readonly ids: Int32Array;
  readonly lut: Float32Array;
  /** Undefined when this iterator does not augment. */
  readonly augmentation?: Augmentation;
  /** Name of an independent stream; undefined for the split's main stream. */
  readonly stream?: string;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a whole number ≥ 1, got ${batchSize}`);
  }
}

/** The {@link SplitIterator} of every split (see the module comment for how it stays resumable). */
export class SeededSplitIterator implements SplitIterator {
  readonly split: SplitName;
  readonly size: number;
  private epochsDone = 0;
  private pos = 0;
  private order: Int32Array | undefined;
  private readonly stream: string;

  constructor(private readonly source: IteratorSource) {
    this.split = source.split;
    this.size = source.ids.length;
    this.stream = source.stream === undefined ? `order/${source.split}` : `order/${source.split}/${source.stream}`;
    if (this.size === 0) throw new DataError(`the ${source.split} split is empty: there is nothing to iterate`);
  }

  get epoch(): number {
    return this.epochsDone;
  }

  get position(): number {
    return this.pos;
  }

  get augmenting(): boolean {
    const a = this.source.augmentation;
    return a !== undefined && (a.crop || a.flip);
  }

  private currentOrder(): Int32Array {
    this.order ??= permutation(this.size, Rng.stream(this.source.seed, this.stream, this.epochsDone));
    return this.order;
  }

  private take(n: number): Batch {
    const ids = new Int32Array(n);
    const aug = this.augmenting ? this.source.augmentation : undefined;
    const draws: AugmentDraw[] | undefined = aug ? [] : undefined;
    for (let i = 0; i < n; i++) {
      const order = this.currentOrder();
      ids[i] = this.source.ids[order[this.pos]];
      if (aug && draws) draws.push(drawAugmentation(aug, Rng.stream(this.source.seed, `${this.stream}/augment`, this.epochsDone, this.pos)));
      this.pos++;
      if (this.pos === this.size) {
        this.epochsDone++;
        this.pos = 0;
        this.order = undefined;
      }
    }
    return makeBatch(this.source.storage, this.source.lut, ids, draws, aug?.padding ?? 'zero');
  }

  next(batchSize: number): Batch {
    checkBatchSize(batchSize);
    return this.take(Math.min(batchSize, this.size));
  }

  nextInEpoch(batchSize: number): Batch {
    checkBatchSize(batchSize);
    return this.take(Math.min(batchSize, this.size - this.pos));
  }

  stepsPerEpoch(batchSize: number): number {
    checkBatchSize(batchSize);
    return Math.ceil(this.size / batchSize);
  }

  state(): IteratorState {
    const stream = this.source.stream === undefined ? {} : { stream: this.source.stream };
    return { version: 1, split: this.split, ...stream, size: this.size, seed: this.source.seed, epoch: this.epochsDone, position: this.pos };
  }

  restore(state: IteratorState): void {
    const s = state as Partial<IteratorState> | null;
    const name = (split: unknown, stream: unknown) => `${String(split)} split${stream === undefined ? '' : ` (stream '${String(stream)}')`}`;
    const here = `the ${name(this.split, this.source.stream)} of this dataset (${this.size} examples, seed ${this.source.seed})`;
    if (!s || typeof s !== 'object' || s.version !== 1) {
      throw new DataError(`cannot restore the ${this.split} iterator: the saved state is not a version-1 iterator state`);
    }
    if (s.split !== this.split || s.stream !== this.source.stream || s.size !== this.size || s.seed !== this.source.seed) {
      throw new DataError(
        `cannot restore the ${this.split} iterator: the checkpoint is for the ${name(s.split, s.stream)} with ${s.size} examples and seed ${s.seed}, but this is ${here}; the data block or seed changed since the checkpoint`,
      );
    }
    const { epoch, position } = s;
    if (!Number.isInteger(epoch) || epoch! < 0 || !Number.isInteger(position) || position! < 0 || position! >= this.size) {
      throw new DataError(
        `cannot restore the ${this.split} iterator: epoch ${epoch} and position ${position} are not valid (position must be in 0..${this.size - 1})`,
      );
    }
    this.epochsDone = epoch!;
    this.pos = position!;
    this.order = undefined;
  }
}
