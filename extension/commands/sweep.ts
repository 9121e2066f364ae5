/**
 * BNAS: Run Sweep and the commands on a sweep (cancel, resume, open its view, open a trial's run
 * view). Run Sweep asks for seeds and settings (keys completed from the language's schema) or
 * reads a sweep file, then starts `bnas sweep` in a new folder under the runs folder; the sweep's
 * settings are kept in that folder's `sweep.json`, so Resume runs the same command again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';
import { runsFolderFor } from '../runs/locations.js';
import { spaceNameOf } from '../runs/run-folder.js';
import type { SweepInfo } from '../sweeps/sweep-manager.js';
import { panelsOrExplain, requireTrust, resolveBnasUri } from './args.js';
import { parseSeedsInput, requestFromSweepText, sweepFolderName, sweepKeys, type SweepAxis, type SweepRequest } from './sweep-args.js';

type Asked = Omit<SweepRequest, 'file' | 'out'>;

/** The sweep folder in a command argument: a runs-view node, a folder path or URI. */
export function sweepDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { sweepDir?: unknown }).sweepDir === 'string') return (arg as { sweepDir: string }).sweepDir;
  return undefined;
}

async function askSettings(seedDefault: string): Promise<Asked | undefined> {
  const seedsText = await vscode.window.showInputBox({
    title: 'Sweep: seeds',
    prompt: 'One trial per seed and combination of settings: 1,2,3 or a range 1-5',
    value: seedDefault,
    validateInput: (t) => {
      const r = parseSeedsInput(t);
      return typeof r === 'string' ? r : undefined;
    },
  });
  if (seedsText === undefined) return undefined;
  const seeds = parseSeedsInput(seedsText) as number[];
  const set: SweepAxis[] = [];
  const keys = sweepKeys();
  for (;;) {
    const done = { label: set.length ? '$(play) Continue' : '$(play) No settings: seeds only', key: undefined, alwaysShow: true };
    const picked = await vscode.window.showQuickPick(
      [done, ...keys.filter((k) => !set.some((s) => s.key === k.key)).map((k) => ({ label: k.key, description: k.defaultText && `default ${k.defaultText}`, detail: k.doc, key: k }))],
      { title: `Sweep: a setting to vary (${set.map((s) => `${s.key}=${s.values.join(',')}`).join(' ') || 'none yet'})`, placeHolder: 'A language path such as sampling.k or pruning.criterion', matchOnDetail: true },
    );
    if (!picked) return undefined;
    if (!picked.key) break;
    const key = picked.key;
    const values = await vscode.window.showInputBox({
      title: `Sweep: values of ${key.key}`,
      prompt: `Values separated by commas${key.choices.length ? ` (one of ${key.choices.join(', ')})` : ''}; each value is a trial`,
      value: key.choices.join(','),
      validateInput: (t) => (t.trim() ? undefined : 'give at least one value'),
    });
    if (values === undefined) return undefined;
    // The CLI splits the text itself (commas outside brackets and quotes) and checks each value.
    set.push({ key: key.key, values: [values.trim()] });
  }
  const how = await vscode.window.showQuickPick(
    [
      { label: 'Search only', evaluate: false, executor: 'local' as const },
      { label: 'Search, then train each derived cell from scratch', description: '--evaluate', evaluate: true, executor: 'local' as const },
      { label: 'Search on a Slurm cluster', description: '--executor slurm (the runs folder must be shared)', evaluate: false, executor: 'slurm' as const },
    ],
    { title: 'Sweep: what each trial does' },
  );
  if (!how) return undefined;
  let slurmArgs: string | undefined;
  if (how.executor === 'slurm') {
    slurmArgs = await vscode.window.showInputBox({ title: 'Sweep: sbatch options', prompt: 'Passed to sbatch, e.g. --partition=gpu --time=2:00:00 (may be empty)' });
    if (slurmArgs === undefined) return undefined;
  }
  return { seeds, set, evaluate: how.evaluate, executor: how.executor, slurmArgs: slurmArgs?.trim() || undefined };
}

async function askFile(): Promise<Asked | undefined> {
  const pick = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Sweep file': ['json'] }, openLabel: 'Use Sweep File', title: 'A sweep file, or the sweep.json of an earlier sweep' });
  if (!pick?.[0]) return undefined;
  const r = requestFromSweepText(await readFile(pick[0].fsPath, 'utf8'));
  if (typeof r === 'string') throw new Error(`${vscode.workspace.asRelativePath(pick[0])}: ${r}`);
  return r;
}

