/**
 * A search with `guide { parent = real }`: its parent phase is exactly a full-precision search
 * of the parent space (binarization off), whose op weights the search is given and moves towards;
 * weight 0 leaves every number as without a guide; a run killed during or after the parent
 * phase, or cancelled during it, resumes without redoing finished work and ends as an
 * uninterrupted one; no tensor is left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runSearch } from '../../../runtime/search/search.js';
import { parentSpace } from '../../../runtime/search/guide.js';
import type { GuideSpec, SearchSpace } from '../../../runtime/dsl/space.js';
import type { RunEvent } from '../../../runtime/protocol/events.js';
import { CELL_KINDS, type CellKind } from '../../../runtime/protocol/genotype.js';
import { tinySpace } from '../supernet/helpers.js';
import { searchFixture } from './fixture.js';

const base = { data: { train: 96, test: 32 }, train: { epochs: 3, batch: 16, warmup: 1, seed: 11 } };
const plain = tinySpace(base);
const guide: GuideSpec = { parent: 'real', epochs: 2, weight: 2, decay: 'none' };
const guided: SearchSpace = { ...plain, guide };
const fx = searchFixture(plain.data, 11, 'guide');
const dir = (name: string) => join(fx.root, name);

const result = (d: string) => JSON.parse(readFileSync(join(d, 'result.json'), 'utf8'));
const state = (d: string) => JSON.parse(readFileSync(join(d, 'checkpoint/state.json'), 'utf8')).state;
const arrays = (d: string) => readFileSync(join(d, 'checkpoint/arrays.bin'));

async function search(space: SearchSpace, outDir: string, extra: Partial<Parameters<typeof runSearch>[0]> = {}): Promise<{ status: string; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const emit = extra.emit;
  const r = await runSearch({ space, spaceText: 'x', outDir, dataset: fx.dataset, keepBackend: true, threads: 1, ...extra, emit: (e) => (events.push(e), emit?.(e)) });
  return { status: r.status, events };
}

/** Σ over edges of KL(p ‖ q), p the parent's weights renormalized over the ops an `alphas` event lists. */
function klTo(parent: Record<CellKind, number[][]>, events: RunEvent[], epoch: number, ops: readonly string[]): number {
  let kl = 0;
  for (const k of CELL_KINDS) {
    const a = events.find((e) => e.type === 'alphas' && e.epoch === epoch && e.cell === k);
    assert.ok(a && a.type === 'alphas');
    a.weights.forEach((row, e) => {
      const names = Object.keys(row);
      const mass = names.reduce((s, n) => s + parent[k][e][ops.indexOf(n)], 0);
      for (const n of names) {
        const p = parent[k][e][ops.indexOf(n)] / mass;
        kl += p * Math.log(p / row[n]);
      }
    });
  }
  return kl;
}

const ops = plain.ops.map((o) => o.name);

test('the parent phase is a full-precision search whose op weights guide the search; weight 0 changes nothing', async () => {
  const tensors = tf.memory().numTensors;
  const g = await search(guided, dir('guided'));
  assert.equal(g.status, 'finished');
  assert.equal(tf.memory().numTensors, tensors, 'both phases dispose everything');
  const stages = g.events.filter((e) => e.type === 'parent').map((e) => (e.type === 'parent' ? `${e.stage}${e.stage === 'epoch' ? e.epoch : ''}` : ''));
  assert.deepEqual(stages.filter((s) => s !== 'step'), ['started', 'epoch1', 'epoch2', 'finished']);
  const types = g.events.map((e) => e.type);
  assert.ok(types.indexOf('started') > types.lastIndexOf('parent'), 'the search starts after its parent');
  assert.ok(!g.events.some((e) => e.type === 'pruned' && e.epoch <= 0));

  // The parent phase equals a search of the parent space: full precision, no pruning.
  const fp = parentSpace(guided);
  assert.deepEqual([fp.binarize.weights, fp.binarize.activations, fp.pruning.criterion], ['none', 'real', 'none']);
  const p = await search(fp, dir('parent-alone'));
  const s = state(dir('guided'));
  assert.equal(s.phase, undefined);
  for (const k of CELL_KINDS) {
    const last = p.events.find((e) => e.type === 'alphas' && e.epoch === 2 && e.cell === k);
    assert.ok(last && last.type === 'alphas');
    assert.deepEqual(s.guide.weights[k], last.weights.map((row) => ops.map((n) => row[n])), `${k}: the search is given the parent's softmax(α)`);
  }
  assert.deepEqual(s.guide.genotype, result(dir('parent-alone')).genotype);
  assert.deepEqual(result(dir('guided')).parent.genotype, s.guide.genotype);
  assert.equal(result(dir('guided')).parent.epochs, 2);

  // Without the guide, and with weight 0: the same numbers; with it, α moves towards the parent.
  const u = await search(plain, dir('plain'));
  const z = await search({ ...plain, guide: { ...guide, weight: 0 } }, dir('zero'));
  assert.ok(arrays(dir('zero')).equals(arrays(dir('plain'))), 'weight 0: every weight, α and β as without a guide');
  assert.deepEqual(result(dir('zero')).genotype, result(dir('plain')).genotype);
  assert.ok(!arrays(dir('guided')).equals(arrays(dir('plain'))));
  assert.ok(klTo(s.guide.weights, g.events, 2, ops) < klTo(s.guide.weights, u.events, 2, ops), 'the guided α is closer to the parent');
  assert.equal(klTo(s.guide.weights, z.events, 2, ops), klTo(s.guide.weights, u.events, 2, ops));
});

