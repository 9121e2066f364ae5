/**
 * Renders a recorded run folder in the run view (headless Chromium, the webview bundle the
 * extension ships) and saves a full-page PNG: how the README's screenshot is made from a real
 * search, not a fixture.
 *
 * Usage: npm run build && node --import tsx scripts/screenshot-run.ts RUN_DIR OUT.png [--theme vscode-dark|vscode-light]
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseRunEvent, type RunEvent } from '../runtime/protocol/index.js';
import { launch, mermaidSettled, openWebview, postToView, screenshot, type Theme } from '../test/webview/browser.js';

async function main(): Promise<number> {
  const [dir, out] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const t = process.argv.indexOf('--theme');
  const theme = (t > 0 ? process.argv[t + 1] : 'vscode-dark') as Theme;
  if (!dir || !out) {
    process.stderr.write('usage: node --import tsx scripts/screenshot-run.ts RUN_DIR OUT.png [--theme vscode-dark|vscode-light]\n');
    return 2;
  }
  const lines = readFileSync(`${dir}/events.jsonl`, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const events = lines.map((l) => parseRunEvent(JSON.parse(l))).filter((e): e is RunEvent => e !== undefined);
  if (events.length !== lines.length) process.stderr.write(`skipped ${lines.length - events.length} events that do not validate\n`);
  const browser = await launch();
  try {
    const page = await openWebview(browser, 'run', theme);
    const name = basename(dir);
    const started = events.find((e): e is Extract<RunEvent, { type: 'started' }> => e.type === 'started');
    await postToView(page, { type: 'runInit', run: { id: name, title: `${started?.space ?? name} · ${name}`, live: false }, events });
    await mermaidSettled(page);
    const errors = (page as typeof page & { errors: string[] }).errors;
    if (errors.length) throw new Error(`the run view reported errors: ${errors.join('; ')}`);
    copyFileSync(await screenshot(page, `run-${name}`), out);
    process.stderr.write(`wrote ${out} (${events.length} events)\n`);
    return 0;
  } finally {
    await browser.close();
  }
}

process.exitCode = await main();
