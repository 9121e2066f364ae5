/**
 * `bnas.selectBackend`: which TensorFlow.js backend searches use (`bnas.backend`). The list says
 * which are installed on this host (on Remote-SSH or a container that is the remote machine, where
 * the extension runs) without loading TensorFlow.js, and names the GPU adapter the last WebGPU run
 * used (from its started event).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { BACKEND_CHOICES as BACKENDS, type BackendChoice as Backend } from '../../runtime/protocol/backend-choice.js';
import type { BnasContext } from '../context.js';

const installed = (extensionPath: string, pkg: string): boolean => existsSync(join(extensionPath, 'node_modules', pkg, 'package.json'));

/** Whether the native TensorFlow binding is installed next to the extension. */
export function nativeBackendInstalled(extensionPath: string): boolean {
  return ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((p) => installed(extensionPath, p));
}

/** Whether the WebGPU packages (Dawn and the TF.js backend) are installed next to the extension. */
export function webgpuInstalled(extensionPath: string): boolean {
  return installed(extensionPath, 'webgpu') && installed(extensionPath, '@tensorflow/tfjs-backend-webgpu');
}

/** The GPU adapter of the newest run that used WebGPU ("nvidia ampere (…)"), from its backend reason. */
export function lastGpuAdapter(runs: readonly { readonly summary: { readonly backend?: string; readonly backendReason?: string } }[]): string | undefined {
  for (const r of runs) {
    const m = r.summary.backend === 'webgpu' ? /^WebGPU on ([^;]+)/.exec(r.summary.backendReason ?? '') : null;
    if (m) return m[1];
  }
  return undefined;
}

export const selectBackend = (ctx: BnasContext) => async () => {
  const current = ctx.setting<string>('backend', 'auto');
  const native = nativeBackendInstalled(ctx.extension.extensionPath);
  const gpu = webgpuInstalled(ctx.extension.extensionPath);
  const adapter = lastGpuAdapter(ctx.tryGet('runs')?.runs() ?? []);
  const details: Record<Backend, string> = {
    auto: `Fastest on your search, measured: a GPU through WebGPU${gpu ? '' : ' (not installed here)'}, native TensorFlow${native ? '' : ' (not installed here)'}, WebAssembly; plain JavaScript last. Never a software GPU.`,
    node: native
      ? 'Native TensorFlow (libtensorflow, multi-threaded C++). Fastest on CPU.'
      : 'Native TensorFlow — not installed on this host: searches with it fail until @tensorflow/tfjs-node is installed where the extension runs. Prefer auto.',
    webgpu: gpu
      ? `The GPU through WebGPU (Vulkan, Metal or Direct3D 12; no CUDA).${adapter ? ` Last used: ${adapter}.` : ''} Also a software adapter, for testing.`
      : 'The GPU through WebGPU — not installed on this host: searches with it fail until the packages webgpu and @tensorflow/tfjs-backend-webgpu are installed where the extension runs. Prefer auto.',
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
    `BNAS: searches will use the ${picked.b} backend${(picked.b === 'node' && !native) || (picked.b === 'webgpu' && !gpu) ? ' (not installed here: searches will fail until it is installed; auto picks the best available)' : ''}. Running searches keep theirs.`,
  );
};
