// The protocol schemas: every event kind and every webview message kind is accepted when
// well-formed and rejected, with a reason naming the field, when one of its fields is missing or wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EVENT_TYPES,
  RUN_FILES,
  RUNTIME_FILES,
  cellMermaidFile,
  checkFromWebviewMessage,
  checkRunEvent,
  checkToWebviewMessage,
  parseEventLines,
  parseRunnerCommand,
  type RunEventType,
} from '../../../runtime/protocol/index.js';

const time = '2026-01-01T00:00:00Z';
const genotype = {
  normal: [['sep_conv_3x3', 0], ['skip_connect', 1]],
  normal_concat: [2],
  reduce: [['max_pool_3x3', 0], ['max_pool_3x3', 1]],
  reduce_concat: [2],
};

/** One well-formed event of each kind, and a field whose removal or corruption must be caught. */
const EVENTS: Record<RunEventType, { event: Record<string, unknown>; field: string; bad: unknown }> = {
  started: { event: { type: 'started', time, space: 's', backend: 'wasm', seed: 7, parameters: 10, epochs: 2, steps_per_epoch: 3, ops: ['none'], edges: 14 }, field: 'ops', bad: 'none' },
  step: { event: { type: 'step', time, epoch: 1, step: 2, steps: 3, loss: NaN, seconds: 1 }, field: 'steps', bad: -1 },
  epoch: { event: { type: 'epoch', time, epoch: 1, train_loss: 1, train_acc: 0.5, valid_loss: 1, valid_acc: 0.4, seconds: 2, ops_left: 20 }, field: 'valid_acc', bad: Infinity },
  alphas: { event: { type: 'alphas', time, epoch: 1, cell: 'normal', weights: [{ none: 0.5 }], betas: [1] }, field: 'weights', bad: [{ none: 'x' }] },
  pruned: { event: { type: 'pruned', time, epoch: 1, cell: 'reduce', edge: 3, op: 'none', score: 0.1, round: 1 }, field: 'cell', bad: 'other' },
  genotype: { event: { type: 'genotype', time, epoch: 1, genotype }, field: 'genotype', bad: { ...genotype, normal: [['x', -1]] } },
  checkpoint: { event: { type: 'checkpoint', time, epoch: 1, path: '/r/checkpoint' }, field: 'path', bad: 3 },
  finished: { event: { type: 'finished', time, genotype, seconds: 9 }, field: 'seconds', bad: '9' },
  failed: { event: { type: 'failed', time, message: 'boom' }, field: 'message', bad: null },
  cancelled: { event: { type: 'cancelled', time, epoch: 1 }, field: 'epoch', bad: 1.5 },
  warning: { event: { type: 'warning', time, message: 'careful' }, field: 'message', bad: 1 },
  parent: { event: { type: 'parent', time, stage: 'finished', epoch: 3, epochs: 3, valid_acc: 0.8, seconds: 5, genotype }, field: 'stage', bad: 'search' },
};

describe('run event schemas', () => {
  it('cover every event type', () => {
    assert.deepEqual([...EVENT_TYPES].sort(), Object.keys(EVENTS).sort());
  });

  for (const [type, { event, field, bad }] of Object.entries(EVENTS)) {
    it(`accept a well-formed ${type} event and reject one with a missing or wrong ${field}`, () => {
      const ok = checkRunEvent(event);
      assert.ok(ok.ok, ok.ok ? '' : ok.reason);
      const missing = checkRunEvent({ ...event, [field]: undefined });
      assert.equal(missing.ok, false);
      assert.match(missing.ok ? '' : missing.reason, new RegExp(`^${type}\\.${field}\\b`), 'the reason names the event type and field');
      const wrong = checkRunEvent({ ...event, [field]: bad });
      assert.equal(wrong.ok, false);
      assert.match(wrong.ok ? '' : wrong.reason, new RegExp(`^${type}\\.${field}\\b`));
    });
  }

  it('reject a started event without ops (the run view would fail on it later)', () => {
    const { ops: _ops, ...noOps } = EVENTS.started.event;
    const r = checkRunEvent(noOps);
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.reason, 'started.ops: missing');
  });

  it('keep a started event\'s shard_steps (false: steps on one thread) and reject one that is not a boolean', () => {
    const r = checkRunEvent({ ...EVENTS.started.event, threads: 2, shard_steps: false });
    assert.ok(r.ok && r.value.type === 'started' && r.value.shard_steps === false);
    const bad = checkRunEvent({ ...EVENTS.started.event, shard_steps: 'no' });
    assert.match(bad.ok ? '' : bad.reason, /^started\.shard_steps\b/);
  });

  it('reject an unknown type, a missing time and a non-object, saying why', () => {
    const unknown = checkRunEvent({ type: 'nope', time });
    assert.match(unknown.ok ? '' : unknown.reason, /^type: expected .*"started".*got "nope"/);
    const noTime = checkRunEvent({ ...EVENTS.failed.event, time: undefined });
    assert.match(noTime.ok ? '' : noTime.reason, /^failed\.time: expected string/);
    assert.equal(checkRunEvent('x').ok, false);
  });

  it('leave out fields the protocol does not know (a newer runtime may add some)', () => {
    const r = checkRunEvent({ ...EVENTS.cancelled.event, by: 'ipc' });
    assert.ok(r.ok);
    assert.equal('by' in r.value, false);
  });

  it('read events.jsonl lines, counting what is not an event', () => {
    const text = `${JSON.stringify(EVENTS.started.event)}\n\nnot json\n{"type":"epoch"}\n${JSON.stringify(EVENTS.failed.event)}`;
    const { events, invalid } = parseEventLines(text);
    assert.deepEqual(events.map((e) => e.type), ['started', 'failed']);
    assert.equal(invalid, 2);
  });

  it('accept only the cancel command from the extension', () => {
    assert.deepEqual(parseRunnerCommand({ type: 'cancel' }), { type: 'cancel' });
    assert.equal(parseRunnerCommand({ type: 'stop' }), undefined);
  });
});

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } };
const space = { name: 's', supernet: { cells: 5, reductions: [1, 3], channels: 16, nodes: 4, stemMultiplier: 3 }, ops: [{ name: 'none', kind: 'zero', kernel: 1, dilation: 1, repeat: 1, builtin: true }], sampling: { k: 4 }, pruning: { criterion: 'ucb' }, train: { epochs: 6 } };

