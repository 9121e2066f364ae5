/**
 * What the search tests of one file share: the wasm backend, one dataset loaded before the tests,
 * and a scratch folder removed after them.
 */
import { before, after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../runtime/engine/index.js';
import { loadDataset, type Dataset } from '../../../runtime/data/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';

export interface SearchFixture {
  /** Set before the first test runs. */
  dataset: Dataset;
  readonly root: string;
}

export function searchFixture(data: SearchSpace['data'], seed: number, name: string): SearchFixture {
  const fx = { root: mkdtempSync(join(tmpdir(), `bnas-${name}-`)) } as SearchFixture;
  before(async () => {
    await initBackend('wasm');
    fx.dataset = await loadDataset(data, { seed });
  });
  after(() => rmSync(fx.root, { recursive: true, force: true }));
  return fx;
}
