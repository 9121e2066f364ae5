/**
 * Owned, named, seeded variables. Every trainable tensor of the engine lives in a ParamStore:
 * one owner to dispose, deterministic initialisation (the value of a name depends only on the
 * store's seed and that name, not on creation order), per-prefix removal for pruned ops, and
 * plain-data snapshots for checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random/rng.js';

/**
 * How a variable starts: `he` = N(0, 2/fanIn) (fanIn = product of all but the last dimension),
 * `zeros`, `ones`, a constant, or a normal with a given standard deviation.
 */
export type Init = 'he' | 'zeros' | 'ones' | { readonly normal: number } | { readonly constant: number };

/** A variable's saved value: JSON-serialisable. */
export interface SavedParam {
  readonly shape: number[];
  readonly values: number[];
  readonly trainable: boolean;
}

/** Fills a Float32Array of `size` values with the initialiser `init`, from `rng`. */
export function initialValues(shape: readonly number[], init: Init, rng: Rng): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  if (init === 'zeros') return out;
  if (init === 'ones') return out.fill(1);
  if (typeof init === 'object' && 'constant' in init) return out.fill(init.constant);
  const fanIn = shape.length > 1 ? size / shape[shape.length - 1] : size;
  const std = init === 'he' ? Math.sqrt(2 / Math.max(fanIn, 1)) : (init as { readonly normal: number }).normal;
  for (let i = 0; i < size; i++) out[i] = std * rng.normal();
  return out;
}

/** Named variables with one owner. */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();

  /** @param seed initialisation seed: same seed and names → same values. */
  constructor(readonly seed: number) {}

  /**
   * Creates a variable. Throws if `name` exists (two ops claiming one name is a wiring bug).
   * @returns a float32 variable of `shape`
   */
  create(name: string, shape: readonly number[], init: Init = 'he', trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new Error(`ParamStore: a variable named '${name}' already exists`);
    const values = initialValues(shape, init, Rng.stream(this.seed, name));
    // No tfjs name: tfjs names are global across stores, ours only need to be unique here.
    const v = tf.tidy(() => tf.variable(tf.tensor(values, [...shape], 'float32'), trainable));
    this.vars.set(name, v);
    return v;
  }

  /** The variable `name`; throws a clear error when missing. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`ParamStore: no variable named '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** Names in creation order, optionally only those starting with `prefix`. */
  names(prefix = ''): string[] {
    return [...this.vars.keys()].filter((n) => n.startsWith(prefix));
  }

  /** Trainable variables (for optimizers and `tf.variableGrads`), optionally under `prefix`. */
  trainable(prefix = ''): tf.Variable[] {
    return this.names(prefix)
      .map((n) => this.vars.get(n) as tf.Variable)
      .filter((v) => v.trainable);
  }

  /** Trainable variables keyed by name. */
  trainableMap(prefix = ''): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const n of this.names(prefix)) {
      const v = this.vars.get(n) as tf.Variable;
      if (v.trainable) out[n] = v;
    }
    return out;
  }

  /** Number of scalars under `prefix` (trainable only unless `all`). */
  count(prefix = '', all = false): number {
    let total = 0;
    for (const n of this.names(prefix)) {
      const v = this.vars.get(n) as tf.Variable;
      if (all || v.trainable) total += v.size;
    }
    return total;
  }

  /** Disposes and forgets every variable under `prefix` (e.g. a pruned op); returns how many. */
  disposePrefix(prefix: string): number {
    const names = this.names(prefix);
    for (const n of names) {
      (this.vars.get(n) as tf.Variable).dispose();
      this.vars.delete(n);
    }
    return names.length;
  }

  /** Reads every value back (at a step boundary) as plain data. */
  async save(): Promise<Record<string, SavedParam>> {
    const out: Record<string, SavedParam> = {};
    for (const [n, v] of this.vars) {
      out[n] = { shape: [...v.shape], values: Array.from(await v.data()), trainable: v.trainable };
    }
    return out;
  }

  /**
   * Assigns saved values to existing variables of the same shape; names saved but no longer
   * present (pruned since) are ignored, present but unsaved names are an error.
   */
  load(saved: Record<string, SavedParam>): void {
    for (const [n, v] of this.vars) {
      const s = saved[n];
      if (!s) throw new Error(`ParamStore: the snapshot has no value for '${n}'`);
      if (s.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`ParamStore: '${n}' has shape [${v.shape}] but the snapshot has [${s.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(s.values, s.shape, 'float32')));
    }
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
