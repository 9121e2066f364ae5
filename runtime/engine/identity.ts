/**
 * A zero-copy `Identity` kernel for the wasm backend. TensorFlow.js clones every tensor a gradient
 * saves for the backward pass (`Engine.clone` → Identity), and the wasm backend's Identity copies
 * the whole buffer, while the cpu backend's only adds a reference. Tensors are immutable (kernels
 * always write fresh outputs; a variable's `assign` swaps buffers), so sharing the buffer is safe,
 * and it is what wasm's own Reshape already does. Measured: the copies were ~45 ms of a 450 ms
 * fused cell step (513 clones a step), plus the garbage they made.
 */
import * as tf from '@tensorflow/tfjs';

interface RefCounting {
  incRef(dataId: object): void;
}

let stock: tf.KernelConfig | undefined;

const zeroCopy: tf.KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  (backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * Switches the wasm backend's Identity kernel between the zero-copy version (`true`, installed by
 * `initBackend`) and the stock copying one (`false`, e.g. to benchmark the straightforward setup).
 * A no-op when the wasm backend is not registered.
 */
export function useZeroCopyIdentity(enable: boolean): void {
  const current = tf.getKernel('Identity', 'wasm');
  if (!current) return;
  if (!stock) stock = current;
  const want = enable ? zeroCopy : stock.kernelFunc;
  if (current.kernelFunc === want) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: want });
}
