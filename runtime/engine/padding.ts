/**
 * Geometry of TensorFlow's 'same' padding, shared by every op and its gradient so the forward
 * kernels (which pad implicitly) and the hand-written gradients (which pad explicitly) agree.
 */

/** One spatial axis of a 'same' convolution or pooling window. */
export interface SameAxis {
  /** Output size: ceil(input / stride). */
  readonly out: number;
  /** Implicit zero rows before the first input row. */
  readonly before: number;
  /** Implicit zero rows after the last input row. */
  readonly after: number;
}

/**
 * The 'same' padding TensorFlow uses (asymmetric when the total is odd: the extra row goes after).
 * @param size input size along the axis
 * @param kernel effective kernel size ((k − 1)·dilation + 1)
 * @param stride stride along the axis
 */
export function sameAxis(size: number, kernel: number, stride: number): SameAxis {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** Throws a clear error unless `k` is a positive odd integer (the ops assume symmetric windows). */
export function checkKernel(k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) {
    throw new Error(`${what}: kernel size must be a positive odd integer, got ${k}`);
  }
}

/** Throws a clear error unless `s` is 1 or 2 (the strides the candidate ops use). */
export function checkStride(s: number, what: string): void {
  if (s !== 1 && s !== 2) throw new Error(`${what}: stride must be 1 or 2, got ${s}`);
}
