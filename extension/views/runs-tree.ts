/**
 * The runs view (activity-bar container "BNAS", view `bnas.runs`): every run of the workspace
 * with its state and key numbers, detail rows underneath, and context actions (open, stop,
 * resume, export, reveal, delete). Refreshes are throttled: a search emits many events a second.
 */
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import type { RunManager } from '../runs/run-manager.js';
import { throttle } from '../status/throttle.js';
import { runDetails, runItemView } from './run-items.js';
import type { SweepManager } from '../sweeps/sweep-manager.js';
import { sweepRowView, trialNodes, trialRowView, type SweepNode, type TrialNode, type TreeRowView } from './sweep-items.js';

/** A run row; commands invoked from the view receive it (`runId` is the run folder). */
export interface RunNode {
  readonly kind: 'run';
  readonly runId: string;
}
interface DetailNode {
  readonly kind: 'detail';
  readonly runId: string;
  readonly label: string;
  readonly value: string;
}
type Node = RunNode | DetailNode | SweepNode | TrialNode;

export const RUNS_VIEW_ID = 'bnas.runs';

export class RunsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Stable node objects per run, so `reveal` and expansion state survive refreshes. */
  private readonly nodes = new Map<string, RunNode>();
  private readonly dirty = new Set<string>();
  private readonly flush = throttle(() => {
    for (const id of this.dirty) {
      const node = this.nodes.get(id);
      if (node) this.changed.fire(node);
    }
    this.dirty.clear();
  }, 500);
  private readonly subs: vscode.Disposable[];

  /** @param sweeps groups each sweep's trials under a sweep row above the runs. */
  constructor(private readonly manager: RunManager, private readonly sweeps?: SweepManager) {
    this.subs = [
      ...(sweeps ? [sweeps.onDidChange(() => this.changed.fire(undefined))] : []),
      manager.onDidChangeRuns(({ kind, run }) => {
        if (kind === 'updated' && this.nodes.has(run.id)) {
          this.dirty.add(run.id);
          this.flush.now();
        } else {
          if (kind === 'removed') this.nodes.delete(run.id);
          this.changed.fire(undefined);
        }
      }),
      manager.onDidEmit(({ run }) => {
        this.dirty.add(run.id);
        this.flush();
      }),
    ];
  }

  node(runId: string): RunNode {
    let node = this.nodes.get(runId);
    if (!node) this.nodes.set(runId, (node = { kind: 'run', runId }));
    return node;
  }

  getChildren(element?: Node): Node[] {
    if (!element) return [...(this.sweeps?.sweeps() ?? []).map((s): SweepNode => ({ kind: 'sweep', sweepDir: s.dir })), ...this.manager.runs().map((r) => this.node(r.id))];
    if (element.kind === 'sweep') {
      const s = this.sweeps?.get(element.sweepDir);
      return s ? trialNodes(s) : [];
    }
    if (element.kind === 'detail' || element.kind === 'trial') return [];
    const run = this.manager.get(element.runId);
    return run ? runDetails(run).map((d) => ({ kind: 'detail', runId: run.id, ...d })) : [];
  }

  getParent(element: Node): Node | undefined {
    if (element.kind === 'trial') return { kind: 'sweep', sweepDir: element.sweepDir };
    return element.kind === 'detail' ? this.node(element.runId) : undefined;
  }

  getTreeItem(element: Node): vscode.TreeItem {
    if (element.kind === 'sweep' || element.kind === 'trial') return this.sweepItem(element);
    if (element.kind === 'detail') {
      const item = new vscode.TreeItem(element.label, vscode.TreeItemCollapsibleState.None);
      item.description = element.value;
      item.tooltip = `${element.label}: ${element.value}`;
      item.contextValue = 'bnasRunDetail';
      return item;
    }
    const run = this.manager.get(element.runId);
    if (!run) return new vscode.TreeItem('(removed)');
    const view = runItemView(run);
    const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = run.id;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.contextValue = view.contextValue;
    item.iconPath = new vscode.ThemeIcon(view.icon, view.color ? new vscode.ThemeColor(view.color) : undefined);
    item.command = { command: 'bnas.openResults', title: 'Open Results', arguments: [element] };
    return item;
  }

  /** A sweep row (opens the sweep view) or a trial row (opens its run view). */
  private sweepItem(element: SweepNode | TrialNode): vscode.TreeItem {
    const s = this.sweeps?.get(element.sweepDir);
    if (!s) return new vscode.TreeItem('(removed)');
    const view: TreeRowView = element.kind === 'sweep' ? sweepRowView(s) : trialRowView(s, element.trialId);
    const item = new vscode.TreeItem(view.label, view.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = element.kind === 'sweep' ? `sweep:${s.dir}` : `trial:${element.runDir}`;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.contextValue = view.contextValue;
    item.iconPath = new vscode.ThemeIcon(view.icon, view.color ? new vscode.ThemeColor(view.color) : undefined);
    item.command =
      element.kind === 'sweep'
        ? { command: 'bnas.openSweepView', title: 'Open Sweep View', arguments: [s.dir] }
        : { command: 'bnas.openTrialRun', title: 'Open Run View', arguments: [element.runDir] };
    return item;
  }

  dispose(): void {
    this.flush.dispose();
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

/** Registers the view; `reload` re-reads history from disk (the view's Refresh action). */
export function registerRunsView(ctx: BnasContext, manager: RunManager, reload: () => Promise<void>): void {
  const provider = ctx.own(new RunsTreeProvider(manager, ctx.tryGet('sweeps')));
  const view = ctx.own(vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true }));
  const badge = () => {
    const n = manager.activeRuns().length;
    view.badge = n ? { value: n, tooltip: `${n} active search${n === 1 ? '' : 'es'}` } : undefined;
  };
  ctx.own(manager.onDidChangeRuns(badge));
  ctx.own(vscode.commands.registerCommand('bnas.refreshRuns', () => reload()));
  ctx.own(
    vscode.commands.registerCommand('bnas.revealRunInView', async (runId: string) => {
      if (manager.get(runId)) await view.reveal(provider.node(runId), { select: true, focus: false });
    }),
  );
}
