/**
 * The engine's WebAssembly SIMD kernels (source `simd/kernels.c`, compiled by `npm run build`
 * into `simd/kernels-wasm.ts`), instantiated against TensorFlow.js's own wasm memory so they read
 * and write tensors in place. The loop kernels (cell-kernels.ts, depthwise-fast.ts) call them when
 * their views are on that memory and fall back to their TypeScript loops otherwise (cpu backend,
 * native TensorFlow, or a runtime without wasm SIMD).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelChoice } from './kernel-choice.js';
import { SIMD_WASM_BASE64 } from './simd/kernels-wasm.js';

/** The part of the WebAssembly API used here (the project's lib has no DOM/wasm typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Float64 scratch the kernels accumulate in (256 KiB: a 5×5 filter gradient of 1,300 channels). */
export const SCRATCH_DOUBLES = 32768;

/** The exports of `simd/kernels.c`; pointers are byte addresses in the tfjs heap. */
interface SimdExports {
  dw_filter_grad(x: number, dy: number, dw: number, acc: number, b: number, h: number, w: number, c: number, ho: number, wo: number, k: number, stride: number, dil: number, padTop: number, padLeft: number): void;
  pw_bn_forward(x: number, w: number, y: number, rstd: number, acc: number, p: number, total: number, c: number, signInput: number, eps: number): void;
  pw_bn_backward(dy: number, x: number, w: number, y: number, rstd: number, dx: number, dw: number, acc: number, p: number, total: number, c: number, signInput: number, want: number): void;
  channel_mix_forward(runs: number, coef: number, nruns: number, mapPtr: number, out: number, p: number, co: number): void;
  conv_filter_grad(x: number, dy: number, dw: number, acc: number, part: number, b: number, h: number, w: number, ci: number, ho: number, wo: number, co: number, k: number, stride: number, padTop: number, padLeft: number): void;
  sign_forward(x: number, y: number, n: number): void;
  sign_backward(dy: number, x: number, dx: number, n: number): void;
  bn_forward(x: number, y: number, rstd: number, acc: number, part: number, p: number, c: number, eps: number): void;
  bn_backward(dy: number, y: number, rstd: number, dx: number, acc: number, part: number, p: number, c: number): void;
  bn_train_forward(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, acc: number, part: number, p: number, c: number, eps: number): void;
  bn_train_backward(dy: number, x: number, gamma: number, mean: number, variance: number, dx: number, dgamma: number, dbeta: number, acc: number, part: number, p: number, c: number, eps: number): void;
  max_pool_forward(x: number, y: number, ...geometry: number[]): void;
  max_pool_backward(dy: number, x: number, dx: number, ...geometry: number[]): void;
  avg_pool_forward(x: number, y: number, ...geometry: number[]): void;
  avg_pool_backward(dy: number, dx: number, ...geometry: number[]): void;
  dw_conv(src: number, w: number, dst: number, ...geometryAndTransposed: number[]): void;
  pw_wide_forward(x: number, w: number, y: number, rstd: number, acc: number, p: number, total: number, c: number, signInput: number, eps: number): void;
  pw_wide_backward(dy: number, x: number, w: number, y: number, rstd: number, dx: number, dw: number, acc: number, part: number, p: number, total: number, c: number, signInput: number, want: number): void;
  channel_mix_backward(runs: number, coef: number, nruns: number, mapPtr: number, dxPtr: number, mapC: number, nmaps: number, dy: number, dk: number, p: number, co: number): void;
  max_pool_backward_shifted(dy: number, x: number, dx: number, ...geometry: number[]): void;
  prep_relu_pick(x: number, hm: number, b: number, h: number, w: number, ci: number, ho: number, wo: number, stride: number, blocks: number): void;
  prep_transpose(dz: number, dzt: number, p: number, c: number, c0: number, cn: number): void;
  prep_out_grad(dh: number, hm: number, dx: number, b: number, h: number, w: number, ci: number, ho: number, wo: number, stride: number, blocks: number): void;
}

