/**
 * The run view's header in headless Chromium: each fact's label stays in the box of its value at
 * any width, the epoch reads as the status bar and notifications read it, one parameter count
 * survives a resume, and the banner of a stop goes away once the run resumes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunEvent } from '../../runtime/protocol/index.js';
import { horizontalOverflow, postToView, screenshot, sharedWebview } from './browser.js';
import { makeRunEvents } from './fixture-run.js';

const RUN = { id: 'quick-1', title: 'quick · run 1', live: true };

/** Label, value and whether both sit in one box (dt and dd of one `.fact`, stacked, same column). */
async function facts(page: Page) {
  return page.$$eval('.facts dt', (dts) =>
    dts.map((dt) => {
      const dd = dt.nextElementSibling as HTMLElement | null;
      const a = dt.getBoundingClientRect();
      const b = dd?.getBoundingClientRect();
      const together = !!b && dd!.parentElement === dt.parentElement && Math.abs(a.left - b.left) < 1 && b.top >= a.bottom - 1 && b.top - a.bottom < 12;
      return { label: dt.textContent ?? '', value: dd?.textContent ?? '', together };
    }),
  );
}

const fact = async (page: Page, label: string) => (await facts(page)).find((f) => f.label === label)?.value;
const frame = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));

describe('run view facts', { timeout: 240_000 }, () => {
  const view = sharedWebview('run', 'vscode-dark');
  let page: Page;
  before(() => (page = view.page()));

  // Layout checks at a wide and a narrow width, in a dark and a light theme, with screenshots
  // kept under test-artifacts/ (CI uploads them).
  for (const theme of ['vscode-dark', 'vscode-light'] as const) {
    for (const width of [1252, 900, 640, 420]) {
      it(`keeps each label with its value, draws something in every section and does not overflow at ${width} px (${theme})`, async () => {
        await page.evaluate((t) => (document.body.className = `${t} bnas-standalone`), theme);
        await page.setViewportSize({ width, height: 900 });
        await postToView(page, { type: 'runInit', run: { ...RUN, live: false }, events: makeRunEvents({ epochs: 3 }) });
        await frame(page);
        const all = await facts(page);
        assert.ok(all.length >= 8, `${all.length} facts`);
        for (const f of all) assert.ok(f.together, `${f.label} sits with its value ${f.value} at ${width} px`);
        const overflow = await horizontalOverflow(page);
        assert.ok(overflow.page <= 0, `no horizontal overflow at ${width} px (${overflow.page} px)`);
        assert.deepEqual(overflow.boxes, [], `boxes past the right edge at ${width} px`);
        const empty = await page.$$eval('main section', (els) => els.filter((e) => e.getBoundingClientRect().height < 40 || !(e.textContent ?? '').trim()).map((e) => e.id));
        assert.deepEqual(empty, [], 'nothing blank after the first message');
        if (width !== 900) await screenshot(page, `run-facts-${theme}-${width}`);
      });
    }
  }

  it('counts epochs 1-based while running, as the status bar does, and shows no placeholder sums', async () => {
    await page.setViewportSize({ width: 1252, height: 900 });
    const events = makeRunEvents({ epochs: 6, stepEvery: 2 });
    // Started, then two steps into the first epoch.
    await postToView(page, { type: 'runInit', run: RUN, events: events.slice(0, 2) });
    await frame(page);
    assert.equal(await fact(page, 'epoch'), '1 / 6 (step 2/16)');
    assert.equal(await fact(page, 'ops left'), '–');
    await postToView(page, { type: 'runInit', run: RUN, events: events.slice(0, 1) });
    await frame(page);
    assert.equal(await fact(page, 'epoch'), 'starting (6 epochs)');
  });

  it('says a stopped run stopped after its completed epochs, and drops that banner after a resume', async () => {
    const all = makeRunEvents({ epochs: 4 });
    const secondEpochEnd = all.findIndex((e) => e.type === 'checkpoint' && e.epoch === 2);
    const thirdStep = all.findIndex((e, i) => i > secondEpochEnd && e.type === 'step');
    const stopped: RunEvent[] = [...all.slice(0, thirdStep + 1), { type: 'cancelled', time: all[thirdStep]!.time, epoch: 2, checkpoint: 'checkpoint' }];
    await postToView(page, { type: 'runInit', run: RUN, events: stopped });
    await frame(page);
    assert.equal(await fact(page, 'epoch'), 'stopped after 2 / 4');
    assert.match(await page.$eval('.messages', (e) => e.textContent ?? ''), /Stopped after epoch 2\/4; resume from checkpoint/);
    // The resume arrives live: a resumed `started` counting the alive ops only, then the rest.
    const started = all[0] as Extract<RunEvent, { type: 'started' }>;
    const rest = all.slice(all.findIndex((e) => e.type === 'step' && e.epoch === 3));
    await postToView(page, { type: 'runEvents', events: [{ ...started, parameters: 30_000, resumed: true }, ...rest] });
    await frame(page);
    assert.equal(await page.$eval('.messages', (e) => e.textContent ?? ''), '');
    assert.match(await page.$eval('.badge', (e) => e.textContent ?? ''), /finished/);
    assert.equal(await fact(page, 'parameters'), '48,312');
    assert.equal(await fact(page, 'parameters alive'), '30,000');
    assert.equal(await fact(page, 'test acc'), '69.0 %');
    for (const f of await facts(page)) assert.ok(f.together, f.label);
  });

  it('shows the evidence behind each pruning decision, the abandoned op marked, with a legend', async () => {
    const events = makeRunEvents({ epochs: 3 });
    await postToView(page, { type: 'runInit', run: { ...RUN, live: false }, events });
    await frame(page);
    const first = events.find((e): e is Extract<RunEvent, { type: 'pruned' }> => e.type === 'pruned' && e.cell === 'normal' && e.edge === 0)!;
    const cell = await page.$eval('.pruning-table[data-cell="normal"] tbody tr td', (td) =>
      [...td.querySelectorAll('li')].map((li) => ({ cls: li.className, op: li.querySelector('.op')?.textContent, value: li.querySelector('.value')?.textContent, score: li.querySelector('.score')?.textContent })),
    );
    // Every op the round weighed, best score first, the abandoned one (lowest score) last and marked.
    assert.equal(cell.length, Object.keys(first.evidence!.scores).length);
    assert.deepEqual(cell.map((c) => c.cls), [...cell.slice(1).map(() => 'kept-op'), 'pruned-op']);
    assert.equal(cell.at(-1)!.op, `✕ ${first.op}`);
    assert.match(cell[0]!.value!, /^Δloss [+−-]?\d/);
    assert.match(cell[0]!.score!, /^score /);
    const legend = await page.$eval('.pruning-legend', (e) => e.textContent ?? '');
    assert.match(legend, /lowest score/);
    assert.match(legend, /Δ valid loss: change of the validation loss .* lower is better/);
    const strike = await page.$eval('.pruning-table .pruned-op .op', (e) => getComputedStyle(e).textDecorationLine);
    assert.equal(strike, 'line-through');
  });

  it('still draws the pruning tables of a run recorded without evidence', async () => {
    const events = makeRunEvents({ epochs: 3, noEvidence: true });
    await postToView(page, { type: 'runInit', run: { ...RUN, live: false }, events });
    await frame(page);
    assert.equal(await page.$$eval('.pruning-table .pruned-op', (e) => e.length), events.filter((e) => e.type === 'pruned').length);
    assert.equal(await page.$$eval('.pruning-table .kept-op', (e) => e.length), 0);
    assert.match(await page.$eval('.pruning-legend', (e) => e.textContent ?? ''), /no per-op evidence/);
    await screenshot(page, 'run-pruning-without-evidence');
  });

  it('draws heat maps with readable labels and a colour scale', async () => {
    await page.setViewportSize({ width: 1252, height: 900 });
    await postToView(page, { type: 'runInit', run: { ...RUN, live: false }, events: makeRunEvents() });
    await frame(page);
    const maps = await page.$$eval('#weights svg.heatmap', (svgs) =>
      svgs.map((svg) => {
        const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
        const texts = [...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
        return { minPx: Math.min(...texts), scales: svg.querySelectorAll('.colour-scale').length, width: svg.getBoundingClientRect().width };
      }),
    );
    assert.equal(maps.length, 2);
    for (const m of maps) {
      assert.ok(m.minPx >= 11, `heat-map text at ${m.minPx} px`);
      assert.equal(m.scales, 2, 'a colour scale for α and one for β');
      assert.ok(m.width > 1252 / 2, `uses more than half the width: ${m.width} px`);
    }
  });
});
