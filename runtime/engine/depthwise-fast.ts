/**
 * Depthwise conv for the fast cell path as one registered kernel with a registered gradient (no
 * `tf.customGrad` scope: its tape bookkeeping was a visible cost in the cell step). On wasm
 * with the SIMD kernels and channels in fours, the whole op is depthwise-simd.ts's; otherwise
 * forward and input gradient run the backend's own depthwise kernel and the filter gradient is
 * depthwise-simd.ts's loop kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { depthwiseConv2d, depthwiseInputGrad } from './depthwise.js';
import { depthwiseSimd, dwFilterGrad, useDepthwiseSimd, type DwAttrs } from './depthwise-simd.js';
import { registerJsKernel, runJsOp } from './js-kernels.js';
import { kernelChoice } from './kernel-choice.js';
import { sameAxis } from './padding.js';

const KERNEL = 'BnasDepthwise';
const BACKENDS = ['wasm', 'cpu', 'tensorflow'];
let registered = false;

function register(): void {
  if (registered) return;
  registerJsKernel(dwFilterGrad);
  for (const b of BACKENDS) {
    const native = tf.getKernel('DepthwiseConv2dNative', b);
    if (!native || tf.getKernel(KERNEL, b)) continue;
    tf.registerKernel({
      kernelName: KERNEL,
      backendName: b,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { stride, dilation } = attrs as unknown as DwAttrs;
        return native.kernelFunc({
          inputs: { x: inputs[0], filter: inputs[1] },
          backend,
          attrs: { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', dilations: [dilation, dilation] },
        });
      },
    });
  }
  if (!tf.getGradient(KERNEL)) {
    tf.registerGradient({
      kernelName: KERNEL,
      saveAllInputs: true,
      gradFunc: (dy, saved, attrs) => {
        const [x, w] = saved as [tf.Tensor4D, tf.Tensor4D];
        const { stride, dilation } = attrs as unknown as DwAttrs;
        const k = w.shape[0];
        const keff = (k - 1) * dilation + 1;
        const ay = sameAxis(x.shape[1], keff, stride);
        const ax = sameAxis(x.shape[2], keff, stride);
        return {
          0: () => depthwiseInputGrad(dy as tf.Tensor4D, w, x.shape, stride, dilation),
          1: () => runJsOp(dwFilterGrad.name, [x, dy as tf.Tensor], { k, stride, dilation, padTop: ay.before, padLeft: ax.before })[0],
        };
      },
    });
  }
  registered = true;
}

/**
 * Depthwise k×k conv, 'same', stride 1 or 2, dilation 1–3 (channel multiplier 1); same values and
 * gradients as {@link depthwiseConv2d}.
 * @param x shape [B, H, W, C], float32
 * @param w shape [k, k, C, 1], float32
 * @returns shape [B, ceil(H/stride), ceil(W/stride), C], float32
 */
export function depthwiseFast(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, dilation: number): tf.Tensor4D {
  register();
  if (useDepthwiseSimd(x, w.shape[0])) return depthwiseSimd(x, w, stride, dilation);
  // TensorFlow's depthwise kernels take no dilation with stride 2 (and the native backend's none at
  // all): the engine's dilated filter.
  const dilated = dilation > 1 && (stride > 1 || !kernelChoice().dilatedDepthwise);
  if (dilated || !tf.getKernel(KERNEL, tf.getBackend())) return depthwiseConv2d(x, w, stride, dilation);
  return runJsOp(KERNEL, [x, w], { stride, dilation })[0] as tf.Tensor4D;
}
