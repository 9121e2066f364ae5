// Host suite "editor" (trusted workspace): activation, diagnostics, completion, hover.
import { runMocha } from '../in-host/mocha-runner.js';
import { completionScenarios, diagnosticsScenarios } from '../scenarios/editor.js';
import { smokeScenarios } from '../scenarios/smoke.js';

/** Called by VS Code's test runner inside the extension host. */
export function run(): Promise<void> {
  return runMocha([smokeScenarios, diagnosticsScenarios, completionScenarios]);
}
