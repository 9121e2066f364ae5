/**
 * `bnas.selectBackend`: which TensorFlow.js backend searches use (`bnas.backend`). The list says
 * which are installed on this host (on Remote-SSH or a container that is the remote machine, where
 * the extension runs) without loading TensorFlow.js.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BnasContext } from '../context.js';

export const BACKENDS = ['auto', 'node', 'wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Whether the native TensorFlow binding is installed next to the extension. */
export function nativeBackendInstalled(extensionPath: string): boolean {
  return ['tfjs-node', 'tfjs-node-gpu'].some((p) => existsSync(join(extensionPath, 'node_modules', '@tensorflow', p, 'package.json')));
}

export const selectBackend = (ctx: BnasContext) => async () => {
  const current = ctx.setting<string>('backend', 'auto');
  const native = nativeBackendInstalled(ctx.extension.extensionPath);
  const details: Record<Backend, string> = {
    auto: `Fastest available: native TensorFlow${native ? '' : ' (not installed here)'}, else WebAssembly, else plain JavaScript.`,
    node: native
      ? 'Native TensorFlow (libtensorflow, multi-threaded C++). Fastest on CPU.'
      : 'Native TensorFlow — not installed on this host: searches with it fail until @tensorflow/tfjs-node is installed where the extension runs. Prefer auto.',
    wasm: 'WebAssembly with SIMD and threads: portable, several times faster than cpu.',
    cpu: 'Plain JavaScript: slowest; the reference for checking the others.',
  };
  const picked = await vscode.window.showQuickPick(
    BACKENDS.map((b) => ({ label: b, description: b === current ? 'current' : undefined, detail: details[b], b })),
    { placeHolder: 'TensorFlow.js backend for searches (bnas.backend)' },
  );
  if (!picked) return;
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('bnas').update('backend', picked.b, target);
  void vscode.window.showInformationMessage(
    `BNAS: searches will use the ${picked.b} backend${picked.b === 'node' && !native ? ' (not installed here: searches will fail until @tensorflow/tfjs-node is installed; auto picks the best available)' : ''}. Running searches keep theirs.`,
  );
};
