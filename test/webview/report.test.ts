/**
 * `bnas report`: the built command writes one self-contained page for a recorded run folder
 * (a real `bnas search` of examples/tiny.bnas), and the page renders offline in Chromium with no
 * request leaving the file, in light and dark system themes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { Genotype } from '../../runtime/protocol/index.js';
import { ARTIFACTS, launch, ROOT } from './browser.js';

const RUN_DIR = join(ROOT, 'test', 'webview', 'fixtures', 'tiny-run');
const CLI = join(ROOT, 'dist', 'cli.cjs');

describe('bnas report', { timeout: 240_000 }, () => {
  let browser: Browser;
  const out = join(ARTIFACTS, 'report-tiny.html');
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch();
  });
  after(async () => browser?.close());

  it('writes a self-contained page (exit 0) and refuses a folder without events (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI, 'report', RUN_DIR, '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /wrote .*report-tiny\.html/);
    const html = readFileSync(out, 'utf8');
    // The markup outside the inlined bundle: no external script, stylesheet or source map.
    const shell = html.slice(0, html.indexOf('<script type="application/json"'));
    assert.ok(!/<script[^>]+src=|<link[^>]+href=|sourceMappingURL/i.test(shell), 'the page head loads nothing from outside');
    assert.ok(!/sourceMappingURL=/.test(html.slice(-2000)), 'no source map reference at the end of the bundle');
    assert.match(shell, /Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    const bad = spawnSync(process.execPath, [CLI, 'report', ARTIFACTS], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /events\.jsonl does not exist/);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`opens offline and renders curves, heat maps, pruning and both cells (${scheme})`, async () => {
      const context = await browser.newContext({ offline: true, colorScheme: scheme, viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      context.on('request', (r) => requests.push(r.url()));
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(pathToFileURL(out).href, { timeout: 120_000 });
      await page.waitForFunction(() => document.querySelectorAll('.mermaid-box svg').length === 2, undefined, { timeout: 120_000 });

      const result = JSON.parse(readFileSync(join(RUN_DIR, 'result.json'), 'utf8')) as { genotype: Genotype };
      for (const cell of ['normal', 'reduce'] as const) {
        const labels = await page.$$eval(`.mermaid-box[data-cell="${cell}"] g.edgeLabel`, (els) => els.map((e) => e.textContent?.trim()));
        assert.deepEqual(labels.sort(), result.genotype[cell].map(([op]) => op).sort());
      }
      assert.equal(await page.$$eval('#curves svg.line-chart', (e) => e.length), 2);
      assert.equal(await page.$$eval('#weights svg.heatmap', (e) => e.length), 2);
      const prunedLines = readFileSync(join(RUN_DIR, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"pruned"')).length;
      assert.equal(await page.$$eval('.pruning-table .pruned-op', (e) => e.length), prunedLines);
      // The run folder's evaluation record (evaluations/, as Evaluate Derived Cell writes it) is in the page.
      const record = JSON.parse(readFileSync(join(RUN_DIR, 'evaluations', '20261207-214500.json'), 'utf8')) as { accuracy: number; random: number[] };
      const rows = await page.$$eval('#evaluations tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.slice(0, 4), ['20261207-214500', 'space.bnas', '2', `${(100 * record.accuracy).toFixed(1)} %`]);
      assert.match(rows[0]![4]!, new RegExp(`^${record.random.length} under the caps: `));
      assert.ok(await page.evaluate((s) => document.body.classList.contains(`vscode-${s}`), scheme));
      assert.deepEqual(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:') && !u.startsWith('blob:')), []);
      assert.deepEqual(errors, []);
      await page.screenshot({ path: join(ARTIFACTS, `report-${scheme}.png`), fullPage: true });

      // The export buttons work without VS Code: they download files.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('vscode-button[data-export="darts"]')]);
      assert.match(download.suggestedFilename(), /genotype\.py$/);
      await context.close();
    });
  }
});
