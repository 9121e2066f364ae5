/**
 * The runs feature wired into a (fake) VS Code: commands from the manifest are registered, Workspace
 * Trust gates running, a run shows in the tree, the status bar and a progress notification whose
 * Cancel stops it, endings become notifications, export and delete work from commands.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ShownMessage } from './fake-vscode.js';
import { FAKE_RUNTIME, fakeSpace, tempDir, waitForState } from './helpers.js';

register('./vscode-loader.mjs', import.meta.url);
const vs = await import('./fake-vscode.js');
const { BnasContext } = await import('../../../extension/context.js');
const { registerRuns } = await import('../../../extension/runs/register.js');
const { fake, Uri } = vs;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function waitForMessage(pattern: RegExp, ms = 15_000): Promise<ShownMessage> {
  const seen = fake.messages.find((m) => pattern.test(m.text));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message matching ${pattern} within ${ms} ms; got ${fake.messages.map((m) => m.text).join(' | ')}`)), ms);
    fake.messageListeners.push((m) => {
      if (pattern.test(m.text)) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

describe('runs feature in a fake VS Code', () => {
  let ctx: InstanceType<typeof BnasContext>;
  let ws: string;

  before(() => {
    fake.reset();
    ws = tempDir('bnas-wiring-');
    fake.folders.push({ uri: Uri.file(ws), name: 'ws', index: 0 });
    const extension = {
      asAbsolutePath: (p: string) => (p === 'dist/cli.cjs' ? FAKE_RUNTIME : join(ROOT, p)),
      extensionPath: ROOT,
      extension: { packageJSON: { version: '0.0.0-test' } },
    };
    // The fakes stand in for the host types the context only passes through.
    ctx = new BnasContext(extension as never, vs.logChannel() as never);
    registerRuns(ctx);
  });
  after(() => ctx.dispose());
  beforeEach(() => {
    fake.trusted = true;
    fake.messages.length = 0;
    fake.messageListeners.length = 0;
    fake.answers.length = 0;
  });

  it('registers each of its commands, and the manifest declares each in category BNAS', async () => {
    const { COMMANDS } = await import('../../../extension/commands/index.js');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: { command: string; category?: string }[] } };
    const declared = new Map(pkg.contributes.commands.map((c) => [c.command, c.category]));
    const ours = [...Object.keys(COMMANDS), 'bnas.refreshRuns', 'bnas.revealRunInView'];
    assert.ok(ours.length >= 15);
    assert.deepEqual(ours.filter((id) => !fake.commands.has(id)), [], 'registered');
    assert.deepEqual(ours.filter((id) => declared.get(id) !== 'BNAS'), [], 'declared with category BNAS');
  });

  it('running needs a trusted workspace and says why', async () => {
    fake.trusted = false;
    const file = fakeSpace(ws, 'untrusted', {});
    await vs.commands.executeCommand('bnas.runSearch', Uri.file(file));
    assert.match(fake.messages[0]?.text ?? '', /needs a trusted workspace/);
    assert.deepEqual(fake.messages[0]?.items, ['Manage Workspace Trust']);
    assert.equal(ctx.get('runs').runs().length, 0);
  });

  it('refuses a file with errors and points to the problems', async () => {
    const file = fakeSpace(ws, 'broken', {});
    fake.diagnostics.set(file, [{ severity: vs.DiagnosticSeverity.Error, message: 'unknown attribute `epochz`' }]);
    await vs.commands.executeCommand('bnas.runSearch', Uri.file(file));
    assert.match(fake.messages[0]?.text ?? '', /has 1 error; fix it before running\. First: unknown attribute `epochz`/);
    assert.equal(ctx.get('runs').runs().length, 0);
  });

  it('a run shows in the tree, the status bar and a progress notification, and ends with a notification', async () => {
    const file = fakeSpace(ws, 'shown', { epochs: 2, steps: 3 });
    const finished = waitForMessage(/search shown-\S+ finished \(test acc 60\.0%, valid acc 61\.0%\)/);
    await vs.commands.executeCommand('bnas.runSearch', Uri.file(file));
    const tree = fake.treeProviders.get('bnas.runs');
    const nodes = tree?.getChildren() ?? [];
    assert.equal(nodes.length, 1);
    assert.match(tree?.getTreeItem(nodes[0]).label ?? '', /^shown \d{2}:\d{2}$/);
    const status = fake.statusItems[0];
    assert.equal(status?.visible, true);
    assert.match(status?.text ?? '', /BNAS/);
    const message = await finished;
    assert.deepEqual(message.items, ['Open Results', 'Export Genotype']);
    await waitForState(ctx.get('runs'), (nodes[0] as { runId: string }).runId, ['finished']);
    const progress = fake.progress.find((p) => /shown/.test(p.title));
    assert.ok(progress);
    await progress.settled;
    assert.ok(progress.done, 'the notification closes when the run ends');
    assert.ok(progress.reports.some((r) => /epoch \d\/2/.test(r.message ?? '')), JSON.stringify(progress.reports));
    const total = progress.reports.reduce((s, r) => s + (r.increment ?? 0), 0);
    assert.ok(total > 99 && total <= 100.001, `progress reaches 100% (got ${total})`);
    assert.match(tree?.getTreeItem(nodes[0]).description ?? '', /^epoch 2\/2 · test acc 60\.0%$/);
    assert.equal(status?.visible, false, 'the status bar item hides when nothing runs');
  });

  it('Cancel in the progress notification stops the run (checkpoint kept, resumable)', async () => {
    const file = fakeSpace(ws, 'cancelme', { hang: true });
    const stopped = waitForMessage(/search cancelme-\S+ stopped/);
    await vs.commands.executeCommand('bnas.runSearch', Uri.file(file));
    const run = ctx.get('runs').runs().find((r) => r.name.startsWith('cancelme')) as { id: string };
    const progress = fake.progress.find((p) => /cancelme/.test(p.title));
    assert.ok(progress);
    progress.cancel.fire();
    assert.equal((await waitForState(ctx.get('runs'), run.id, ['cancelled'])).state, 'cancelled');
    assert.deepEqual((await stopped).items, ['Resume']);
    const item = fake.treeProviders.get('bnas.runs')?.getTreeItem(ctx.get('runs').runs().length && { kind: 'run', runId: run.id });
    assert.match(item?.contextValue ?? '', /\bresumable\b/);
  });

  it('exports the genotype as a DARTS genotypes.py entry to the clipboard', async () => {
    const run = ctx.get('runs').runs().find((r) => r.state === 'finished');
    assert.ok(run);
    fake.answers.push('Copy to Clipboard');
    await vs.commands.executeCommand('bnas.exportGenotype', run.id, 'darts');
    assert.match(vs.env.clipboard.text, /^SHOWN_\d{8}_\d{6} = Genotype\(\n {4}normal=\[\n {8}\('sep_conv_3x3', 0\),\n/m);
  });

  it('opens an export in an untitled editor named after the file it suggests, in the run folder', async () => {
    const run = ctx.get('runs').runs().find((r) => r.state === 'finished');
    assert.ok(run);
    fake.answers.push('Open in Editor');
    await vs.commands.executeCommand('bnas.exportGenotype', run.id, 'darts');
    const opened = fake.untitled.at(-1);
    assert.ok(opened, 'an untitled document was opened');
    assert.equal(opened.uri.scheme, 'untitled');
    assert.equal(opened.uri.fsPath, join(run.dir, 'genotype.py'));
    assert.match(opened.text, /^# Cells found by BNAS Studio/);
    assert.equal(opened.text.match(/^ {8}\('\w+', \d+\),$/gm)?.length, 2 * run.summary.genotype!.normal.length, 'one edge per line');
  });

  it('saves a JSON export to the file chosen in the save dialog, leaving no temporary file', async () => {
    const run = ctx.get('runs').runs().find((r) => r.state === 'finished');
    assert.ok(run);
    fake.saveTo = join(run.dir, 'genotype.json');
    fake.answers.push('Save to File…');
    try {
      await vs.commands.executeCommand('bnas.exportGenotype', run.id, 'json');
    } finally {
      fake.saveTo = undefined;
    }
    const saved = JSON.parse(readFileSync(join(run.dir, 'genotype.json'), 'utf8'));
    assert.deepEqual(saved, JSON.parse(readFileSync(join(run.dir, 'result.json'), 'utf8')).genotype);
    assert.deepEqual(readdirSync(run.dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('SVG export explains that it needs the run view when the panels are not there', async () => {
    const run = ctx.get('runs').runs().find((r) => r.state === 'finished');
    await vs.commands.executeCommand('bnas.exportGenotype', run?.id, 'svg');
    assert.match(fake.messages.at(-1)?.text ?? '', /SVG export needs the run view/);
  });

  it('the CodeLens offers Run search and shows the last run of the file', async () => {
    const file = join(ws, 'shown.bnas');
    const doc = await vs.workspace.openTextDocument(Uri.file(file));
    const titles = fake.lensProviders[0]?.provideCodeLenses(doc).map((l) => l.command?.title) ?? [];
    assert.equal(titles[0], '$(play) Run search');
    assert.ok(titles.some((t) => /^Last run: finished · epoch 2\/2/.test(t ?? '')), titles.join(' | '));
  });

  it('deletes a run after confirmation, and not without', async () => {
    const runs = ctx.get('runs');
    const run = runs.runs().find((r) => r.state === 'cancelled');
    assert.ok(run);
    fake.answers.push(undefined);
    await vs.commands.executeCommand('bnas.deleteRun', { kind: 'run', runId: run.id });
    assert.ok(existsSync(run.dir), 'dismissed: kept');
    fake.answers.push('Delete');
    await vs.commands.executeCommand('bnas.deleteRun', { kind: 'run', runId: run.id });
    assert.ok(!existsSync(run.dir));
    assert.equal(runs.get(run.id), undefined);
  });
});
