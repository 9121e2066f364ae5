/**
 * Run view benchmark (headless Chromium): first render of a whole recorded run, and the live
 * update rate when its events stream in. Usage (after `npm run build`):
 *   node --import tsx bench/webview/run-view-bench.ts [--epochs 50] [--json] [--out FILE]
 * Prints one line per measurement (`--json`: one JSON object); `--out` also writes it as a record
 * with its provenance (bench/record.ts). See README.md for what the numbers mean.
 */
import type { RunEvent } from '../../runtime/protocol/index.js';
import { launch, mermaidSettled, openWebview, postToView } from '../../test/webview/browser.js';
import { makeRunEvents } from '../../test/webview/fixture-run.js';
import { writeRecord } from '../record.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const epochs = arg('epochs', 50);
// A long DARTS-size run: 8 ops, 14 edges, 200 steps per epoch with a step event every 2 steps.
const events: RunEvent[] = makeRunEvents({ epochs, stepsPerEpoch: 200, stepEvery: 2, ops: ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5'] });
const RUN = { id: 'bench', title: 'bench', live: true };

const browser = await launch();
try {
  const page = await openWebview(browser, 'run', 'vscode-dark');
  // Warm-up (Mermaid's first render loads its flowchart code).
  await postToView(page, { type: 'runInit', run: RUN, events: makeRunEvents({ epochs: 2 }) });
  await mermaidSettled(page);

  // 1. First render: the whole run at once (what a finished run or a reopened panel gets).
  const first = await page.evaluate(async (evs) => {
    const w = window as unknown as { bnasMermaidIdle: () => Promise<void> };
    const t0 = performance.now();
    window.postMessage({ type: 'runInit', run: { id: 'bench', title: 'bench', live: false }, events: evs }, '*');
    await new Promise((r) => setTimeout(r, 0));
    const tSync = performance.now();
    await w.bnasMermaidIdle();
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    return { syncMs: tSync - t0, totalMs: performance.now() - t0 };
  }, events);

  // 2. Live: the same events streamed as the extension sends them (batches), as fast as possible.
  // The extension posts a batch every 100 ms; here batches arrive back to back (each in its own
  // task, like messages from the host) to find the rate the page sustains.
  const live = async (batch: number) => {
    await postToView(page, { type: 'runInit', run: RUN, events: [] });
    return page.evaluate(async ({ evs, batch }) => {
      type Stats = { applied: number; frames: number; maxFrameMs: number; totalFrameMs: number };
      const v = (window as unknown as { bnasRunView: { stats: Stats } }).bnasRunView;
      const w = window as unknown as { bnasMermaidIdle: () => Promise<void> };
      const s0 = { ...v.stats };
      v.stats.maxFrameMs = 0;
      const t0 = performance.now();
      for (let i = 0; i < evs.length; i += batch) {
        window.postMessage({ type: 'runEvents', events: evs.slice(i, i + batch) }, '*');
        await new Promise((r) => setTimeout(r, 0));
      }
      while (v.stats.applied - s0.applied < evs.length) await new Promise((r) => requestAnimationFrame(() => r(null)));
      await w.bnasMermaidIdle();
      const ms = performance.now() - t0;
      const frames = v.stats.frames - s0.frames;
      return { ms, frames, eventsPerSecond: (evs.length / ms) * 1000, meanFrameMs: (v.stats.totalFrameMs - s0.totalFrameMs) / frames, maxFrameMs: v.stats.maxFrameMs };
    }, { evs: events, batch });
  };
  const b10 = await live(10);
  const b50 = await live(50);
  const result = { events: events.length, epochs, firstRender: first, liveBatch10: b10, liveBatch50: b50 };
  const outAt = process.argv.indexOf('--out');
  if (outAt > 0) writeRecord(process.argv[outAt + 1], result);
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    console.log(`events: ${events.length} (${epochs} epochs, 14 edges, 8 ops)`);
    console.log(`first render: ${first.totalMs.toFixed(0)} ms (synchronous part ${first.syncMs.toFixed(0)} ms)`);
    for (const [name, r] of [['batches of 10', b10], ['batches of 50', b50]] as const) {
      console.log(`live, ${name}: ${r.ms.toFixed(0)} ms, ${r.eventsPerSecond.toFixed(0)} events/s, ${r.frames} frames (${(events.length / r.frames).toFixed(1)} events/frame), frame work mean ${r.meanFrameMs.toFixed(1)} ms, max ${r.maxFrameMs.toFixed(0)} ms`);
    }
  }
} finally {
  await browser.close();
}
