/**
 * A status-bar item while searches are active: the running run's epoch and accuracy, and how many
 * wait in the queue. Clicking it focuses the runs view. Updates are throttled because step events
 * can arrive hundreds of times a second.
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import type { RunManager } from '../runs/run-manager.js';
import { describeSummary } from '../runs/run-summary.js';
import { throttle } from './throttle.js';

export function registerStatusBar(ctx: BnasContext, manager: RunManager): void {
  const item = ctx.own(vscode.window.createStatusBarItem('bnas.runs', vscode.StatusBarAlignment.Left, 50));
  item.name = 'BNAS Searches';
  item.command = 'bnas.runs.focus';
  let activeKey: boolean | undefined;
  const update = throttle(() => {
    const active = manager.activeRuns();
    const running = active.filter((r) => r.state !== 'queued');
    const queued = active.length - running.length;
    if (activeKey !== active.length > 0) {
      // Drives the editor-title Run/Stop toggle and the Shift+F5 keybinding.
      activeKey = active.length > 0;
      void vscode.commands.executeCommand('setContext', 'bnas.searchActive', activeKey);
    }
    if (active.length === 0) return item.hide();
    const first = running[0];
    const label =
      running.length === 1 && first
        ? `${first.summary.space ?? first.name}${first.state === 'stopping' ? ' stopping' : ''} ${describeSummary(first.summary).split(' · ').slice(0, 2).join(' · ')}`
        : `${running.length} searches`;
    item.text = `$(sync~spin) BNAS: ${label.trim()}${queued ? ` (+${queued} queued)` : ''}`;
    const tip = new vscode.MarkdownString(
      active.map((r) => `- **${r.name}** — ${r.state}${r.queuePosition !== undefined ? ` #${r.queuePosition + 1}` : ''} ${describeSummary(r.summary, { step: true })}`).join('\n'),
    );
    tip.appendMarkdown('\n\nClick to show the runs view.');
    item.tooltip = tip;
    item.show();
  }, 250);
  ctx.own(update);
  ctx.own(manager.onDidChangeRuns(() => update.now()));
  ctx.own(manager.onDidEmit(() => update()));
}
