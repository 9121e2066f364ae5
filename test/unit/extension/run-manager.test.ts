import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunEvent } from '../../../runtime/protocol/index.js';
import { RunManager } from '../../../extension/runs/run-manager.js';
import { fakeSpace, makeManager, tempDir, waitForEvent, waitForState } from './helpers.js';

const managers: RunManager[] = [];
after(async () => {
  for (const m of managers) await m.shutdown(3_000);
});
function manager(opts: Parameters<typeof makeManager>[0] = {}) {
  const made = makeManager(opts);
  managers.push(made.manager);
  return made;
}
function diskEvents(dir: string): RunEvent[] {
  return readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
}

describe('run manager against a fake runtime', () => {
  it('forwards every event in order, per run and to all listeners, and ends finished', async () => {
    const ws = tempDir();
    const { manager: m } = manager({ electron: true });
    const all: string[] = [];
    m.onDidEmit(({ event }) => all.push(event.type));
    const run = await m.start({ file: fakeSpace(ws, 'quick', { epochs: 3, steps: 4 }), runsFolder: join(ws, '.bnas/runs'), backend: 'wasm', seed: 11, threads: 2 });
    assert.match(run.name, /^quick-\d{8}-\d{6}$/);
    const perRun: RunEvent[] = [];
    m.onEvent(run.id, (e) => perRun.push(e), { replay: true });
    const done = await waitForState(m, run.id, ['finished', 'failed', 'cancelled']);
    assert.equal(done.state, 'finished');
    const onDisk = diskEvents(run.dir);
    assert.deepEqual(perRun.map((e) => e.time + e.type), onDisk.map((e) => e.time + e.type));
    assert.deepEqual(all, onDisk.map((e) => e.type));
    assert.equal(onDisk.length, 1 + 3 * (4 + 2) + 1);
    assert.equal(done.summary.epochsDone, 3);
    assert.equal(done.summary.opsLeft, 25);
    assert.equal(done.summary.testAcc, 0.6);
    assert.ok(done.summary.final && done.summary.genotype);
    const args = JSON.parse(readFileSync(join(run.dir, 'args.json'), 'utf8'));
    assert.deepEqual(args.argv.slice(2), ['--out', run.dir, '--json', '--backend', 'wasm', '--seed', '11', '--threads', '2']);
    assert.equal(args.electron, '1', 'ELECTRON_RUN_AS_NODE is set for an Electron host');
    assert.deepEqual(args.entriesAtStart, [], 'the runtime gets an empty folder (it refuses a non-empty one)');
    assert.equal(JSON.parse(readFileSync(join(run.dir, 'run-meta.json'), 'utf8')).file, join(ws, 'quick.bnas'));
    assert.deepEqual((await m.readEvents(run.id)).map((e) => e.type), onDisk.map((e) => e.type));
  });

  it('stop sends cancel: the runtime checkpoints, the run ends cancelled, and resume continues it', async () => {
    const ws = tempDir();
    const { manager: m } = manager();
    const file = fakeSpace(ws, 'long', { hang: 'fresh' });
    const run = await m.start({ file, runsFolder: join(ws, 'runs'), threads: 'auto' });
    await waitForEvent(m, run.id, 'started');
    const firstArgs = JSON.parse(readFileSync(join(run.dir, 'args.json'), 'utf8')).argv as string[];
    m.stop(run.id);
    assert.equal(m.get(run.id)?.state, 'stopping');
    const stopped = await waitForState(m, run.id, ['cancelled', 'failed', 'finished']);
    assert.equal(stopped.state, 'cancelled');
    assert.deepEqual(diskEvents(run.dir).map((e) => e.type), ['started', 'checkpoint', 'cancelled']);
    assert.equal((diskEvents(run.dir).at(-1) as { by?: string }).by, 'ipc', 'the stop arrived as the IPC cancel message');
    assert.ok(stopped.summary.checkpoint?.endsWith('checkpoint'));

    writeFileSync(file, readFileSync(file, 'utf8') + '# edited after the run\n');
    await m.resume(run.id, { threads: 1 });
    const resumed = await waitForState(m, run.id, ['finished', 'failed', 'cancelled']);
    assert.equal(resumed.state, 'finished');
    const resumeArgs = JSON.parse(readFileSync(join(run.dir, 'args.json'), 'utf8')).argv as string[];
    assert.ok(resumeArgs.includes('--resume'));
    // `auto` (the start's default) passes no flag: the runtime measures; a number is passed on, 1 too.
    assert.ok(!firstArgs.includes('--threads'));
    assert.deepEqual(resumeArgs.slice(resumeArgs.indexOf('--threads'), resumeArgs.indexOf('--threads') + 2), ['--threads', '1']);
    assert.equal(resumeArgs[1], join(run.dir, 'space.bnas'), 'the original was edited, so the exact searched text is resumed');
    const events = await m.readEvents(run.id);
    assert.deepEqual(events.slice(0, 4).map((e) => e.type), ['started', 'checkpoint', 'cancelled', 'started']);
    assert.equal(events.at(-1)?.type, 'finished');
    assert.equal(resumed.summary.resumed, 1);
  });

  it('kills a runtime that ignores cancel and SIGTERM after the timeouts, and records a cancelled ending', async () => {
    const ws = tempDir();
    const { manager: m, log } = manager({ stopTimeoutMs: 150, killTimeoutMs: 150 });
    const run = await m.start({ file: fakeSpace(ws, 'stubborn', { hang: true, ignoreCancel: true }), runsFolder: join(ws, 'runs') });
    await waitForEvent(m, run.id, 'started');
    m.stop(run.id);
    const stopped = await waitForState(m, run.id, ['cancelled', 'failed', 'finished']);
    assert.equal(stopped.state, 'cancelled');
    assert.ok(log.lines.some((l) => l.includes('SIGTERM')) && log.lines.some((l) => l.includes('killing')));
    assert.equal(diskEvents(run.dir).at(-1)?.type, 'cancelled', 'the ending is appended to events.jsonl');
    assert.throws(() => process.kill(stopped.pid as number, 0));
  });

  it('turns a crash into a failure with the stderr tail', async () => {
    const ws = tempDir();
    const { manager: m } = manager();
    const run = await m.start({ file: fakeSpace(ws, 'crashy', { crashAfter: 3 }), runsFolder: join(ws, 'runs') });
    const lastEvents: RunEvent[] = [];
    m.onEvent(run.id, (e) => lastEvents.push(e));
    const failed = await waitForState(m, run.id, ['failed', 'finished', 'cancelled']);
    assert.equal(failed.state, 'failed');
    assert.match(failed.failure?.message ?? '', /stopped unexpectedly \(exit code 3\)/);
    assert.equal(failed.failure?.exitCode, 3);
    assert.ok(failed.failure?.stderrTail.includes('Error: out of memory in conv2d'));
    const ending = lastEvents.at(-1);
    assert.equal(ending?.type, 'failed', 'views get a failed event even though the runtime sent none');
    assert.match(ending?.type === 'failed' ? ending.message : '', /out of memory/);
  });

  it('reports a failed event with its message', async () => {
    const ws = tempDir();
    const { manager: m } = manager();
    const run = await m.start({ file: fakeSpace(ws, 'nan', { fail: 'Loss became NaN at epoch 0, step 2.' }), runsFolder: join(ws, 'runs') });
    const failed = await waitForState(m, run.id, ['failed', 'finished', 'cancelled']);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.failure?.message, 'Loss became NaN at epoch 0, step 2.');
    assert.deepEqual(failed.failure?.stderrTail, ['fatal: Loss became NaN at epoch 0, step 2.']);
  });

  it('queues runs beyond the limit and starts them as slots free up', async () => {
    const ws = tempDir();
    const { manager: m } = manager({ maxConcurrentRuns: 1 });
    const runs = join(ws, 'runs');
    const a = await m.start({ file: fakeSpace(ws, 'a', { hang: true }), runsFolder: runs });
    const b = await m.start({ file: fakeSpace(ws, 'b', { hang: true }), runsFolder: runs });
    const c = await m.start({ file: fakeSpace(ws, 'c', { hang: true }), runsFolder: runs });
    assert.equal(m.get(a.id)?.state, 'running');
    assert.equal(m.get(b.id)?.state, 'queued');
    assert.equal(m.get(b.id)?.queuePosition, 0);
    assert.equal(m.get(c.id)?.queuePosition, 1);
    assert.ok(!existsSync(join(b.dir, 'events.jsonl')), 'a queued run has not started');

    await m.stop(c.id);
    assert.equal(m.get(c.id), undefined, 'stopping a queued run drops it');
    assert.ok(!existsSync(c.dir), 'and its empty folder');

    m.stop(a.id);
    await waitForState(m, a.id, ['cancelled']);
    assert.equal(m.get(b.id)?.state, 'running', 'the next run starts when the first ends');
    await waitForEvent(m, b.id, 'started');
    m.setMaxConcurrentRuns(2);
    const d = await m.start({ file: fakeSpace(ws, 'd', { hang: true }), runsFolder: runs });
    assert.equal(m.get(d.id)?.state, 'running', 'a higher limit starts runs side by side');
    assert.equal(m.activeRuns().length, 2);
    m.stop(b.id);
    m.stop(d.id);
    await Promise.all([waitForState(m, b.id, ['cancelled']), waitForState(m, d.id, ['cancelled'])]);
  });

  it('drops and counts invalid messages, forwarding only valid events', async () => {
    const ws = tempDir();
    const { manager: m, log } = manager();
    const got: RunEvent[] = [];
    const run = await m.start({ file: fakeSpace(ws, 'noisy', { invalid: true }), runsFolder: join(ws, 'runs') });
    m.onEvent(run.id, (e) => got.push(e), { replay: true });
    const done = await waitForState(m, run.id, ['finished', 'failed', 'cancelled']);
    assert.equal(done.state, 'finished');
    assert.equal(got.length, diskEvents(run.dir).length);
    assert.equal(done.droppedMessages, got.length, 'one invalid message precedes each event');
    assert.equal(log.lines.filter((l) => l.includes('dropped an invalid message from the runtime')).length, 5, 'the log shows the first few only');
  });

  it('reads events from the IPC channel only: an event-shaped line on stdout is logged, never delivered', async () => {
    const ws = tempDir();
    const { manager: m, log } = manager();
    const stray = JSON.stringify({ type: 'warning', time: '2026-01-01T00:00:00Z', message: 'stray stdout line' });
    const run = await m.start({ file: fakeSpace(ws, 'chatty', { epochs: 1, steps: 1, noise: stray }), runsFolder: join(ws, 'runs') });
    const got: RunEvent[] = [];
    m.onEvent(run.id, (e) => got.push(e), { replay: true });
    const done = await waitForState(m, run.id, ['finished', 'failed', 'cancelled']);
    assert.equal(done.state, 'finished');
    assert.deepEqual(got.map((e) => e.type), diskEvents(run.dir).map((e) => e.type), 'each event once, none from stdout');
    assert.ok(!got.some((e) => e.type === 'warning'));
    assert.equal(done.droppedMessages, 0);
    assert.ok(log.lines.some((l) => l.startsWith('debug') && l.includes('stray stdout line')), 'stdout is kept in the log');
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const ws = tempDir();
    const { manager: m, log } = manager();
    const run = await m.start({ file: fakeSpace(ws, 'ok', {}), runsFolder: join(ws, 'runs') });
    let seen = 0;
    m.onEvent(run.id, () => {
      throw new Error('broken view');
    });
    m.onEvent(run.id, () => seen++);
    await waitForState(m, run.id, ['finished']);
    assert.equal(seen, diskEvents(run.dir).length);
    assert.ok(log.lines.some((l) => l.includes('broken view')));
  });

  it('fails clearly when the runtime cannot start', async () => {
    const ws = tempDir();
    const { manager: m } = manager({ execPath: join(ws, 'no-such-node') });
    const run = await m.start({ file: fakeSpace(ws, 'x', {}), runsFolder: join(ws, 'runs') });
    const failed = await waitForState(m, run.id, ['failed']);
    assert.match(failed.failure?.message ?? '', /Could not start the search runtime/);
  });

  it('rejects a missing file with a clear message', async () => {
    const { manager: m } = manager();
    await assert.rejects(m.start({ file: '/nope/missing.bnas', runsFolder: tempDir() }), /Cannot read the search space file \/nope\/missing\.bnas/);
  });

  it('shutdown ends every child process', async () => {
    const ws = tempDir();
    const m = new RunManager({ cliPath: (await import('./helpers.js')).FAKE_RUNTIME, maxConcurrentRuns: 2 });
    const runs = join(ws, 'runs');
    const a = await m.start({ file: fakeSpace(ws, 'a', { hang: true }), runsFolder: runs });
    const b = await m.start({ file: fakeSpace(ws, 'b', { hang: true }), runsFolder: runs });
    await Promise.all([waitForEvent(m, a.id, 'started'), waitForEvent(m, b.id, 'started')]);
    const pids = [m.get(a.id)?.pid, m.get(b.id)?.pid] as number[];
    await m.shutdown(5_000);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'child is gone');
    await assert.rejects(m.start({ file: fakeSpace(ws, 'c'), runsFolder: runs }), /shut down/);
  });
});

