/**
 * The run view in headless Chromium: a recorded run is posted as the extension would, and the
 * curves, heat maps, pruning timeline and both derived cells must be drawn, in dark and light
 * themes; a hostile op name must stay text. Screenshots go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Genotype, RunEvent } from '../../runtime/protocol/index.js';
import { ARTIFACTS, diagramLabelPx, mermaidSettled, postToView, ROOT, screenshot, type Theme, sharedWebview } from './browser.js';
import { makeRunEvents } from './fixture-run.js';

const RUN = { id: 'quick-1', title: 'quick · run 1', live: false };

/** Edge labels and node names of a drawn cell, read from the Mermaid SVG. */
async function cellDrawing(page: Page, cell: 'normal' | 'reduce') {
  return page.evaluate((c) => {
    const box = document.querySelector(`.mermaid-box[data-cell="${c}"]`)!;
    const text = (sel: string) => [...box.querySelectorAll(sel)].map((e) => (e.textContent ?? '').trim()).filter(Boolean);
    return { svg: !!box.querySelector('svg'), edgeLabels: text('g.edgeLabel'), nodeLabels: text('.node .nodeLabel, .node text'), paths: box.querySelectorAll('.flowchart-link, path.relation, .edgePaths path').length };
  }, cell);
}

describe('run view', { timeout: 240_000 }, () => {
  // One page for all cases (each runInit replaces the run): parsing the Mermaid bundle is the
  // slow part on a busy machine. Themes are switched the way VS Code does it, by body class.
  const view = sharedWebview('run', 'vscode-dark');
  let page: Page;
  before(() => (page = view.page()));
  const setTheme = (theme: Theme) => page.evaluate((t) => (document.body.className = `${t} bnas-standalone`), theme);

  for (const theme of ['vscode-dark', 'vscode-light'] as Theme[]) {
    it(`draws curves, heat maps, pruning and both cells of a finished run (${theme})`, async () => {
      await setTheme(theme);
      const events = makeRunEvents();
      await postToView(page, { type: 'runInit', run: RUN, events });
      await mermaidSettled(page);

      // Curves: one loss and one accuracy chart with train and arch-split lines.
      const charts = await page.$$eval('#curves svg.line-chart', (els) => els.map((e) => ({ chart: (e as SVGElement).dataset.chart, series: [...e.querySelectorAll('.series')].map((g) => g.getAttribute('data-series')), label: e.getAttribute('aria-label') })));
      assert.deepEqual(charts.map((c) => c.chart), ['loss', 'accuracy']);
      assert.deepEqual(charts[0]!.series, ['step (train)', 'train', 'valid (arch split)']);
      assert.match(charts[1]!.label!, /Latest: train \d+%, valid \(arch split\) \d+%/);

      // Heat maps: a rect per (epoch, edge, alive op) + β, for each cell kind.
      const heat = await page.$$eval('#weights svg.heatmap', (els) => els.map((e) => ({ cell: e.getAttribute('data-cell'), rects: e.querySelectorAll('rect.heat').length, rows: e.querySelectorAll('.edge-label').length })));
      const expected = (cell: 'normal' | 'reduce') => events.filter((e): e is Extract<RunEvent, { type: 'alphas' }> => e.type === 'alphas' && e.cell === cell).reduce((n, a) => n + a.weights.reduce((m, w) => m + Object.keys(w).length, 0) + a.betas.length, 0);
      assert.deepEqual(heat, [{ cell: 'normal', rects: expected('normal'), rows: 14 }, { cell: 'reduce', rects: expected('reduce'), rows: 14 }]);

      // Pruning timeline: each pruned event appears once in its cell's table, with its score.
      const pruned = events.filter((e) => e.type === 'pruned');
      const shown = await page.$$eval('.pruning-table .pruned-op', (els) => els.length);
      assert.equal(shown, pruned.length);
      const firstRow = await page.$eval('.pruning-table[data-cell="normal"] tbody tr', (tr) => tr.textContent);
      const firstPruned = pruned.find((p) => p.type === 'pruned' && p.cell === 'normal' && p.edge === 0);
      assert.ok(firstPruned?.type === 'pruned' && firstRow!.includes(firstPruned.op));

      // Both cells: SVG present, edge labels are the genotype's ops, nodes as in the layout.
      const fin = events.at(-1)!;
      assert.equal(fin.type, 'finished');
      for (const cell of ['normal', 'reduce'] as const) {
        const d = await cellDrawing(page, cell);
        assert.ok(d.svg, `${cell} cell has an SVG`);
        const ops: string[] = fin.type === 'finished' ? fin.genotype[cell].map(([op]) => op) : [];
        assert.deepEqual([...d.edgeLabels].sort(), [...ops].sort(), `${cell} edge labels`);
        for (const n of ['c[k-2]', 'c[k-1]', '0', '1', '2', '3', 'c[k]']) assert.ok(d.nodeLabels.includes(n), `${cell} has node ${n}: ${d.nodeLabels.join('|')}`);
      }
      assert.match(await page.$eval('.cell figcaption', (e) => e.textContent ?? ''), /final/);
      assert.match(await page.$eval('.badge', (e) => e.textContent ?? ''), /finished/);
      assert.deepEqual((page as Page & { errors: string[] }).errors, []);
      await screenshot(page, `run-view-${theme}`);
    });
  }

  it('derived by removal: the pruning tables show the loss without each edge and mark the edges each cell keeps', async () => {
    await setTheme('vscode-dark');
    const events = makeRunEvents({ edgeEvidence: true });
    await postToView(page, { type: 'runInit', run: RUN, events });
    await mermaidSettled(page);
    const fin = events.findLast((e) => e.type === 'genotype');
    assert.ok(fin?.type === 'genotype' && fin.edge_evidence);
    for (const cell of ['normal', 'reduce'] as const) {
      const rows = await page.$$eval(`.pruning-table[data-cell="${cell}"] tbody tr`, (trs) => trs.map((tr) => ({ removal: tr.querySelector('td.removal')?.textContent ?? '', kept: !!tr.querySelector('.kept-edge') })));
      assert.equal(rows.length, 14);
      // Each row shows its edge's number, signed, to the precision the table prints.
      rows.forEach((r, e) => assert.ok(r.removal.startsWith(fin.edge_evidence![cell][e]! > 0 ? '+' : '-'), `${cell} edge ${e}: ${r.removal}`));
      // The kept edges are the final genotype's: two inputs per node.
      const keptEdges: number[] = fin.genotype[cell].map(([, from], i) => {
        const j = Math.floor(i / 2);
        return j * 2 + (j * (j - 1)) / 2 + from;
      });
      assert.deepEqual(rows.flatMap((r, e) => (r.kept ? [e] : [])), [...new Set(keptEdges)].sort((a, b) => a - b));
    }
    assert.match(await page.$eval('.pruning-legend', (e) => e.textContent ?? ''), /without the edge: how much the validation loss/);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await (await page.$('.pruning-table[data-cell="normal"]'))!.screenshot({ path: join(ARTIFACTS, 'run-view-edge-evidence.png') });
    // A run without the evidence has no such column.
    await postToView(page, { type: 'runInit', run: RUN, events: makeRunEvents() });
    assert.equal(await page.$$eval('.pruning-table td.removal', (els) => els.length), 0);
  });

  it('pruned by the paired-z rule: each op shows its role and z, and the legend says what they mean', async () => {
    await setTheme('vscode-dark');
    const events = makeRunEvents({ confidence: 2 });
    await postToView(page, { type: 'runInit', run: RUN, events });
    await mermaidSettled(page);
    const expected = events.flatMap((e) => (e.type === 'pruned' && e.evidence?.roles
      ? Object.keys(e.evidence.scores).map((op) => {
        const role = e.evidence!.roles![op]!;
        const z = e.evidence!.z![op];
        return role === 'candidate' ? 'candidate: α decides' : role === 'kept' ? `kept: z ${z === null || z === undefined ? '> 2' : String(Number(z.toPrecision(3)))}` : 'promising';
      })
      : []));
    assert.ok(expected.some((t) => t.startsWith('kept')) && expected.some((t) => t.startsWith('candidate')), 'the fixture has both roles');
    const shown = await page.$$eval('.pruning-table .evidence .role', (els) => els.map((e) => e.textContent ?? ''));
    assert.deepEqual([...shown].sort(), [...expected].sort());
    // Each round's header counts its decisions by what made them: evidence where an op was kept.
    const heads = await page.$$eval('.pruning-table[data-cell="normal"] thead .basis', (els) => els.map((e) => e.textContent ?? ''));
    const rounds = [...new Set(events.flatMap((e) => (e.type === 'pruned' ? [e.round] : [])))].sort((a, b) => a - b);
    assert.deepEqual(heads, rounds.map((r) => {
      const here = events.filter((e) => e.type === 'pruned' && e.cell === 'normal' && e.round === r);
      const kept = here.filter((e) => e.type === 'pruned' && Object.values(e.evidence?.roles ?? {}).includes('kept')).length;
      return `${kept} on evidence, ${here.length - kept} by α`;
    }));
    // Every abandoned op is a candidate in this fixture, as the rule abandons.
    assert.deepEqual(await page.$$eval('.pruning-table .pruned-op .role', (els) => [...new Set(els.map((e) => e.className))]), ['role role-candidate']);
    assert.match(await page.$eval('.pruning-legend', (e) => e.textContent ?? ''), /pruning\.confidence = 2: .*candidates.*smallest α weight goes.*kept \(z\).*promising/);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await (await page.$('.pruning-table[data-cell="normal"]'))!.screenshot({ path: join(ARTIFACTS, 'run-view-confidence.png') });
    // Runs pruned by the BNAS rule show no roles.
    await postToView(page, { type: 'runInit', run: RUN, events: makeRunEvents() });
    assert.equal(await page.$$eval('.pruning-table .role, .pruning-table .basis', (els) => els.length), 0);
    assert.doesNotMatch(await page.$eval('.pruning-legend', (e) => e.textContent ?? ''), /pruning\.confidence/);
  });

  it('draws the cells readable: labels of 11 px or more, one text size in both cells, zoom and open larger', async () => {
    await setTheme('vscode-dark');
    await postToView(page, { type: 'runInit', run: RUN, events: makeRunEvents() });
    await mermaidSettled(page);
    const px = await diagramLabelPx(page, '.cells .mermaid-box');
    assert.equal(px.length, 2);
    for (const p of px) assert.ok(p >= 11, `labels at ${p.toFixed(1)} px`);
    assert.ok(Math.abs(px[0]! - px[1]!) < 0.5, `same text size in the normal and reduction cells: ${px.join(' vs ')}`);
    const text = await page.$eval('.cells', (e) => e.textContent ?? '');
    assert.doesNotMatch(text, /_\{/, 'no raw TeX in the drawings');
    const box = '.mermaid-box[data-cell="normal"]';
    const width = () => page.$eval(`${box} svg`, (e) => e.getBoundingClientRect().width);
    const before = await width();
    await page.click(`.diagram-controls:has(+ ${box}) button[aria-label="Zoom in"]`);
    assert.ok((await width()) > before * 1.2, 'zoom in enlarges the drawing');
    await page.click(`.diagram-controls:has(+ ${box}) button[aria-label="Fit the width"]`);
    const fit = await page.$eval(box, (b) => ({ svg: b.querySelector('svg')!.getBoundingClientRect().width, box: b.clientWidth }));
    assert.ok(fit.svg <= fit.box && fit.svg > fit.box * 0.9, `fit: ${fit.svg} in ${fit.box}`);
    await page.click(`.diagram-controls:has(+ ${box}) button[aria-label="Default size"]`);
    assert.ok(Math.abs((await width()) - before) < 1);
    await page.click(`.diagram-controls:has(+ ${box}) button[aria-label^="Open the drawing"]`);
    assert.equal(await page.$$eval('dialog.diagram-dialog[open] svg', (e) => e.length), 1);
    await screenshot(page, 'run-view-cell-larger');
    await page.keyboard.press('Escape');
    assert.equal(await page.$$eval('dialog.diagram-dialog', (e) => e.length), 0);
    // The export is the drawing at its own size, not the view's zoom.
    await page.click(`vscode-button[data-export="svg"][data-cell="normal"]`);
    const svg = await page.evaluate(() => {
      const posted = (window as unknown as { __posted: { svg?: string }[] }).__posted;
      const i = posted.findLastIndex((m) => m.svg);
      return posted.splice(i, 1)[0]!.svg!;
    });
    assert.doesNotMatch(svg.slice(0, svg.indexOf('>')), /style="[^"]*width: \d+px/);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  });

  it('shows a recorded run (bnas search of examples/tiny.bnas) as it was derived', async () => {
    const dir = join(ROOT, 'test', 'webview', 'fixtures', 'tiny-run');
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent);
    const { genotype } = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { genotype: Genotype };
    await setTheme('vscode-dark');
    await postToView(page, { type: 'runInit', run: { id: 'tiny-run', title: 'tiny', live: false }, events });
    await mermaidSettled(page);
    for (const cell of ['normal', 'reduce'] as const) {
      const d = await cellDrawing(page, cell);
      assert.deepEqual([...d.edgeLabels].sort(), genotype[cell].map(([op]) => op).sort());
    }
    const rows = await page.$$eval('#weights svg.heatmap', (els) => els.map((e) => e.querySelectorAll('.edge-label').length));
    assert.deepEqual(rows, [5, 5], '2 nodes → 5 edges per cell');
    assert.match(await page.$eval('.facts', (e) => e.textContent ?? ''), /wasm/);
  });

  it('updates live from batched events and keeps the final state', async () => {
    await setTheme('vscode-dark');
    const events = makeRunEvents({ epochs: 4 });
    const before = await page.evaluate(() => (window as unknown as { bnasRunView: { stats: { applied: number; frames: number } } }).bnasRunView.stats);
    await postToView(page, { type: 'runInit', run: { ...RUN, live: true }, events: events.slice(0, 1) });
    assert.match(await page.$eval('.badge', (e) => e.textContent ?? ''), /running/);
    for (let i = 1; i < events.length; i += 25) await postToView(page, { type: 'runEvents', events: events.slice(i, i + 25) });
    await mermaidSettled(page);
    const stats = await page.evaluate(() => (window as unknown as { bnasRunView: { stats: { applied: number; frames: number } } }).bnasRunView.stats);
    assert.equal(stats.applied - before.applied, events.length);
    const frames = stats.frames - before.frames;
    assert.ok(frames >= 1 && frames <= Math.ceil(events.length / 25), `batched into ${frames} frames`);
    assert.match(await page.$eval('.badge', (e) => e.textContent ?? ''), /finished/);
    assert.equal(await page.$$eval('.mermaid-box svg', (e) => e.length), 2);
    // Exports post a validated message; SVG carries the drawing.
    await page.click('vscode-button[data-export="svg"][data-cell="normal"]');
    await page.click('vscode-button[data-export="darts"]');
    const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string; format?: string; svg?: string; cell?: string }[] }).__posted.filter((m) => m.type === 'export'));
    assert.equal(posted.length, 2);
    assert.equal(posted[0]!.format, 'svg');
    assert.equal(posted[0]!.cell, 'normal');
    assert.match(posted[0]!.svg!, /^<svg/);
    assert.deepEqual(posted[1], { type: 'export', format: 'darts' });
    const state = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual(state, { view: 'run', run: { ...RUN, live: true } });
  });

  it('shows a hostile op name as text, never as markup', async () => {
    await setTheme('vscode-light');
    const hostile = '<img src=x onerror=alert(1)>';
    const events = makeRunEvents({ epochs: 3, ops: ['sep_conv_3x3', hostile, 'skip_connect', 'none'] });
    // Make sure the hostile op survives into the genotype so the cell drawing shows it.
    const withHostile = events.map((e) => (e.type === 'genotype' || e.type === 'finished' ? { ...e, genotype: { ...e.genotype, normal: e.genotype.normal.map(([op, i], k) => [k === 0 ? hostile : op, i]) } } : e));
    let dialogs = 0;
    page.once('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await postToView(page, { type: 'runInit', run: { ...RUN, title: hostile }, events: withHostile });
    await mermaidSettled(page);
    assert.equal(await page.$$eval('img', (e) => e.length), 0, 'no <img> element was created');
    assert.equal(await page.$eval('#run-title', (e) => e.textContent), hostile);
    const labels = await page.$$eval('.mermaid-box[data-cell="normal"] g.edgeLabel', (els) => els.map((e) => e.textContent));
    assert.ok(labels.includes(hostile), `edge label shown as text: ${labels.join(' | ')}`);
    assert.ok(await page.$$eval('.heatmap .op-label', (els) => els.some((e) => e.textContent === '<img src=x onerror=alert(1)>')));
    assert.equal(dialogs, 0);
    await screenshot(page, 'run-view-hostile-op');
  });

  it('re-renders the cells when the theme changes', async () => {
    await setTheme('vscode-light');
    await postToView(page, { type: 'runInit', run: RUN, events: makeRunEvents({ epochs: 2 }) });
    await mermaidSettled(page);
    const before = await page.$eval('.mermaid-box[data-cell="normal"] svg', (e) => e.outerHTML);
    await page.evaluate(() => (document.body.className = 'vscode-high-contrast bnas-standalone'));
    await page.waitForFunction((b) => document.querySelector('.mermaid-box[data-cell="normal"] svg')?.outerHTML !== b, before);
    await mermaidSettled(page);
    const after = await page.$eval('.mermaid-box[data-cell="normal"] svg', (e) => e.outerHTML);
    assert.notEqual(after, before);
    await screenshot(page, 'run-view-high-contrast');
  });

  it('lists the trainings from scratch of the derived cells, names as text; a malformed list is ignored', async () => {
    await setTheme('vscode-dark');
    await postToView(page, { type: 'runInit', run: RUN, events: makeRunEvents({ epochs: 2 }) });
    assert.match(await page.$eval('#evaluations', (e) => e.textContent ?? ''), /Not trained from scratch yet: BNAS: Evaluate Derived Cell/);
    const hostile = '<img src=x onerror=alert(1)>.bnas';
    const report = (accuracy: number, random: number[], rule?: 'caps') => ({ accuracy, random, epochs: 6, seconds: 120, ...(rule && { random_rule: rule }) });
    await postToView(page, {
      type: 'runEvaluations',
      evaluations: [
        { name: '20261207-210000', protocol: `/w/${hostile}`, report: report(0.812, [0.79, 0.77, 0.8, 0.78], 'caps') },
        { name: '20261207-220000', report: report(0.75, []) },
        { name: '20261207-230000', report: { ...report(0.81, [0.77, 0.79, 0.78, 0.82], 'caps'), accuracies: [0.8, 0.82, 0.81] } },
      ],
    });
    const rows = await page.$$eval('#evaluations tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['20261207-210000', hostile, '6', '81.2 %', '4 under the caps: 78.5 % ± 1.3 %', '+2.7 points (2.1× std), above 4 of 4'],
      ['20261207-220000', '–', '6', '75.0 %', '–', '–'],
      // Three trainings of the cell: their spread, and Welch's test against the random cells.
      ['20261207-230000', '–', '6', '81.0 % ± 1.0 % over 3 trainings', '4 under the caps: 79.0 % ± 2.2 %', '+2.0 points (0.9× std), above 3 of 4, Welch p = 0.17'],
    ]);
    assert.equal(await page.$$eval('img', (e) => e.length), 0, 'no <img> element was created');
    // A record that is not an evaluation report leaves the list as it was.
    await postToView(page, { type: 'runEvaluations', evaluations: [{ name: 'x', report: { accuracy: 'high' } }] });
    assert.equal(await page.$$eval('#evaluations tbody tr', (trs) => trs.length), 3);
  });

  it('ignores malformed messages and drops malformed events', async () => {
    await setTheme('vscode-dark');
    await postToView(page, { type: 'runInit', run: { id: 1 }, events: [] });
    await postToView(page, 'hello');
    const events = makeRunEvents({ epochs: 2 });
    await postToView(page, { type: 'runInit', run: RUN, events: [...events, { type: 'epoch', epoch: 'x' }, { type: 'nope', time: 't' }] });
    await mermaidSettled(page);
    const stats = await page.evaluate(() => (window as unknown as { bnasRunView: { current: { count: number } } }).bnasRunView.current.count);
    assert.equal(stats, events.length);
  });
});
