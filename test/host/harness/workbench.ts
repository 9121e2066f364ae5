// Opens the web workbench of a running code-server in headless Debian Chromium with the
// extension-test payload, relays the in-host messages and resolves with the extension host's exit
// code. VS Code calls the page's `codeAutomationLog(type, args)` for every log line while extension
// tests run, and `codeAutomationExit(code)` when the tests module's `run()` settles.
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { format } from 'node:util';
import { join } from 'node:path';
import { MARKER, QUICK_PICK_CLOSED, type HostMessage, type UiRequest, type UiReply } from '../protocol.js';

/** Debian's Chromium; override with BNAS_HOST_CHROMIUM. */
export const CHROMIUM = process.env.BNAS_HOST_CHROMIUM ?? '/usr/bin/chromium';

/** What to open in the workbench. */
export interface WorkbenchOptions {
  readonly origin: string;
  /** Folder opened as the workspace. */
  readonly folder: string;
  /** The extension under development (its package.json folder). */
  readonly extensionDevelopmentPath: string;
  /** The bundled tests module (CJS exporting `run()`). */
  readonly extensionTestsPath: string;
  /** Where UI replies are written for the in-host tests to read. */
  readonly controlDir: string;
  readonly timeoutMs: number;
  /** Every relayed message from the host, as it arrives. */
  readonly onMessage: (msg: HostMessage) => void;
  /** Every log line that is not a harness message (kept for failure output). */
  readonly onLog: (line: string) => void;
  /** Called when the workbench page has loaded (DOMContentLoaded). */
  readonly onNavigated?: () => void;
  /** Where a screenshot is saved when the run fails or times out. */
  readonly screenshotOnFailure?: string;
}

