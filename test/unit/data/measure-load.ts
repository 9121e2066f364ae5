/**
 * Measures loading cost per source (not a test: run it by hand).
 *   node --require ./scripts/polyfills.cjs --import tsx test/unit/data/measure-load.ts
 * Each configuration loads in a fresh child process so peak RSS is its own. Timings on a shared
 * machine vary: compare the rows of one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { DataSpec } from '../../../runtime/dsl/space.js';
import { DEBIAN_FASHION_MNIST_DIR, estimateDatasetMemory, findMnistPackageData, loadDataset } from '../../../runtime/data/index.js';

const configs: Record<string, DataSpec> = {
  'synthetic 1000/500 @16': { source: 'synthetic', train: 1000, split: 0.5, test: 500, image: 16, augment: ['crop', 'flip'] },
  'mnist 4000/2000 @16': { source: 'mnist', train: 4000, split: 0.5, test: 2000, image: 16, augment: ['crop'] },
  'mnist 60000/10000 @28': { source: 'mnist', train: 60000, split: 0.5, test: 10000, augment: [] },
  'fashion-mnist 4000/2000 @16': { source: 'fashion-mnist', train: 4000, split: 0.5, test: 2000, image: 16, augment: [] },
};

const child = process.argv[2];
if (child !== undefined) {
  const spec = configs[child]!;
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const data = await loadDataset(spec, { seed: 1 });
  const loadMs = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const it = data.weights.iterator();
  const plain = data.weights.iterator({ augment: false });
  const time = (f: () => void, n: number) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    return (performance.now() - t) / n;
  };
  time(() => plain.next(32), 50); // warm up the JIT before timing either variant
  time(() => it.next(32), 50);
  const batchMs = time(() => plain.next(32), 200);
  const augMs = time(() => it.next(32), 200);
  const est = estimateDatasetMemory(spec);
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(
    `${child.padEnd(28)} load ${loadMs.toFixed(0).padStart(5)} ms | stored ${mb(data.memoryBytes).padStart(5)} MB (estimate ${mb(est.storedBytes)}) | ` +
      `RSS +${mb(peak - rss0)} MB (estimate peak ${mb(est.peakLoadBytes)}) | batch of 32: ${batchMs.toFixed(2)} ms, augmented ${augMs.toFixed(2)} ms`,
  );
} else {
  for (const name of Object.keys(configs)) {
    if (configs[name]!.source === 'mnist' && findMnistPackageData() === undefined) continue;
    if (configs[name]!.source === 'fashion-mnist' && !existsSync(DEBIAN_FASHION_MNIST_DIR)) continue;
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, name], { encoding: 'utf8' });
    process.stdout.write(r.stdout || r.stderr);
  }
}
