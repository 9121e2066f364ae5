import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, TailBuffer } from '../../../extension/runs/line-splitter.js';
import { exitMessage, failureCause } from '../../../extension/runs/run-manager.js';
import { readRunFolder, slugify, spaceNameOf, stateFromDisk, timeStamp, type RunFolderCache } from '../../../extension/runs/run-folder.js';
import { parseEventLines } from '../../../runtime/protocol/index.js';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEvent, describeResult, describeSummary, formatDuration, summarize } from '../../../extension/runs/run-summary.js';
import type { RunEvent } from '../../../runtime/protocol/index.js';

const t = '2026-01-01T00:00:00Z';
const events: RunEvent[] = [
  { type: 'started', time: t, space: 's', backend: 'wasm', seed: 3, parameters: 10, epochs: 6, steps_per_epoch: 10, ops: [], edges: 14 },
  { type: 'epoch', time: t, epoch: 1, train_loss: 1.2, train_acc: 0.5, valid_loss: 1.3, valid_acc: 0.7, seconds: 30, ops_left: 100 },
  { type: 'epoch', time: t, epoch: 2, train_loss: 1.1, train_acc: 0.6, valid_loss: 1.2, valid_acc: 0.65, seconds: 75, ops_left: 86 },
  { type: 'step', time: t, epoch: 3, step: 4, steps: 10, loss: 0.98765, seconds: 80, phase: 'train' },
];

describe('run summary', () => {
  it('folds key numbers from events', () => {
    const s = summarize(events);
    assert.equal(s.epochsDone, 2);
    assert.equal(s.bestValidAcc, 0.7);
    assert.equal(s.validAcc, 0.65);
    assert.equal(s.opsLeft, 86);
    assert.equal(s.epoch, 3);
    assert.equal(s.backend, 'wasm');
    assert.equal(s.threads, undefined);
    // A run whose steps stayed on one thread (the others shared pruning and measurements) steps as one thread does.
    assert.equal(summarize([{ ...events[0], threads: 2 } as RunEvent]).threads, 2);
    assert.equal(summarize([{ ...events[0], threads: 2, shard_steps: false } as RunEvent]).threads, 1);
    assert.equal(describeSummary(s), 'epoch 3/6 · valid acc 65.0% · 86 ops left · 1m 20s');
    assert.equal(describeSummary(s, { step: true }), 'epoch 3/6 · step 4/10 · loss 0.988 · valid acc 65.0% · 86 ops left · 1m 20s');
    // Pruning evaluations and derivation's edge probes count their own passes, not the epoch's steps.
    const phase = (p: 'prune' | 'derive') => describeSummary(summarize([...events, { ...events[3], step: 57, phase: p } as RunEvent]), { step: true });
    assert.match(phase('prune'), / · pruning 57\/10 · /);
    assert.match(phase('derive'), / · deriving: edge probe 57 · /);
  });

  it('names the split of every accuracy it quotes', () => {
    const fin: RunEvent = { type: 'finished', time: t, genotype: { normal: [], reduce: [], normal_concat: [], reduce_concat: [] }, seconds: 90, valid_acc: 0.552, test_acc: 0.484 };
    const s = summarize([...events, fin]);
    assert.match(describeSummary(s), /test acc 48\.4%/);
    assert.equal(describeResult(s), ' (test acc 48.4%, valid acc 55.2%)');
    assert.equal(describeResult(summarize(events.slice(0, 1))), '');
  });

  it('says a stopped run stopped after its completed epochs, as the run view does', () => {
    // Stopped during epoch 3: two epochs completed, the runtime's cancelled.epoch is 2.
    const s = summarize([...events, { type: 'cancelled', time: t, epoch: 2 }]);
    assert.equal(s.lastEpochDone, 2);
    assert.match(describeSummary(s), /^stopped after epoch 2\/6 · /);
  });

  it('keeps the supernet parameter count across a resume and reports the alive weights apart', () => {
    const started = events[0] as RunEvent & { type: 'started' };
    const s = summarize([...events, { type: 'cancelled', time: t, epoch: 2 }, { ...started, parameters: 7, resumed: true }]);
    assert.equal(s.parameters, 10);
    assert.equal(s.aliveParameters, 7);
    assert.equal(summarize([started, { ...started, resumed: true }]).aliveParameters, undefined);
  });

  it('a resumed start clears the earlier ending', () => {
    const s = summarize([...events, { type: 'cancelled', time: t, epoch: 2 }, { ...(events[0] as RunEvent & { type: 'started' }), resumed: true }]);
    assert.equal(s.terminal, undefined);
    assert.equal(s.resumed, 1);
  });

  it('logs each epoch with its loss and accuracy on both splits, as the command line does', () => {
    const s = summarize(events.slice(0, 2));
    assert.equal(describeEvent(events[1]!, s), 'epoch 1/6: train loss 1.20 acc 50.0%, valid loss 1.30 acc 70.0%, 100 ops left, 30s');
    assert.equal(describeEvent(events[0]!, s), 'started: s on wasm, 10 parameters, 6 epochs of 10 steps, seed 3');
    assert.equal(describeEvent(events[3]!, s), undefined, 'steps are too frequent to log');
    assert.equal(describeEvent({ type: 'cancelled', time: t, epoch: 2, checkpoint: 'ck' }, s), 'stopped after epoch 2/6; resume from ck');
    // A guided search's parent phase: logged per epoch, not counted as the search's epochs.
    const parent = summarize([{ type: 'parent', time: t, stage: 'epoch', epoch: 1, epochs: 4, loss: 1.5, valid_acc: 0.5, seconds: 9 }]);
    assert.equal(parent.epochsDone, 0);
    assert.equal(describeEvent({ type: 'parent', time: t, stage: 'epoch', epoch: 1, epochs: 4, loss: 1.5, valid_acc: 0.5, seconds: 9 }, parent), 'parent epoch 1/4: train loss 1.50, valid acc 50.0%');
    assert.equal(describeEvent({ type: 'parent', time: t, stage: 'step', epoch: 1, epochs: 4, step: 2, steps: 9, loss: 1.5, seconds: 3 }, parent), undefined);
  });

  it('formats durations', () => {
    assert.equal(formatDuration(5), '5s');
    assert.equal(formatDuration(187), '3m 07s');
    assert.equal(formatDuration(3720), '1h 02m');
    assert.equal(formatDuration(Number.NaN), undefined);
  });
});