/** `bnas.runSweep`. */
export const runSweep = (ctx: BnasContext) => async (arg?: unknown) => {
  if (!(await requireTrust('Running a sweep'))) return;
  const uri = await resolveBnasUri(arg, 'Sweep');
  if (!uri) return;
  if (uri.scheme !== 'file') throw new Error('save the search space to a file in the workspace first; sweeps are stored next to its runs.');
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty && !(await doc.save())) return;
  const errors = vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
  if (errors.length) throw new Error(`${vscode.workspace.asRelativePath(uri)} has errors; fix them before sweeping it. First: ${errors[0]?.message}`);
  const source = await vscode.window.showQuickPick(
    [
      { label: '$(edit) Choose seeds and settings…', file: false },
      { label: '$(file) Read a sweep file…', description: 'JSON: { "seeds": [...], "set": { "key": [values] } } or an earlier sweep.json', file: true },
    ],
    { title: `Sweep ${vscode.workspace.asRelativePath(uri)}` },
  );
  if (!source) return;
  const seed = ctx.setting<number | null>('defaultSeed', null, uri);
  const asked = source.file ? await askFile() : await askSettings(typeof seed === 'number' ? `${seed},${seed + 1}` : '1,2');
  if (!asked) return;
  // Trials run side by side (`--parallel`), so `auto` means one thread a trial: only a number is passed on.
  const threads = ctx.setting<number | string>('threads', 'auto', uri);
  const out = join(runsFolderFor(ctx, uri), sweepFolderName(spaceNameOf(doc.getText()) ?? 'search', new Date()));
  const info = await ctx.get('sweeps').start({
    backend: ctx.setting('backend', 'auto', uri),
    threads: typeof threads === 'number' && Number.isInteger(threads) && threads > 1 ? threads : undefined,
    ...asked,
    file: uri.fsPath,
    out,
  });
  await openSweepPanel(ctx, info.dir);
};

async function openSweepPanel(ctx: BnasContext, dir: string): Promise<void> {
  const panels = panelsOrExplain(ctx, 'sweep view');
  if (panels?.openSweepView) await panels.openSweepView(dir);
}

/** The sweep a command acts on: the argument, else one the user picks. */
async function resolveSweep(ctx: BnasContext, arg: unknown, filter: (s: SweepInfo) => boolean, none: string): Promise<SweepInfo | undefined> {
  const sweeps = ctx.get('sweeps');
  const dir = sweepDirOf(arg);
  if (dir !== undefined) return sweeps.get(dir) ?? (await sweeps.load([join(dir, '..')]), sweeps.get(dir));
  const candidates = sweeps.sweeps().filter(filter);
  if (!candidates.length) {
    void vscode.window.showInformationMessage(none);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((s) => ({ label: s.name, description: s.running ? 'running' : s.sweep?.state, detail: s.sweep?.file, s })),
    { title: 'Sweep' },
  );
  return picked?.s;
}

/** `bnas.cancelSweep`: SIGINT to the sweep process; its trials checkpoint. */
export const cancelSweep = (ctx: BnasContext) => async (arg?: unknown) => {
  const s = await resolveSweep(ctx, arg, (x) => x.running, 'BNAS: no sweep is running in this window.');
  if (s && !ctx.get('sweeps').cancel(s.dir)) void vscode.window.showInformationMessage(`BNAS: the sweep ${s.name} is not running in this window.`);
};

/** `bnas.resumeSweep`: the same `bnas sweep` command again; finished trials are skipped. */
export const resumeSweep = (ctx: BnasContext) => async (arg?: unknown) => {
  if (!(await requireTrust('Resuming a sweep'))) return;
  const s = await resolveSweep(ctx, arg, (x) => !x.running && x.sweep?.state !== 'finished', 'BNAS: no stopped sweep to resume.');
  if (!s) return;
  await ctx.get('sweeps').resume(s.dir);
  await openSweepPanel(ctx, s.dir);
};

/** `bnas.openSweepView`. */
export const openSweepView = (ctx: BnasContext) => async (arg?: unknown) => {
  const s = await resolveSweep(ctx, arg, () => true, 'BNAS: no sweeps yet. Run one with BNAS: Run Sweep.');
  if (s) await openSweepPanel(ctx, s.dir);
};

/** `bnas.openTrialRun`: the run view of one trial (its ordinary run folder). */
export const openTrialRun = (ctx: BnasContext) => async (runDir?: unknown) => {
  const panels = panelsOrExplain(ctx, 'run view');
  const dir = typeof runDir === 'object' && runDir !== null ? (runDir as { runDir?: unknown }).runDir : runDir;
  if (panels && typeof dir === 'string') await panels.openRunView(dir);
};