describe('run history from disk', () => {
  it('derives finished, cancelled, failed, interrupted and external runs from the run folders', async () => {
    const ws = tempDir();
    const runs = join(ws, '.bnas', 'runs');
    {
      const { manager: m } = manager();
      const fin = await m.start({ file: fakeSpace(ws, 'fin', {}), runsFolder: runs });
      const can = await m.start({ file: fakeSpace(ws, 'can', { hang: true }), runsFolder: runs });
      await waitForState(m, fin.id, ['finished']);
      await waitForEvent(m, can.id, 'started');
      m.stop(can.id);
      await waitForState(m, can.id, ['cancelled']);
      const bad = await m.start({ file: fakeSpace(ws, 'bad', { crashAfter: 2 }), runsFolder: runs });
      await waitForState(m, bad.id, ['failed']);
    }
    const started = JSON.stringify({ type: 'started', time: '2026-01-01T00:00:00Z', space: 'half', backend: 'cpu', seed: 1, parameters: 5, epochs: 4, steps_per_epoch: 2, ops: [], edges: 14 });
    const epoch = JSON.stringify({ type: 'epoch', time: '2026-01-01T00:01:00Z', epoch: 0, train_loss: 1, train_acc: 0.3, valid_loss: 1, valid_acc: 0.25, seconds: 60, ops_left: 40 });
    mkdirSync(join(runs, 'half-1'));
    // A torn last line, as after a power cut mid-write.
    writeFileSync(join(runs, 'half-1', 'events.jsonl'), `${started}\n${epoch}\n{"type":"st`);
    mkdirSync(join(runs, 'elsewhere-1'));
    writeFileSync(join(runs, 'elsewhere-1', 'events.jsonl'), `${started}\n`);
    writeFileSync(join(runs, 'elsewhere-1', 'run-meta.json'), JSON.stringify({ file: '/x.bnas', name: 'elsewhere-1', createdAt: '2026-01-01T00:00:00Z', pid: process.pid }));
    mkdirSync(join(runs, 'not-a-run'));

    const { manager: fresh } = manager();
    await fresh.loadHistory([runs]);
    const byName = new Map(fresh.runs().map((r) => [r.name.replace(/-\d{8}-\d{6}$/, ''), r]));
    assert.deepEqual([...byName.keys()].sort(), ['bad', 'can', 'elsewhere-1', 'fin', 'half-1']);
    assert.equal(byName.get('fin')?.state, 'finished');
    assert.equal(byName.get('fin')?.summary.testAcc, 0.6);
    assert.equal(byName.get('can')?.state, 'cancelled');
    assert.equal(byName.get('bad')?.state, 'failed');
    assert.match(byName.get('bad')?.failure?.message ?? '', /exit code 3/);
    const half = byName.get('half-1');
    assert.equal(half?.state, 'interrupted');
    assert.equal(half?.summary.validAcc, 0.25);
    assert.equal(half?.droppedMessages, 1);
    assert.equal(byName.get('elsewhere-1')?.state, 'running');
    assert.equal(byName.get('elsewhere-1')?.external, true);
    assert.equal((await fresh.readEvents(join(runs, 'half-1'))).length, 2);

    // The outside run goes on: new lines in its events.jsonl reach listeners, then it ends.
    const outside = byName.get('elsewhere-1')?.id as string;
    const followed: string[] = [];
    fresh.onEvent(outside, (e) => followed.push(e.type));
    assert.ok(fresh.hasExternalRuns());
    appendFileSync(join(outside, 'events.jsonl'), `${epoch}\n`);
    await fresh.followExternal();
    assert.deepEqual(followed, ['epoch']);
    assert.equal(fresh.get(outside)?.summary.validAcc, 0.25);
    assert.equal(fresh.get(outside)?.state, 'running');
    appendFileSync(join(outside, 'events.jsonl'), JSON.stringify({ type: 'cancelled', time: '2026-01-01T00:02:00Z', epoch: 1 }) + '\n');
    await fresh.followExternal();
    assert.deepEqual(followed, ['epoch', 'cancelled']);
    assert.equal(fresh.get(outside)?.state, 'cancelled');
    assert.equal(fresh.hasExternalRuns(), false);
    assert.deepEqual((await fresh.readEvents(outside)).map((e) => e.type), ['started', 'epoch', 'cancelled']);

    await assert.rejects(fresh.resume(byName.get('fin')?.id as string), /only cancelled, interrupted or failed/);
    await fresh.delete(byName.get('bad')?.id as string);
    assert.ok(!existsSync(byName.get('bad')?.dir as string));
    await fresh.loadHistory([runs]);
    assert.equal(fresh.runs().length, 4);
  });
});