test('killed during the parent phase: resumes the parent from its epoch, then ends as uninterrupted', async () => {
  const run = dir('kill-parent');
  let copied = false;
  await search(guided, run, {
    emit: (e) => {
      // A kill after the parent's first epoch leaves that epoch's checkpoint: copy the folder then.
      if (e.type === 'checkpoint' && !copied) {
        copied = true;
        cpSync(run, dir('killed-in-parent'), { recursive: true });
      }
    },
  });
  assert.equal(state(dir('killed-in-parent')).phase, 'parent');
  const r = await search(guided, dir('killed-in-parent'), { resume: true });
  assert.equal(r.status, 'finished');
  const parentEpochs = r.events.flatMap((e) => (e.type === 'parent' && e.stage === 'epoch' ? [e.epoch] : []));
  assert.deepEqual(parentEpochs, [2], 'parent epoch 1 is not redone');
  assert.ok(r.events.some((e) => e.type === 'parent' && e.stage === 'started' && e.resumed));
  assert.ok(arrays(dir('killed-in-parent')).equals(arrays(dir('guided'))));
  assert.deepEqual(result(dir('killed-in-parent')).genotype, result(dir('guided')).genotype);
});

test('killed after the parent phase: the checkpoint holds the parent result, no parent work is redone', async () => {
  const run = dir('kill-after');
  let copied = false;
  await search(guided, run, {
    emit: (e) => {
      // The search's first checkpoint, right after the parent finished (before any search step).
      if (e.type === 'checkpoint' && !copied && state(run).guide) {
        copied = true;
        cpSync(run, dir('killed-after-parent'), { recursive: true });
      }
    },
  });
  const s = state(dir('killed-after-parent'));
  assert.deepEqual([s.phase, s.epoch, s.step], [undefined, 1, 0]);
  const r = await search(guided, dir('killed-after-parent'), { resume: true });
  assert.equal(r.status, 'finished');
  assert.ok(!r.events.some((e) => e.type === 'parent'), 'no parent phase after the resume');
  assert.ok(arrays(dir('killed-after-parent')).equals(arrays(dir('guided'))));
  assert.deepEqual(result(dir('killed-after-parent')).genotype, result(dir('guided')).genotype);
});

test('cancelled during the parent phase: a checkpoint of the parent, resumed to the same end', async () => {
  const run = dir('cancel-parent');
  const controller = new AbortController();
  let steps = 0;
  const c = await search(guided, run, {
    signal: controller.signal, stepEventSeconds: 0,
    emit: (e) => e.type === 'parent' && e.stage === 'step' && e.epoch === 2 && ++steps === 1 && controller.abort(),
  });
  assert.equal(c.status, 'cancelled');
  const cancelled = c.events.at(-1);
  assert.ok(cancelled?.type === 'cancelled' && cancelled.epoch === 0, 'no search epoch is done yet');
  assert.deepEqual([state(run).phase, state(run).epoch, state(run).step], ['parent', 2, 1]);
  assert.equal((await search(guided, run, { resume: true })).status, 'finished');
  assert.ok(arrays(run).equals(arrays(dir('guided'))));
});

test('on two threads: the parent phase and the guided search run on the workers too', async () => {
  const r = await search(guided, dir('threads'), { threads: 2 });
  assert.equal(r.status, 'finished');
  assert.ok(r.events.some((e) => e.type === 'parent' && e.stage === 'finished'));
  assert.ok(r.events.some((e) => e.type === 'started' && e.threads === 2));
  assert.equal(state(dir('threads')).guide.epochs, 2);
});
