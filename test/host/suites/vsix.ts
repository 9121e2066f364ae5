// Host suite "vsix": the packaged extension installed into code-server, not the source tree.
import { runMocha } from '../in-host/mocha-runner.js';
import { diagnosticsScenarios } from '../scenarios/editor.js';
import { installedScenarios } from '../scenarios/installed.js';
import { smokeScenarios } from '../scenarios/smoke.js';

/** Called by VS Code's test runner inside the extension host. */
export function run(): Promise<void> {
  return runMocha([smokeScenarios, installedScenarios, diagnosticsScenarios]);
}
