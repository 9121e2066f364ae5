/**
 * Node-side checks of the webview code that needs no browser: message validation on both sides,
 * Mermaid text (edge order, escaping), the run model fold, chart decimation, the CSP shell and the
 * report page's data block.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, webviewHtml } from '../../extension/panels/webview-html.js';
import { decimate } from '../../media/shared/line-chart.js';
import { ticks } from '../../media/shared/ticks.js';
import { edgeEnds, edgeIndex, formatCellMermaid, macroMermaid, mermaidLabel, supernetCellMermaid } from '../../runtime/protocol/mermaid.js';
import { applyEvents, emptyModel } from '../../media/run/run-model.js';
import { jsonForHtml, reportData, reportHtml } from '../../runtime/report/report-html.js';
import { parseFromWebviewMessage, parseReportData, parseToWebviewMessage } from '../../runtime/protocol/webview.js';
import { makeRunEvents } from './fixture-run.js';
import { bundle } from './browser.js';
import { statSync } from 'node:fs';

const G = {
  normal: [['sep_conv_3x3', 0], ['skip_connect', 1], ['sep_conv_3x3', 1], ['dil_conv_3x3', 2]],
  normal_concat: [2, 3],
  reduce: [['max_pool_3x3', 0], ['max_pool_3x3', 1], ['skip_connect', 2], ['avg_pool_3x3', 0]],
  reduce_concat: [2, 3],
} as const;

describe('webview messages', () => {
  it('accepts well-formed messages from the webview and rejects the rest', () => {
    assert.deepEqual(parseFromWebviewMessage({ type: 'ready', view: 'run' }), { type: 'ready', view: 'run' });
    assert.equal(parseFromWebviewMessage({ type: 'ready', view: 'other' }), undefined);
    assert.equal(parseFromWebviewMessage({ type: 'export', format: 'svg' }), undefined, 'svg export needs the drawing');
    assert.equal(parseFromWebviewMessage({ type: 'export', format: 'svg', svg: '<script>x</script>' }), undefined);
    assert.deepEqual(parseFromWebviewMessage({ type: 'export', format: 'svg', cell: 'reduce', svg: '<svg/>', extra: 1 }), { type: 'export', format: 'svg', cell: 'reduce', svg: '<svg/>' });
    assert.equal(parseFromWebviewMessage({ type: 'edit', uri: 'u', version: 1, edit: { kind: 'toggleOp', op: 'x y', enabled: true } }), undefined, 'op names are identifiers');
    assert.equal(parseFromWebviewMessage({ type: 'edit', uri: 'u', version: 1, edit: { kind: 'setNumber', block: 'sampling', attribute: 'cells', value: 2 } }), undefined);
    assert.equal(parseFromWebviewMessage({ type: 'edit', uri: 'u', version: 1, edit: { kind: 'setNumber', block: 'sampling', attribute: 'k', value: 0 } }), undefined);
    assert.ok(parseFromWebviewMessage({ type: 'edit', uri: 'u', version: 1, edit: { kind: 'setCriterion', value: 'ucb' } }));
    assert.equal(parseFromWebviewMessage({ type: 'reveal', uri: 'u', range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } } }), undefined);
    assert.equal(parseFromWebviewMessage(null), undefined);
  });

  it('drops invalid events inside a batch and counts them', () => {
    const events = makeRunEvents({ epochs: 1 });
    const r = parseToWebviewMessage({ type: 'runEvents', events: [events[0], { type: 'epoch' }, 'x'] });
    assert.equal(r?.message.type, 'runEvents');
    assert.equal(r?.dropped, 2);
    assert.equal(parseToWebviewMessage({ type: 'runInit', run: { id: 'a', title: 't', live: 'no' }, events: [] }), undefined);
    assert.equal(parseToWebviewMessage({ type: 'renderSvg', requestId: 1, cell: 'other' }), undefined);
    assert.equal(parseReportData({ run: { id: 'a', title: 't', live: false }, events: [{ type: 'nope' }] })?.events.length, 0);
  });

  it('checks the estimates of a space message field by field', () => {
    const space = (estimates: unknown) => parseToWebviewMessage({ type: 'space', data: { uri: 'file:///a.bnas', version: 1, fileName: 'a.bnas', diagnostics: [], estimates } });
    const good = { backend: 'wasm', parameters: 10, memoryMb: 5, macsPerImage: 3e6, fixedShare: 0.4, pruningRange: { best: 0.6, worst: 0.9 } };
    assert.equal(space(good)?.message.type, 'space');
    assert.equal(space({ backend: 'wasm', parameters: 10, memoryMb: 5 })?.message.type, 'space', 'the compute fields are optional');
    assert.equal(space({ ...good, pruningRange: { best: '0.6', worst: 0.9 } }), undefined);
    assert.equal(space({ ...good, pruningRange: 0.6 }), undefined);
    assert.equal(space({ ...good, macsPerImage: 'many' }), undefined);
    assert.equal(space({ ...good, secondsPerEpoch: null }), undefined);
  });
});

describe('Mermaid text', () => {
  it('numbers edges in DARTS order and back', () => {
    assert.deepEqual([edgeIndex(0, 0), edgeIndex(0, 1), edgeIndex(1, 0), edgeIndex(1, 2), edgeIndex(3, 4)], [0, 1, 2, 4, 13]);
    for (let e = 0; e < 14; e++) assert.equal(edgeIndex(edgeEnds(e).node, edgeEnds(e).input), e);
  });

  it('draws a genotype cell with one labelled edge per pair and the concat into c[k]', () => {
    const text = formatCellMermaid(G, 'normal');
    assert.deepEqual(text.split('\n').filter((l) => l.includes('-->|')), [
      '  in0 -->|"sep_conv_3x3"| n0',
      '  in1 -->|"skip_connect"| n0',
      '  in1 -->|"sep_conv_3x3"| n1',
      '  n0 -->|"dil_conv_3x3"| n1',
    ]);
    assert.match(text, /n0 --> out\n {2}n1 --> out/);
  });

  it('escapes every character that could be markup or syntax', () => {
    const hostile = '<img src=x onerror=alert(1)>"|]';
    const label = mermaidLabel(hostile);
    assert.doesNotMatch(label, /[<>"|\]=]/);
    assert.equal(label, '#60;img src#61;x onerror#61;alert(1)#62;#34;#124;#93;');
    const text = formatCellMermaid({ ...G, normal: [[hostile, 0], ['skip_connect', 1]], normal_concat: [2] }, 'normal');
    assert.ok(!text.includes('<img'));
  });

  it('draws every candidate edge of the supernet cell and the whole network', () => {
    assert.equal(supernetCellMermaid(4, ['a', 'b'], 4).split('\n').filter((l) => l.includes('-->|')).length, 14);
    const macro = macroMermaid({ cells: 5, reductions: [1, 3], channels: 8, stemMultiplier: 3, nodes: 4 });
    assert.match(macro, /c3\["cell 3 #183; reduce #183; 32 ch"\]/);
    assert.match(macro, /class c1,c3 reduction/);
  });
});

describe('run model', () => {
  it('folds a run into curves, α history, pruning and the final genotype', () => {
    const events = makeRunEvents({ epochs: 4 });
    const m = emptyModel();
    const dirty = applyEvents(m, events);
    assert.deepEqual([...dirty].sort(), ['cells', 'curves', 'facts', 'messages', 'pruning', 'weights']);
    assert.equal(m.epochs.length, 4);
    assert.equal(m.alphas.normal.length, 4);
    assert.equal(m.pruned.length, events.filter((e) => e.type === 'pruned').length);
    assert.equal(m.genotype?.final, true);
    assert.equal(m.end?.type, 'finished');
    assert.equal(m.edges, 14);
  });

  it('replaces an epoch seen again after a resume instead of drawing it twice', () => {
    const events = makeRunEvents({ epochs: 3 });
    const m = emptyModel();
    const upToTwo = events.slice(0, events.findIndex((e) => e.type === 'epoch' && e.epoch === 2) + 1);
    applyEvents(m, [...upToTwo, ...events]);
    assert.deepEqual(m.epochs.map((e) => e.epoch), [1, 2, 3]);
    assert.deepEqual(m.alphas.reduce.map((a) => a.epoch), [1, 2, 3]);
  });
});

describe('charts', () => {
  it('keeps min and max per pixel column of long series', () => {
    const points = Array.from({ length: 100_000 }, (_, i) => ({ x: i / 1000, y: Math.sin(i) + (i === 51_234 ? 5 : 0) }));
    const d = decimate(points, 0, 100, 500);
    assert.ok(d.length <= 2000, `${d.length} points`);
    assert.equal(Math.max(...d.map((p) => p.y)), Math.max(...points.map((p) => p.y)), 'the spike survives');
    assert.deepEqual(ticks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('page shells', () => {
  it('webview HTML: nonce CSP, no inline script without the nonce, no data in the page', () => {
    const html = webviewHtml({ cspSource: 'vscode-resource:', scriptUris: ['https://x/mermaid.js', 'https://x/main.js'], styleUri: 'https://x/main.css', title: '<t>', nonce: 'abc' });
    assert.match(html, /script-src &#39;nonce-abc&#39;/);
    assert.match(html, /<script nonce="abc" src="https:\/\/x\/mermaid.js"><\/script>\n<script nonce="abc" src="https:\/\/x\/main.js"><\/script>/, 'the shared Mermaid script first, each by nonce');
    assert.equal((html.match(/<script/g) ?? []).length, 2);
    assert.match(html, /<title>&#60;t&#62;<\/title>/);
    // Not blank while the scripts load: the title (escaped) and a loading line are in the page.
    assert.match(html, /<main id="app"[^>]*><header><h1>&#60;t&#62;<\/h1><p [^>]*>Loading the view…<\/p>/);
    assert.doesNotMatch(contentSecurityPolicy('s', 'n'), /script-src[^;]*unsafe/);
  });

  it('both views share one Mermaid script: neither view bundle carries its own copy', () => {
    const MiB = 2 ** 20;
    const [mermaid, run] = bundle('run').scripts;
    const [mermaidAgain, space] = bundle('search-space').scripts;
    assert.equal(mermaid, mermaidAgain, 'the same file for both views');
    assert.ok(statSync(mermaid!).size > 2 * MiB, 'mermaid.js holds Mermaid');
    for (const view of [run!, space!]) assert.ok(statSync(view).size < 0.5 * MiB, `${view} is ${(statSync(view).size / MiB).toFixed(2)} MiB`);
  });

  it('report page: data block cannot close itself, script allowed by hash only', () => {
    const evil = '</script><script>alert(1)</script><!--';
    assert.doesNotMatch(jsonForHtml({ evil }), /[<>]/);
    const events = makeRunEvents({ epochs: 1 });
    const html = reportHtml(reportData('/runs/r1', events), { scripts: ['var m = 1;', 'console.log("</script>")\n//# sourceMappingURL=main.js.map'], css: 'body{}' });
    assert.equal((html.match(/<\/script>/g) ?? []).length, 3, 'only the three real closing tags');
    assert.match(html, /script-src &#39;sha256-[A-Za-z0-9+/=]+&#39; &#39;sha256-[A-Za-z0-9+/=]+&#39;;/, 'each inlined script by its hash');
    assert.doesNotMatch(html, /sourceMappingURL/);
  });
});
