// The engine's primitive ops on WebGPU (docs/design.md, "Backends and kernels"): the same
// forward-against-float64 and every-gradient-against-central-differences tests as on cpu, wasm
// and native TensorFlow (test/unit/engine/ops.test.ts), run here on `webgpu`. Skipped without a
// WebGPU adapter, except under BNAS_REQUIRE_WEBGPU=1 (`npm run test:webgpu`, CI), where that fails.
process.env.BNAS_TEST_BACKENDS = 'webgpu';
await import('../unit/engine/ops.test.js');
export {};
