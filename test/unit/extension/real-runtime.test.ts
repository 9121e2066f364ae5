/**
 * The run manager against the real search runtime (`dist/cli.cjs`, built by `npm run build`):
 * the contract between the two — events over IPC only, the IPC cancel, exit 130 with a checkpoint, the
 * run folder. Skipped when the bundle is not built (unit runs without a build).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RunManager } from '../../../extension/runs/run-manager.js';
import type { RunEvent } from '../../../runtime/protocol/index.js';
import { MemoryLog, tempDir, waitForEvent, waitForState } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.cjs');
const TINY = join(ROOT, 'examples', 'tiny.bnas');

describe('run manager with the real runtime', { skip: !existsSync(CLI) || !existsSync(TINY) ? 'dist/cli.cjs not built' : false }, () => {
  const log = new MemoryLog();
  const manager = new RunManager({ cliPath: CLI, log, stopTimeoutMs: 60_000 });
  after(() => manager.shutdown(5_000));

  it('starts tiny.bnas, stops it at the first step with a checkpointed cancel, and lists it from disk', async () => {
    const runs = join(tempDir('bnas-real-'), 'runs');
    const run = await manager.start({ file: TINY, runsFolder: runs, backend: 'cpu' });
    const seen: RunEvent[] = [];
    manager.onEvent(run.id, (e) => seen.push(e), { replay: true });
    await waitForEvent(manager, run.id, 'step', 120_000);
    await manager.stop(run.id);
    const ended = await waitForState(manager, run.id, ['cancelled', 'failed', 'finished'], 120_000);
    assert.equal(ended.state, 'cancelled', ended.failure?.message);
    assert.equal(ended.failure, undefined);
    assert.equal(seen[0]?.type, 'started');
    assert.equal(seen.at(-1)?.type, 'cancelled');
    assert.equal(ended.summary.backend, 'cpu');
    const onDisk = readFileSync(join(run.dir, 'events.jsonl'), 'utf8').trim().split('\n');
    assert.equal(onDisk.length, seen.length, 'every event of events.jsonl was forwarded, once');
    assert.equal(ended.droppedMessages, 0);
    // One channel: with IPC the runtime writes no event to stdout (whose lines the manager logs).
    assert.ok(!log.lines.some((l) => l.includes('{"type":')), 'no event went over stdout as well');
    assert.ok(existsSync(join(run.dir, 'space.bnas')));

    const fresh = new RunManager({ cliPath: CLI });
    await fresh.loadHistory([runs]);
    assert.equal(fresh.get(run.id)?.state, 'cancelled');
    assert.equal(fresh.get(run.id)?.file, TINY);
  });
});
