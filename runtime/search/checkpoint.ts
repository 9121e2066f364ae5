/**
 * Checkpoints in the run folder (docs/design.md, "The run folder"): `checkpoint/` holds `state.json` (epoch,
 * RNG and iterator states, pruned sets, pruning statistics, optimizer counters, a manifest of the
 * arrays) and `arrays.bin` (every weight, α, β and optimizer slot as float32, in manifest order),
 * and the conversions between variables and those arrays.
 * Replaced atomically: written to a temporary folder, fsynced, then swapped in with renames, so a
 * kill at any moment leaves either the previous or the new checkpoint readable.
 */
import * as tf from '@tensorflow/tfjs';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES } from '../protocol/run-folder.js';

/** One named float32 array of the checkpoint. */
export interface SavedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

interface ManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly length: number;
}

/**
 * The state format. Format 1 was written before the runtime's random streams were unified
 * (runtime/random/rng.ts): its RNG and iterator states would resume into other numbers, so it is
 * refused with its own message instead of continuing a different run.
 */
const FORMAT = 2;

function writeFileSynced(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `state` and `arrays` as `DIR/checkpoint/`, replacing the previous one atomically.
 * @returns the checkpoint folder path.
 */
export function writeCheckpoint(runDir: string, state: object, arrays: readonly SavedArray[]): string {
  const final = join(runDir, RUN_FILES.checkpoint);
  const tmp = join(runDir, `.checkpoint-${process.pid}.tmp`);
  const old = join(runDir, RUN_FILES.checkpointOld);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const manifest: ManifestEntry[] = [];
  let total = 0;
  for (const a of arrays) {
    manifest.push({ name: a.name, shape: a.shape, offset: total, length: a.data.length });
    total += a.data.length;
  }
  const buf = new Float32Array(total);
  arrays.forEach((a, i) => buf.set(a.data, manifest[i].offset));
  writeFileSynced(join(tmp, 'arrays.bin'), new Uint8Array(buf.buffer));
  writeFileSynced(join(tmp, 'state.json'), JSON.stringify({ format: FORMAT, state, arrays: manifest }));
  fsyncDir(tmp);
  // rename() cannot replace a non-empty folder: move the old one aside first. A reader that finds
  // no `checkpoint/` but a `.checkpoint.old/` (kill between the renames) uses the old one.
  rmSync(old, { recursive: true, force: true });
  if (existsSync(final)) renameSync(final, old);
  renameSync(tmp, final);
  fsyncDir(runDir);
  rmSync(old, { recursive: true, force: true });
  return final;
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint<S> {
  readonly state: S;
  readonly arrays: ReadonlyMap<string, SavedArray>;
  readonly path: string;
}

/**
 * Reads the run folder's checkpoint.
 * @throws an Error naming the file when it is missing, truncated or of another format.
 */
export function readCheckpoint<S>(runDir: string): LoadedCheckpoint<S> {
  let dir = join(runDir, RUN_FILES.checkpoint);
  if (!existsSync(dir) && existsSync(join(runDir, RUN_FILES.checkpointOld))) dir = join(runDir, RUN_FILES.checkpointOld);
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath)) throw new Error(`no checkpoint to resume from: ${statePath} does not exist`);
  let parsed: { format?: number; state?: S; arrays?: ManifestEntry[] };
  try {
    parsed = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    throw new Error(`checkpoint ${statePath} is unreadable: ${(e as Error).message}`);
  }
  if (parsed.format === 1) {
    throw new Error(`checkpoint ${statePath} was written by an older version whose random streams differ from this one's: resuming it would not continue the same run; start the search again in a new --out folder`);
  }
  if (parsed.format !== FORMAT || !parsed.state || !Array.isArray(parsed.arrays)) {
    throw new Error(`checkpoint ${statePath} has an unknown format (expected format ${FORMAT})`);
  }
  const binPath = join(dir, 'arrays.bin');
  const bytes = existsSync(binPath) ? readFileSync(binPath) : Buffer.alloc(0);
  const need = parsed.arrays.reduce((n, a) => Math.max(n, (a.offset + a.length) * 4), 0);
  if (bytes.length < need) throw new Error(`checkpoint ${binPath} is truncated: ${bytes.length} bytes, expected ${need}`);
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const all = new Float32Array(new Uint8Array(bytes).buffer, 0, need / 4);
  const arrays = new Map<string, SavedArray>();
  for (const a of parsed.arrays) arrays.set(a.name, { name: a.name, shape: a.shape, data: all.slice(a.offset, a.offset + a.length) });
  return { state: parsed.state, arrays, path: dir };
}

/** A variable's current value as a checkpoint array. */
export async function savedArray(name: string, v: tf.Variable): Promise<SavedArray> {
  return { name, shape: v.shape, data: (await v.data()) as Float32Array };
}

/**
 * Assigns a checkpoint array to a variable.
 * @throws an Error naming the variable when the array is missing or has another shape
 */
export function assignSaved(v: tf.Variable, a: SavedArray | undefined, name: string): void {
  if (!a) throw new Error(`the checkpoint has no value for ${name}: it belongs to another space`);
  if (a.shape.join(',') !== v.shape.join(',')) throw new Error(`the checkpoint's ${name} has shape [${a.shape}], the space needs [${v.shape}]`);
  tf.tidy(() => v.assign(tf.tensor(a.data, [...a.shape], 'float32')));
}