describe('run folder helpers', () => {
  it('reads the space name without the language', () => {
    assert.equal(spaceNameOf('# search "no"\nsearch "mnist-bnas" {\n}'), 'mnist-bnas');
    assert.equal(spaceNameOf('/* search x */ search quick_1 { }'), 'quick_1');
    assert.equal(spaceNameOf('data { }'), undefined);
  });

  it('makes safe folder names', () => {
    assert.equal(slugify('My net/v2 ✓'), 'my-net-v2');
    assert.equal(slugify('../..'), 'search');
    assert.match(timeStamp(new Date(2026, 0, 2, 3, 4, 5)), /^20260102-030405$/);
  });

  it('parses JSON lines and counts what is not an event', () => {
    const r = parseEventLines(`${JSON.stringify(events[0])}\n\n{"type":"epoch"}\nnot json\n${JSON.stringify(events[1])}`);
    assert.equal(r.events.length, 2);
    assert.equal(r.invalid, 2);
  });

  it('derives the state from disk', () => {
    assert.deepEqual(stateFromDisk(summarize(events), false, false), { state: 'interrupted', external: false });
    assert.deepEqual(stateFromDisk(summarize(events), false, true), { state: 'running', external: true });
    assert.deepEqual(stateFromDisk(summarize(events), true, false), { state: 'finished', external: false });
    assert.equal(stateFromDisk(summarize([...events, { type: 'failed', time: t, message: 'x' }]), false, true).state, 'failed');
  });
});

describe('run folder cache', () => {
  it('reuses parsed files while they are unchanged and re-reads them when they change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnas-cache-'));
    writeFileSync(join(dir, 'events.jsonl'), JSON.stringify(events[0]) + '\n');
    const cache: RunFolderCache = new Map();
    const first = await readRunFolder(dir, () => false, cache);
    const parsed = cache.get(dir)?.files;
    await readRunFolder(dir, () => false, cache);
    assert.equal(cache.get(dir)?.files, parsed, 'unchanged files are not parsed again');
    appendFileSync(join(dir, 'events.jsonl'), JSON.stringify(events[1]) + '\n');
    const second = await readRunFolder(dir, () => false, cache);
    assert.notEqual(cache.get(dir)?.files, parsed);
    assert.equal(first?.summary.events, 1);
    assert.equal(second?.summary.events, 2);
    assert.equal(second?.summary.validAcc, 0.7);
  });
});

describe('line splitting', () => {
  it('joins lines split across chunks and handles CRLF', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"a":'), []);
    assert.deepEqual(s.push('1}\r\n{"b"'), ['{"a":1}']);
    assert.deepEqual(s.push(':2}\nx'), ['{"b":2}']);
    assert.equal(s.end(), 'x');
  });

  it('drops an over-long line instead of growing without bound', () => {
    const s = new LineSplitter(10);
    s.push('a'.repeat(20));
    assert.equal(s.overflowed, 20);
    assert.deepEqual(s.push('b\nc\n'), ['b', 'c']);
  });

  it('keeps only the last stderr lines', () => {
    const tail = new TailBuffer(2);
    tail.push('one\ntwo\nthr');
    tail.push('ee\n');
    tail.push('four');
    tail.end();
    assert.deepEqual(tail.tail, ['three', 'four']);
  });
});

describe('failure messages', () => {
  it('names what an exit code means and picks the explaining stderr line', () => {
    assert.match(exitMessage(2, 'exit code 2'), /refused/);
    assert.match(exitMessage(1, 'exit code 1'), /could not run/);
    assert.match(exitMessage(null, 'signal SIGSEGV'), /stopped unexpectedly \(signal SIGSEGV\)/);
    assert.equal(
      failureCause(['x.bnas:3:5: error unknown-attribute: unknown attribute', 'bnas search: x.bnas has errors; nothing was run']),
      'bnas search: x.bnas has errors; nothing was run',
    );
    assert.equal(failureCause(['loading', 'RangeError: Array buffer allocation failed', '    at foo']), 'RangeError: Array buffer allocation failed');
    assert.equal(failureCause([]), undefined);
  });
});