/** The workbench URL with the extension-development payload (paths as vscode-remote URIs). */
export function workbenchUrl(o: Pick<WorkbenchOptions, 'origin' | 'folder' | 'extensionDevelopmentPath' | 'extensionTestsPath'>): string {
  const authority = new URL(o.origin).host;
  const remote = (p: string) => `vscode-remote://${authority}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)],
    ['extensionTestsPath', remote(o.extensionTestsPath)],
    ['skipWelcome', 'true'],
  ];
  return `${o.origin}/?folder=${encodeURIComponent(o.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Runs the tests module inside the workbench and resolves with the extension host's exit code
 * (0 passed, non-zero failed). Rejects on timeout, after saving a screenshot if asked.
 */
export async function runInWorkbench(o: WorkbenchOptions): Promise<number> {
  const profile = mkdtempSync(join(tmpdir(), 'bnas-host-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    let settle: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (settle = resolve));
    const ui = new UiDriver(page, o.controlDir);
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(code));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const line = format(...args);
      const at = line.indexOf(MARKER);
      if (at < 0) return o.onLog(line);
      const msg = parseMessage(line.slice(at + MARKER.length));
      if (!msg) return o.onLog(line);
      o.onMessage(msg);
      if (msg.kind === 'ui') ui.enqueue(msg);
    });
    page.on('pageerror', (e) => o.onLog(`[page error] ${e.message}`));
    await page.goto(workbenchUrl(o), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    o.onNavigated?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the tests did not finish within ${o.timeoutMs} ms`)), o.timeoutMs);
    });
    try {
      const code = await Promise.race([exited, timedOut]);
      if (code !== 0 && o.screenshotOnFailure) await page.screenshot({ path: o.screenshotOnFailure }).catch(() => undefined);
      return code;
    } catch (e) {
      if (o.screenshotOnFailure) await page.screenshot({ path: o.screenshotOnFailure }).catch(() => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}

function parseMessage(text: string): HostMessage | undefined {
  try {
    const v = JSON.parse(text.trim()) as HostMessage;
    return typeof v === 'object' && v !== null && typeof v.kind === 'string' ? v : undefined;
  } catch {
    return undefined; // a log line that merely contains the marker
  }
}

/**
 * Performs UI actions the in-host tests ask for (they cannot drive the workbench themselves),
 * one at a time, and writes each reply to `controlDir/ui-ID.json`.
 */
class UiDriver {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly page: Page, private readonly controlDir: string) {}

  enqueue(req: UiRequest): void {
    this.chain = this.chain.then(async () => {
      let reply: UiReply;
      try {
        reply = { id: req.id, ok: true, detail: await this.perform(req) };
      } catch (e) {
        reply = { id: req.id, ok: false, detail: e instanceof Error ? e.message : String(e) };
      }
      writeFileSync(join(this.controlDir, `ui-${req.id}.json`), JSON.stringify(reply));
    });
  }

  private async perform(req: UiRequest): Promise<string> {
    switch (req.action) {
      case 'palette':
        return this.palette(req.label, req.timeoutMs ?? 30_000);
      case 'screenshot':
        await this.page.screenshot({ path: req.path });
        return req.path;
      case 'waitText':
        return (await this.visible(req.selector, req.pattern, req.timeoutMs ?? 15_000)).innerText();
      case 'click': {
        const el = await this.visible(req.selector, req.pattern, req.timeoutMs ?? 15_000);
        const text = await el.innerText();
        await el.click();
        return text;
      }
      case 'waitInput':
        return this.waitInput(req.pattern, req.timeoutMs ?? 15_000);
      case 'frameText':
        return this.frameText(req.selector, req.timeoutMs ?? 30_000);
      case 'pick':
        return this.pick(req.label, req.timeoutMs ?? 15_000);
      case 'key':
        await this.page.keyboard.press(req.key);
        return req.key;
    }
  }

  /**
   * Runs a command through the command palette, as a user would: F1, type the label, wait until
   * the exact entry is listed (the extension host registers commands after the workbench is up,
   * so this retries), Enter.
   */
  private async palette(label: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    let attempt = 0;
    for (;;) {
      attempt++;
      await this.page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => undefined);
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${label}`);
      const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: Math.min(3000, Math.max(500, deadline - Date.now())) });
        const rowLabel = (await row.getAttribute('aria-label')) ?? (await row.innerText());
        if (rowLabel.includes(label)) {
          await row.click();
          return `ran "${label}" from the command palette (attempt ${attempt})`;
        }
      } catch {
        // not listed yet: the extension may still be registering its commands
      }
      await this.page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`"${label}" was not listed in the command palette within ${timeoutMs} ms`);
    }
  }

  /** Waits until an element matching `selector` shows text matching `pattern` (a RegExp source) and returns it. */
  private async visible(selector: string, pattern: string | undefined, timeoutMs: number): Promise<Locator> {
    const re = pattern ? new RegExp(pattern) : undefined;
    const el = this.page.locator(selector).filter(re ? { hasText: re } : {}).first();
    try {
      await el.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      const seen = await this.page.locator(selector).allInnerTexts().catch(() => []);
      throw new Error(`no "${selector}"${re ? ` with text /${pattern}/` : ''} within ${timeoutMs} ms; seen: ${JSON.stringify(seen.slice(0, 10))}`);
    }
    return el;
  }

  /** Waits until the quick input's text box holds a value matching `pattern`. */
  private async waitInput(pattern: string, timeoutMs: number): Promise<string> {
    const re = new RegExp(pattern);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    const deadline = Date.now() + timeoutMs;
    let value = '';
    while (Date.now() < deadline) {
      value = (await input.inputValue({ timeout: 1000 }).catch(() => '')) ?? '';
      // A closed quick input keeps its last value: only an open one counts. It gets the keyboard
      // focus back (a dialog that ignores focus-out stays open when focus moves), so the next key
      // reaches it.
      if (re.test(value) && (await input.isVisible().catch(() => false))) {
        await input.focus();
        return value;
      }
      await this.page.waitForTimeout(100); // the value is set by the workbench: no event reaches the page
    }
    if (!(await this.quickInputOpen())) throw new Error(`${QUICK_PICK_CLOSED}: the quick input never held /${pattern}/; last value: "${value}"`);
    throw new Error(`the quick input never held /${pattern}/ within ${timeoutMs} ms; last value: "${value}"`);
  }

  /**
   * Waits for `selector` in any frame of the page and returns its text. Webview content lives in
   * nested iframes the page locators do not enter, so every frame is searched.
   */
  private async frameText(selector: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        const el = frame.locator(selector).first();
        if ((await el.count().catch(() => 0)) > 0) return (await el.textContent()) ?? '';
      }
      await this.page.waitForTimeout(250); // frames come and go as the webview loads: poll them
    }
    throw new Error(`no "${selector}" in any of ${this.page.frames().length} frames within ${timeoutMs} ms`);
  }

  /** Whether the quick input (a quick pick or a simple dialog) shows; a closed one keeps its rows and value in the DOM. */
  private quickInputOpen(): Promise<boolean> {
    return this.page.locator('.quick-input-widget').isVisible().catch(() => false);
  }

  /**
   * Chooses an entry of the open quick pick by its label, as a user clicking it. A quick pick
   * closes when the workbench moves focus (a webview loading, a notification); that is reported
   * as `QUICK_PICK_CLOSED` so a scenario can open it again.
   */
  private async pick(label: string, timeoutMs: number): Promise<string> {
    const widget = this.page.locator('.quick-input-widget');
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      const seen = await widget.locator('.quick-input-list .monaco-list-row').allTextContents().catch(() => []);
      if (!(await this.quickInputOpen())) throw new Error(`${QUICK_PICK_CLOSED}: no "${label}" to choose; its last rows: ${JSON.stringify(seen)}`);
      throw new Error(`the quick pick shows no "${label}" within ${timeoutMs} ms; it shows: ${JSON.stringify(seen)}`);
    }
    await row.click();
    return `picked "${label}"`;
  }
}
