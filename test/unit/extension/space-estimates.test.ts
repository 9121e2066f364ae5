// The search-space view's estimates (extension/panels/space-estimates.ts): the time per epoch
// follows the backend and the thread count of the `bnas.backend` and `bnas.threads` settings, with
// the data-parallel step model the engine's `auto` uses (runtime/protocol/threads.ts), and says
// what it assumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSearchSpace, type SearchSpace } from '../../../runtime/dsl/index.js';
import { modelledGain } from '../../../runtime/protocol/threads.js';
import { spaceEstimates } from '../../../extension/panels/space-estimates.js';

const space = loadSearchSpace('search s { supernet { cells = 5, channels = 16 } train { batch = 32 } }').space as SearchSpace;

test('threads asked for divide the one-thread time by the modelled gain, and the estimate says so', () => {
  const one = spaceEstimates(space, 'wasm', undefined, 1);
  const two = spaceEstimates(space, 'wasm', undefined, 2);
  const four = spaceEstimates(space, 'wasm', undefined, 4);
  assert.ok(one.secondsPerEpoch! > 0);
  assert.ok(Math.abs(one.secondsPerEpoch! / two.secondsPerEpoch! - modelledGain(2, 2, 32)) < 1e-9);
  assert.ok(four.secondsPerEpoch! < two.secondsPerEpoch!);
  assert.match(two.threads ?? '', /^2 threads: at most 1\.\d\d× one thread/);
  assert.match(two.timeSource, /for wasm, 2 threads/);
  assert.match(one.threads ?? '', /1 thread/);
  // The memory and the arithmetic do not depend on the threads.
  assert.equal(two.memoryMb, one.memoryMb);
});

test('auto assumes one thread; the native backend and WebGPU are not divided by threads; the backend picks the constant', () => {
  const one = spaceEstimates(space, 'wasm', undefined, 1);
  const auto = spaceEstimates(space, 'wasm', undefined, 'auto');
  assert.equal(auto.secondsPerEpoch, one.secondsPerEpoch);
  assert.match(auto.threads ?? '', /auto/);
  const native = spaceEstimates(space, 'tensorflow', undefined, 1);
  assert.ok(native.secondsPerEpoch! < one.secondsPerEpoch!, 'the native backend is estimated faster than wasm');
  assert.equal(spaceEstimates(space, 'tensorflow', undefined, 4).secondsPerEpoch, native.secondsPerEpoch);
  assert.match(spaceEstimates(space, 'tensorflow', undefined, 4).threads ?? '', /not modelled on tensorflow/);
  assert.equal(native.backend, 'tensorflow');
  assert.match(native.timeSource, /for tensorflow/);
});

test('a measured run is scaled back to one thread, then to the threads asked for', () => {
  const measured = { name: 'r1', secondsPerStep: 2, activationsMb: 100, backend: 'wasm', threads: 2 };
  const one = spaceEstimates(space, 'wasm', measured, 1);
  const two = spaceEstimates(space, 'wasm', measured, 2);
  const ratio = one.secondsPerEpoch! / spaceEstimates(space, 'wasm', { ...measured, threads: 1 }, 1).secondsPerEpoch!;
  assert.ok(Math.abs(ratio - modelledGain(2, 2, 32)) < 1e-9, 'a 2-thread run took less per step than one thread would');
  assert.ok(Math.abs(two.secondsPerEpoch! - spaceEstimates(space, 'wasm', { ...measured, threads: 1 }, 1).secondsPerEpoch!) < 1e-9);
  assert.match(one.timeSource, /scaled from run r1 \(wasm, 2 thread\(s\)\)/);
});