/** One well-formed message of each kind, and a field that must be checked. */
const TO_WEBVIEW: Record<string, { message: Record<string, unknown>; field: string; bad: unknown }> = {
  runInit: { message: { type: 'runInit', run: { id: 'r', title: 't', live: true }, events: [] }, field: 'run', bad: { id: 'r', title: 't', live: 'yes' } },
  runEvents: { message: { type: 'runEvents', events: [EVENTS.step.event] }, field: 'events', bad: 'x' },
  runLive: { message: { type: 'runLive', live: false }, field: 'live', bad: 0 },
  renderSvg: { message: { type: 'renderSvg', requestId: 1, cell: 'normal' }, field: 'cell', bad: 'other' },
  space: { message: { type: 'space', data: { uri: 'u', version: 1, fileName: 'a.bnas', space, diagnostics: [{ severity: 'error', message: 'm', range }] } }, field: 'data', bad: { uri: 'u', version: 1, fileName: 'a.bnas', space: { ...space, ops: 'none' }, diagnostics: [] } },
  notice: { message: { type: 'notice', level: 'info', message: 'hi' }, field: 'level', bad: 'loud' },
};

const FROM_WEBVIEW: Record<string, { message: Record<string, unknown>; field: string; bad: unknown }> = {
  ready: { message: { type: 'ready', view: 'run' }, field: 'view', bad: 'other' },
  export: { message: { type: 'export', format: 'svg', cell: 'reduce', svg: '<svg/>' }, field: 'svg', bad: '<script>x</script>' },
  svg: { message: { type: 'svg', requestId: 2, error: 'not derived' }, field: 'requestId', bad: -2 },
  reveal: { message: { type: 'reveal', uri: 'u', range }, field: 'range', bad: { start: { line: -1, character: 0 }, end: range.end } },
  edit: { message: { type: 'edit', uri: 'u', version: 1, edit: { kind: 'setNumber', block: 'supernet', attribute: 'nodes', value: 3 } }, field: 'edit', bad: { kind: 'setNumber', block: 'sampling', attribute: 'cells', value: 2 } },
};

describe('webview message schemas', () => {
  const directions = [
    { name: 'extension → webview', table: TO_WEBVIEW, check: checkToWebviewMessage },
    { name: 'webview → extension', table: FROM_WEBVIEW, check: checkFromWebviewMessage },
  ];
  for (const { name, table, check } of directions) {
    for (const [type, { message, field, bad }] of Object.entries(table)) {
      it(`${name}: accept ${type}, reject it with a wrong ${field}`, () => {
        const ok = check(message);
        assert.ok(ok.ok, ok.ok ? '' : ok.reason);
        const wrong = check({ ...message, [field]: bad });
        assert.equal(wrong.ok, false);
        assert.match(wrong.ok ? '' : wrong.reason, new RegExp(`^${field}\\b`), 'the reason names the field');
      });
    }
  }

  it('keep of a space only what the view reads, so the view never sees an unchecked field', () => {
    const r = checkToWebviewMessage({ ...TO_WEBVIEW.space.message, data: { ...(TO_WEBVIEW.space.message.data as object), space: { ...space, data: { source: 'mnist' } } } });
    assert.ok(r.ok && r.value.message.type === 'space');
    assert.equal(r.ok && r.value.message.type === 'space' && 'data' in (r.value.message.data.space ?? {}), false);
  });

  it('drop invalid events of a batch one by one and count them', () => {
    const r = checkToWebviewMessage({ type: 'runEvents', events: [EVENTS.step.event, { type: 'epoch' }, 'x'] });
    assert.ok(r.ok);
    assert.equal(r.value.dropped, 2);
    assert.equal(r.value.message.type === 'runEvents' && r.value.message.events.length, 1);
  });

  it('reject an svg export without its drawing', () => {
    const r = checkFromWebviewMessage({ type: 'export', format: 'svg' });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /svg/);
  });
});

describe('run folder layout', () => {
  it('names each file once, and the runtime files include the events, checkpoint and result', () => {
    const names = Object.values(RUN_FILES);
    assert.equal(new Set(names).size, names.length);
    for (const f of [RUN_FILES.events, RUN_FILES.checkpoint, RUN_FILES.result, RUN_FILES.space]) assert.ok(RUNTIME_FILES.includes(f), f);
    assert.ok(!RUNTIME_FILES.includes(RUN_FILES.meta), 'the extension metadata is not the runtime’s to remove');
    // Evaluations describe the derived cells: a replaced run's would describe cells that are gone.
    assert.ok(RUNTIME_FILES.includes(RUN_FILES.evaluations));
    assert.equal(cellMermaidFile('normal'), 'normal.mmd');
    assert.equal(cellMermaidFile('reduce'), 'reduce.mmd');
  });
});
