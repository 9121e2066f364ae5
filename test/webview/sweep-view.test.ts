/**
 * The sweep view in headless Chromium: hostile trial names and settings render as text (no
 * element, no script runs), the table sorts by a clicked column, the scatter has one dot per
 * finished trial, the best trial's cells are drawn, running trials show their last epoch, and
 * trials, Cancel and Resume post their messages.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { SweepViewData } from '../../runtime/protocol/sweep-view.js';
import type { Trial } from '../../runtime/sweep/schema.js';
import { horizontalOverflow, mermaidSettled, postToView, screenshot, sharedWebview } from './browser.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const genotype = (op: string) => ({ normal: [[op, 0], ['skip_connect', 1], [op, 0], ['max_pool_3x3', 2]] as [string, number][], normal_concat: [2, 3], reduce: [['max_pool_3x3', 0], [op, 1], ['avg_pool_3x3', 0], [op, 2]] as [string, number][], reduce_concat: [2, 3] });

function trial(id: string, seed: number, k: string, state: Trial['state'], acc?: number, seconds?: number): Trial {
  return {
    id, seed, settings: { 'sampling.k': k, 'data.path': `"${HOSTILE}"` }, space: `spaces/${id}.bnas`, run: `trials/${id}`, state, attempts: 1,
    ...(acc !== undefined ? { result: { genotype: genotype(acc > 0.6 ? 'sep_conv_3x3' : 'dil_conv_3x3'), valid_acc: acc, search_seconds: seconds!, parameters: 12000 + seed, param_free_share: 0.25 } } : {}),
    ...(state === 'failed' ? { error: 'out of memory' } : {}),
  };
}

const data = (running: boolean, state: 'running' | 'cancelled' | 'finished'): SweepViewData => ({
  dir: '/w/.bnas/runs/quick-sweep', title: `quick-sweep ${HOSTILE}`, running,
  sweep: {
    format: 1, file: '/w/quick.bnas', space: `quick${HOSTILE}`, created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:10:00Z', state,
    options: { seeds: [1, 2], set: [{ key: 'sampling.k', values: ['2', '4'] }], evaluate: false, random: 0, executor: 'local', parallel: 2, backend: 'wasm', retries: 2 },
    trials: [
      trial(`k-2_seed-1${HOSTILE}`, 1, '2', 'finished', 0.52, 40),
      trial('k-2_seed-2', 2, '2', 'finished', 0.71, 90),
      trial('k-4_seed-1', 1, '4', 'failed'),
      trial('k-4_seed-2', 2, '4', 'running'),
    ],
  },
});

type Posted = { type: string; trial?: string };
const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);
const column = (page: Page, n: number) => page.$$eval(`table.trials tbody tr td:nth-child(${n})`, (tds) => tds.map((td) => td.textContent ?? ''));

const frame = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));

describe('sweep view', { timeout: 240_000 }, () => {
  const view = sharedWebview('sweep', 'vscode-dark');
  let page: Page;
  before(async () => {
    page = view.page();
    await postToView(page, { type: 'sweepState', data: data(true, 'running') });
    await mermaidSettled(page);
  });

  it('renders hostile trial names and settings as text', async () => {
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no injected handler ran');
    assert.equal(await page.$$eval('main img', (e) => e.length), 0, 'no element was made from a name');
    const ids = await column(page, 1);
    assert.ok(ids.includes(`k-2_seed-1${HOSTILE}`), ids.join(' | '));
    assert.ok((await column(page, 2)).every((t) => t.includes(`data.path="${HOSTILE}"`)));
    assert.equal(await page.$eval('#sweep-title', (e) => e.textContent), `Sweep quick-sweep ${HOSTILE}`);
    assert.ok((await page.$eval('.facts', (e) => e.textContent ?? '')).includes(`quick${HOSTILE}`));
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  });

  it('sorts the table by a clicked column, and back', async () => {
    assert.deepEqual(await column(page, 1), [`k-2_seed-1${HOSTILE}`, 'k-2_seed-2', 'k-4_seed-1', 'k-4_seed-2'], 'the sweep order first');
    await page.click('button[data-sort="accuracy"]');
    assert.deepEqual((await column(page, 5)).slice(0, 2), ['71.0 %', '52.0 %'], 'best first; trials without accuracy last');
    assert.equal(await page.$eval('th:has(button[data-sort="accuracy"])', (e) => e.getAttribute('aria-sort')), 'descending');
    await page.click('button[data-sort="accuracy"]');
    assert.deepEqual((await column(page, 5)).slice(0, 2), ['52.0 %', '71.0 %']);
    await page.click('button[data-sort="state"]');
    assert.deepEqual(await column(page, 4), ['failed', 'finished', 'finished', 'running']);
    // The order survives the next update and is kept in the webview state for a reload.
    await postToView(page, { type: 'sweepState', data: data(true, 'running') });
    assert.deepEqual(await column(page, 4), ['failed', 'finished', 'finished', 'running']);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __state: unknown }).__state), { dir: '/w/.bnas/runs/quick-sweep', sort: { key: 'state', descending: false } });
  });

  it('plots finished trials and draws the best cell', async () => {
    assert.equal(await page.$$eval('.scatter .dot', (e) => e.length), 2);
    assert.equal(await page.$eval('.scatter .dot.best', (e) => e.getAttribute('data-trial')), 'k-2_seed-2');
    assert.match(await page.$eval('.best-caption', (e) => e.textContent ?? ''), /^k-2_seed-2: 71\.0 %$/);
    const edges = await page.$$eval('[data-diagram="normal"] g.edgeLabel', (els) => els.map((e) => e.textContent?.trim()).filter(Boolean));
    assert.ok(edges.includes('sep_conv_3x3'), edges.join(' | '));
    await screenshot(page, 'sweep-view-dark');
  });

  it('fits a 420 px wide panel: nothing sticks out sideways', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    try {
      await frame(page);
      const overflow = await horizontalOverflow(page);
      await screenshot(page, 'sweep-view-dark-420');
      assert.deepEqual(overflow.boxes, [], 'boxes past the right edge');
      assert.ok(overflow.page <= 0, `no horizontal overflow at 420 px (${overflow.page} px)`);
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 });
    }
  });

  it('shows a running trial\'s last epoch and its validation accuracy, live', async () => {
    const live = (epoch: number): SweepViewData => ({ ...data(true, 'running'), progress: { 'k-4_seed-2': { epoch, epochs: 6, valid_acc: 0.552 }, 'k-2_seed-2': { epoch: 6, epochs: 6, valid_acc: 0.7 } } });
    const state = (id: string) => page.$eval(`tr[data-trial="${id}"] td.state`, (td) => td.textContent ?? '');
    // A posted message is handled after postMessage returns: wait for the cell to change.
    const shows = (id: string, text: string) =>
      page.waitForFunction(([sel, t]) => document.querySelector(sel)?.textContent === t, [`tr[data-trial="${id}"] td.state`, text] as const, { timeout: 10_000 });
    await postToView(page, { type: 'sweepState', data: live(3) });
    await shows('k-4_seed-2', 'running · epoch 3/6 · valid 55.2 %');
    await postToView(page, { type: 'sweepState', data: live(4) });
    await shows('k-4_seed-2', 'running · epoch 4/6 · valid 55.2 %');
    // Progress of a trial that is no longer running is not shown.
    assert.equal(await state('k-2_seed-2'), 'finished');
    await postToView(page, { type: 'sweepState', data: data(true, 'running') });
    await shows('k-4_seed-2', 'running');
  });

  it('opens a trial, cancels a running sweep and resumes a stopped one', async () => {
    await page.click(`tr[data-trial="k-2_seed-2"] button.link`);
    await page.click('.scatter .dot.best');
    assert.ok(await page.isVisible('vscode-button[data-action="cancel"]'));
    assert.ok(!(await page.isVisible('vscode-button[data-action="resume"]')));
    await page.click('vscode-button[data-action="cancel"]');
    await postToView(page, { type: 'sweepState', data: data(false, 'cancelled') });
    await page.waitForSelector('vscode-button[data-action="cancel"]', { state: 'hidden', timeout: 10_000 });
    await page.click('vscode-button[data-action="resume"]');
    const msgs = (await posted(page)).filter((m) => m.type !== 'ready');
    assert.deepEqual(msgs, [{ type: 'openTrial', trial: 'k-2_seed-2' }, { type: 'openTrial', trial: 'k-2_seed-2' }, { type: 'cancel' }, { type: 'resume' }]);
  });

  it('says how the random cells of an evaluating sweep are drawn', async () => {
    const facts = async (random_rule?: 'caps' | 'uniform') => {
      const d = data(false, 'finished');
      await postToView(page, { type: 'sweepState', data: { ...d, sweep: { ...d.sweep!, options: { ...d.sweep!.options, evaluate: true, epochs: 3, random: 2, ...(random_rule && { random_rule }) } } } });
      return page.$eval('.facts', (e) => e.textContent ?? '');
    };
    assert.match(await facts('caps'), /3 epochs, 2 random cells under the derivation caps/);
    assert.match(await facts('uniform'), /2 random cells drawn uniformly/);
    // A sweep of an older version, without the field, drew them uniformly.
    assert.match(await facts(), /2 random cells drawn uniformly/);
  });

  it('ignores a malformed message and shows a notice as text', async () => {
    await postToView(page, { type: 'sweepState', data: { dir: 1 } });
    assert.equal(await page.$eval('#sweep-title', (e) => e.textContent), `Sweep quick-sweep ${HOSTILE}`, 'the last good state stays');
    await postToView(page, { type: 'notice', level: 'error', message: HOSTILE });
    await page.waitForSelector('.notice:not([hidden])', { timeout: 10_000 });
    assert.equal(await page.$eval('.notice', (e) => e.textContent), HOSTILE);
    assert.equal(await page.$$eval('main img', (e) => e.length), 0);
  });
});
