/**
 * Weights of a runtime network in safetensors form (an 8-byte little-endian header length, a JSON
 * header of name → dtype, shape, byte offsets, then raw little-endian float32): what the exported
 * PyTorch file's `load_weights` reads with torch alone, and what the `safetensors` package reads.
 * Names and layouts are the runtime's ({@link ParamStore} names, NHWC filters [k, k, Ci, Co]).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParamStore } from '../engine/params.js';
import type { SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { exportPytorch, type ExportShape } from './pytorch.js';

/** One named float32 tensor. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Every variable of `store` (trainable and running statistics), in creation order: the stable
 * order the exported file and the tests compare in. Read back at a step boundary.
 */
export async function runtimeTensors(store: ParamStore): Promise<NamedTensor[]> {
  const saved = await store.save();
  return store.names().map((name) => ({ name, shape: saved[name].shape, data: Float32Array.from(saved[name].values) }));
}

/** The bytes of a safetensors file holding `tensors`, with string `metadata`. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`${t.name}: ${t.data.length} values for shape [${t.shape}]`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the format recommends.
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) out.writeFloatLE(t.data[i], at);
  }
  return out;
}

/** Reads a safetensors file of float32 tensors (the inverse of {@link encodeSafetensors}). */
export function decodeSafetensors(bytes: Buffer): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors: NamedTensor[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    if (info.dtype !== 'F32') throw new Error(`${name}: dtype ${info.dtype}, only F32 is read`);
    const [start, end] = info.data_offsets;
    const data = new Float32Array((end - start) / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(8 + n + start + 4 * i);
    tensors.push({ name, shape: info.shape, data });
  }
  return { tensors, metadata };
}

/** File names inside a `--save` folder. */
export const SAVED_WEIGHTS = 'weights.safetensors';
export const SAVED_MODEL = 'model.py';

/**
 * `bnas evaluate --save DIR`: the trained network's weights (DIR/weights.safetensors) next to the
 * exported network they load into (DIR/model.py), so the folder is complete on its own.
 * @returns the paths written
 */
export async function saveTrainedNetwork(
  dir: string,
  space: SearchSpace,
  genotype: Genotype,
  store: ParamStore,
  shape: ExportShape,
): Promise<{ weights: string; model: string }> {
  const model = exportPytorch(space, genotype, shape);
  mkdirSync(dir, { recursive: true });
  const weights = join(dir, SAVED_WEIGHTS);
  const metadata = { format: 'bnas-runtime', genotype: JSON.stringify(genotype), input_shape: JSON.stringify(shape.input), num_classes: String(shape.numClasses) };
  writeFileSync(weights, encodeSafetensors(await runtimeTensors(store), metadata));
  writeFileSync(join(dir, SAVED_MODEL), model);
  return { weights, model: join(dir, SAVED_MODEL) };
}

/** Reads a safetensors file from disk. */
export function readSafetensors(path: string): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  return decodeSafetensors(readFileSync(path));
}
