// Host suite "editor" (trusted workspace): activation, diagnostics, completion, hover, search-space view.
import { runMocha } from '../in-host/mocha-runner.js';
import { completionScenarios, diagnosticsScenarios } from '../scenarios/editor.js';
import { smokeScenarios } from '../scenarios/smoke.js';
import { spaceViewScenarios } from '../scenarios/space-view.js';

/** Called by VS Code's test runner inside the extension host. */
export function run(): Promise<void> {
  return runMocha([smokeScenarios, diagnosticsScenarios, completionScenarios, spaceViewScenarios]);
}
