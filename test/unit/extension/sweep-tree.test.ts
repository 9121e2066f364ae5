/**
 * The runs view groups a sweep's trials under it: a sweep row above the runs, its trials (ordinary
 * run folders under `trials/`) as children and never as runs of their own, a click on a trial
 * opens its run view, and the sweep's menus follow its state.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SweepFile, Trial } from '../../../runtime/sweep/schema.js';
import { makeManager, tempDir } from './helpers.js';

register('./vscode-loader.mjs', import.meta.url);
// Loaded through tsx first, so the loader's `vscode` resolves to a module already compiled.
await import('./fake-vscode.js');
const { RunsTreeProvider } = await import('../../../extension/views/runs-tree.js');
const { SweepManager } = await import('../../../extension/sweeps/sweep-manager.js');
const { sweepRowView, trialRowView } = await import('../../../extension/views/sweep-items.js');

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const t = '2026-01-01T00:00:00Z';
const events = (seed: number) => JSON.stringify({ type: 'started', time: t, space: 'quick', backend: 'wasm', seed, parameters: 10, epochs: 1, steps_per_epoch: 1, ops: [], edges: 14 }) + '\n';

function trial(id: string, seed: number, state: Trial['state']): Trial {
  return {
    id, seed, settings: { 'sampling.k': '2' }, space: `spaces/${id}.bnas`, run: `trials/${id}`, state, attempts: 1,
    ...(state === 'finished' ? { result: { genotype: { normal: [], normal_concat: [], reduce: [], reduce_concat: [] }, valid_acc: 0.5, test_acc: 0.48, search_seconds: 42, param_free_share: 0.25 } } : {}),
  };
}

/** A runs folder with one plain run and one sweep of two trials, each trial a run folder. */
function workspace(state: SweepFile['state']): { runs: string; sweepDir: string } {
  const runs = tempDir('bnas-sweep-tree-');
  mkdirSync(join(runs, 'quick-1'));
  writeFileSync(join(runs, 'quick-1', 'events.jsonl'), events(1));
  const sweepDir = join(runs, 'quick-sweep-1');
  const trials = [trial('seed-1', 1, 'finished'), trial('seed-2', 2, state === 'finished' ? 'finished' : 'cancelled')];
  for (const tr of trials) {
    mkdirSync(join(sweepDir, tr.run), { recursive: true });
    writeFileSync(join(sweepDir, tr.run, 'events.jsonl'), events(tr.seed));
  }
  const sweep: SweepFile = {
    format: 1, file: '/w/quick.bnas', space: 'quick', created: t, updated: t, state, trials,
    options: { seeds: [1, 2], set: [], evaluate: false, random: 0, executor: 'local', parallel: 2, backend: 'wasm', retries: 2 },
  };
  writeFileSync(join(sweepDir, 'sweep.json'), JSON.stringify(sweep));
  return { runs, sweepDir };
}

describe('runs view: sweeps', () => {
  it('shows a sweep above the runs with its trials under it, not as runs', async () => {
    const { runs, sweepDir } = workspace('cancelled');
    const { manager } = makeManager();
    const sweeps = new SweepManager({ cliPath: 'unused', log: silent });
    await Promise.all([manager.loadHistory([runs]), sweeps.load([runs])]);
    const tree = new RunsTreeProvider(manager, sweeps);
    const roots = tree.getChildren();
    assert.deepEqual(roots.map((n) => n.kind), ['sweep', 'run'], 'the trials are not runs of their own');
    const sweepItem = tree.getTreeItem(roots[0]);
    assert.equal(sweepItem.label, 'quick-sweep-1');
    assert.equal(sweepItem.description, 'sweep · cancelled · 1/2 trials');
    assert.match(sweepItem.contextValue ?? '', /\bsweepResumable\b/);
    assert.deepEqual(sweepItem.command, { command: 'bnas.openSweepView', title: 'Open Sweep View', arguments: [sweepDir] });
    const trials = tree.getChildren(roots[0]);
    assert.deepEqual(trials.map((n) => (n.kind === 'trial' ? n.trialId : n.kind)), ['seed-1', 'seed-2']);
    const first = tree.getTreeItem(trials[0]);
    assert.equal(first.description, 'acc 48.0% · 42s');
    assert.deepEqual(first.command, { command: 'bnas.openTrialRun', title: 'Open Run View', arguments: [join(sweepDir, 'trials', 'seed-1')] });
    assert.deepEqual(tree.getParent(trials[1]), roots[0]);
    assert.deepEqual(tree.getChildren(trials[0]), []);
    tree.dispose();
    sweeps.dispose();
  });

  it('a finished sweep is neither cancellable nor resumable; a running one is cancellable', () => {
    const sweep = { format: 1, file: '', space: 'q', created: t, updated: t, state: 'finished', trials: [trial('a', 1, 'finished')], options: { seeds: [1], set: [], evaluate: false, random: 0, executor: 'local', parallel: 1, backend: 'auto', retries: 2 } } satisfies SweepFile;
    const done = sweepRowView({ dir: '/r/s', name: 's', sweep, running: false });
    assert.doesNotMatch(done.contextValue, /sweepResumable|sweepCancellable/);
    assert.equal(done.icon, 'pass');
    const live = sweepRowView({ dir: '/r/s', name: 's', sweep: { ...sweep, state: 'running' }, running: true });
    assert.match(live.contextValue, /\bsweepCancellable\b/);
    assert.equal(live.icon, 'sync~spin');
    assert.equal(trialRowView({ dir: '/r/s', name: 's', sweep, running: false }, 'gone').description, '(gone)');
  });
});
