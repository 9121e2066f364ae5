// Host suite "runs" (trusted workspace): searches from the command palette, stop/resume, export.
import { runMocha } from '../in-host/mocha-runner.js';
import { runScenarios } from '../scenarios/runs.js';

/** Called by VS Code's test runner inside the extension host. */
export function run(): Promise<void> {
  return runMocha([runScenarios], 420_000);
}
