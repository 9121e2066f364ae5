/**
 * The search-space view in headless Chromium: the network and the supernet cell are drawn from
 * the model, controls post edits the extension can apply, problems post reveals, and a document
 * with errors keeps the last valid drawing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { spaceEstimates } from '../../extension/panels/space-estimates.js';
import { loadSearchSpace, pruningBounds } from '../../runtime/dsl/index.js';
import type { SpaceViewData } from '../../runtime/protocol/webview.js';
import { diagramLabelPx, horizontalOverflow, launch, mermaidSettled, openWebview, postToView, ROOT, screenshot } from './browser.js';

function viewData(file: string, text: string, version = 1): SpaceViewData {
  const { space, diagnostics } = loadSearchSpace(text);
  return {
    uri: `file:///work/${file}`,
    version,
    fileName: file,
    ...(space ? { space, estimates: spaceEstimates(space, 'wasm') } : {}),
    diagnostics: diagnostics.map((d) => ({ severity: d.severity, message: d.message, code: d.code, range: d.range })),
  };
}

type Posted = { type: string; edit?: unknown; range?: unknown; version?: number };
const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);

describe('search-space view', { timeout: 240_000 }, () => {
  let browser: Browser;
  let page: Page;
  const quick = readFileSync(join(ROOT, 'examples', 'quick.bnas'), 'utf8');
  before(async () => {
    browser = await launch();
    page = await openWebview(browser, 'search-space', 'vscode-dark');
  });
  after(async () => browser?.close());

  it('draws the network and the supernet cell with every candidate edge', async () => {
    await postToView(page, { type: 'space', data: viewData('quick.bnas', quick) });
    await mermaidSettled(page);
    const macro = await page.$$eval('[data-diagram="macro"] .node', (els) => els.map((e) => e.textContent?.trim()));
    assert.equal(macro.length, 3 + 2, 'stem, 3 cells, head');
    assert.ok(macro.some((t) => /cell 1 · reduce · 16 ch/.test(t ?? '')), macro.join(' | '));
    const edges = await page.$$eval('[data-diagram="cell"] g.edgeLabel', (els) => els.map((e) => e.textContent?.trim()).filter(Boolean));
    assert.equal(edges.length, 14, '4 nodes → 14 mixed edges');
    assert.ok(edges.every((t) => t === '6 ops, 1/4 ch'));
    assert.equal(await page.$$eval('.ops-table tbody tr', (e) => e.length), 6);
    const estimates = await page.$eval('#estimates', (e) => e.textContent ?? '');
    assert.match(estimates, /memory per step.*MB/);
    assert.match(estimates, /arithmetic[\d.]+M multiply-adds per image, \d+ % fixed/);
    // The range pruning can save is the space's own bounds (runtime/dsl/search-compute.ts).
    // quick.bnas's per-edge probes cost more than the cheapest ops save, so the worst case saves nothing.
    const b = pruningBounds(loadSearchSpace(quick).space!);
    assert.ok(b.best < b.unpruned && b.worst > b.unpruned, JSON.stringify(b));
    const saves = `up to ${Math.round(100 * (1 - b.best / b.unpruned))} % of the search's arithmetic, or nothing if the cheap ops go first`;
    assert.ok(estimates.includes(`pruning saves${saves}`), `${saves} in: ${estimates}`);
    assert.match(estimates, /parameters≈ [\d,]+/);
    assert.match(estimates, /threads1 thread/, 'the view says which thread count the time estimate assumes');
    // Readable at default zoom: no label under 11 px, whatever the drawing's width.
    for (const px of await diagramLabelPx(page, '.mermaid-box')) assert.ok(px >= 11, `labels at ${px.toFixed(1)} px`);
    assert.equal(await page.$$eval('.diagram-controls', (e) => e.length), 2, 'zoom controls for both drawings');
    assert.doesNotMatch(await page.$eval('p[role=status]', (e) => e.textContent ?? ''), /version/);
    await screenshot(page, 'search-space-view-dark');
  });

  it('turns controls into edit requests for the current document version', async () => {
    await page.click('vscode-checkbox[data-op="max_pool_3x3"]');
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.type === 'edit'));
    const edit = (await posted(page)).find((m) => m.type === 'edit')!;
    assert.deepEqual(edit, { type: 'edit', uri: 'file:///work/quick.bnas', version: 1, edit: { kind: 'toggleOp', op: 'max_pool_3x3', enabled: false } });
    await page.fill('vscode-textfield[data-control="supernet.cells"] >> input', '5');
    await page.press('vscode-textfield[data-control="supernet.cells"] >> input', 'Enter');
    await page.locator('vscode-textfield[data-control="supernet.cells"] >> input').blur();
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.type === 'edit').length >= 2);
    const second = (await posted(page)).filter((m) => m.type === 'edit')[1]!;
    assert.deepEqual(second.edit, { kind: 'setNumber', block: 'supernet', attribute: 'cells', value: 5 });
  });

  it('lists problems, posts a reveal on click, and keeps the last valid drawing on errors', async () => {
    const broken = quick.replace('cells = 3', 'cells = 99');
    await postToView(page, { type: 'space', data: viewData('quick.bnas', broken, 2) });
    await page.waitForSelector('.problem.error');
    await page.click('.problem.error');
    const reveal = (await posted(page)).find((m) => m.type === 'reveal')!;
    assert.ok(reveal.range, 'reveal carries the range');
    assert.ok(await page.$eval('[data-diagram="macro"]', (e) => e.classList.contains('stale')));
    assert.ok(await page.$('[data-diagram="macro"] svg'));
    assert.ok(await page.$eval('vscode-checkbox[data-op="none"]', (e) => e.hasAttribute('disabled')), 'controls are off while the file has errors');
    await postToView(page, { type: 'notice', level: 'error', message: 'VS Code refused the edit' });
    assert.match(await page.$eval('.messages', (e) => e.textContent ?? ''), /refused/);
  });

  it('fits a 420 px wide panel: no horizontal overflow, labels still readable, controls reachable', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    try {
      await postToView(page, { type: 'space', data: viewData('quick.bnas', quick, 6) });
      await mermaidSettled(page);
      const overflow = await horizontalOverflow(page);
      assert.ok(overflow.page <= 0, `no horizontal overflow at 420 px (${overflow.page} px)`);
      assert.deepEqual(overflow.boxes, [], 'boxes past the right edge');
      for (const px of await diagramLabelPx(page, '.mermaid-box')) assert.ok(px >= 11, `labels at ${px.toFixed(1)} px`);
      assert.ok(await page.isVisible('vscode-checkbox[data-op="max_pool_3x3"]'));
      await screenshot(page, 'search-space-view-dark-420');
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 });
    }
  });

  it('draws in the light theme', async () => {
    await page.evaluate(() => (document.body.className = 'vscode-light bnas-standalone'));
    await postToView(page, { type: 'space', data: viewData('quick.bnas', quick, 3) });
    await mermaidSettled(page);
    assert.equal(await page.$$eval('.mermaid-box svg', (e) => e.length), 2);
    await screenshot(page, 'search-space-view-light');
  });

  it('says when the rounds cost more than pruning saves, and says nothing of pruning when a space does not prune', async () => {
    // 256 images: 4 steps an epoch, and UCB evaluates samples × K candidates a round.
    const costly = 'search small { data { train = 256 } pruning { criterion = ucb } }';
    assert.ok(pruningBounds(loadSearchSpace(costly).space!).best > pruningBounds(loadSearchSpace(costly).space!).unpruned);
    await postToView(page, { type: 'space', data: viewData('small.bnas', costly, 4) });
    assert.match(await page.$eval('#estimates', (e) => e.textContent ?? ''), /pruning savesnothing: the rounds' evaluations cost \d+–\d+ % more/);
    await postToView(page, { type: 'space', data: viewData('none.bnas', 'search plain { pruning { criterion = none } }', 5) });
    const plain = await page.$eval('#estimates', (e) => e.textContent ?? '');
    assert.doesNotMatch(plain, /pruning saves/);
    assert.match(plain, /multiply-adds per image/);
  });
});
