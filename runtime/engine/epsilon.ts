/** Default ε of the batch normalisations (PyTorch's); its own module so norm.ts and the loop kernels share it without an import cycle. */
export const BN_EPSILON = 1e-5;