/** An instance bound to one tfjs wasm memory, with its scratch in that memory. */
export interface SimdKernels {
  readonly exports: SimdExports;
  readonly memory: WasmMemory;
  /** Byte address of the float64 scratch. */
  readonly scratch: number;
  /** Its size in float64 elements. */
  readonly scratchDoubles: number;
}

/** What the engine uses of the tfjs wasm backend's module (emscripten's, typed loosely). */
interface TfjsWasmModule {
  readonly asm?: { readonly memory?: WasmMemory };
  _malloc(bytes: number): number;
}

let active: SimdKernels | undefined;
let enabled = process.env.BNAS_SIMD !== '0';
let bytes: Uint8Array | undefined;

function moduleBytes(): Uint8Array {
  bytes ??= Uint8Array.from(Buffer.from(SIMD_WASM_BASE64, 'base64'));
  return bytes;
}

/**
 * Whether this runtime validates the SIMD module (Node ≥ 16.4 and current browsers do).
 */
export function simdSupported(): boolean {
  return SIMD_WASM_BASE64.length > 0 && WA.validate(moduleBytes());
}

/**
 * Instantiates the kernels against the active wasm backend's memory (once per memory) and turns
 * them on; call after `tf.setBackend('wasm')`. `BNAS_SIMD=0` in the environment keeps them off.
 * @returns whether the kernels are in use, and why not
 */
export function installSimdKernels(): { used: boolean; reason: string } {
  if (!enabled) return { used: false, reason: 'turned off (BNAS_SIMD=0)' };
  if (!kernelChoice().simdKernels) return { used: false, reason: `backend is ${tf.getBackend()}, not wasm` };
  const wasm = (tf.backend() as unknown as { wasm?: TfjsWasmModule }).wasm;
  const memory = wasm?.asm?.memory;
  if (!wasm || !(memory instanceof WA.Memory)) return { used: false, reason: 'the tfjs wasm module exposes no memory' };
  if (active?.memory === memory) return { used: true, reason: 'already installed' };
  if (!simdSupported()) return { used: false, reason: 'this runtime does not validate WebAssembly SIMD' };
  const instance = new WA.Instance(new WA.Module(moduleBytes()), { env: { memory } });
  // malloc may grow the heap: done here, never inside a kernel holding views of it.
  const scratch = wasm._malloc(SCRATCH_DOUBLES * 8);
  if (!scratch || scratch % 8) return { used: false, reason: 'could not allocate the kernels’ scratch' };
  active = { exports: instance.exports as unknown as SimdExports, memory, scratch, scratchDoubles: SCRATCH_DOUBLES };
  return { used: true, reason: 'installed' };
}

/**
 * Turns the SIMD kernels on or off for this process (benchmarks and tests compare both paths);
 * turning on installs them if the wasm backend is active.
 */
export function useSimdKernels(on: boolean): void {
  enabled = on;
  if (on) installSimdKernels();
}

/** Whether the kernels are on and bound to the active backend's memory (wasm). */
export function simdInUse(): boolean {
  if (!enabled || !active || !kernelChoice().simdKernels) return false;
  return (tf.backend() as unknown as { wasm?: TfjsWasmModule }).wasm?.asm?.memory === active.memory;
}

/**
 * The kernels if they are on and every view lives in their memory, else undefined (use the
 * TypeScript loop).
 * @param views float32 views of kernel inputs and outputs
 * @param scratchDoubles float64 scratch the call needs
 */
export function simdFor(views: readonly Float32Array[], scratchDoubles = 0): SimdKernels | undefined {
  const k = active;
  if (!enabled || !k || scratchDoubles > k.scratchDoubles) return undefined;
  const buffer = k.memory.buffer;
  for (const v of views) if (v.buffer !== buffer) return undefined;
  return k;
}
