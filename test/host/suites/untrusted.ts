// Host suite "untrusted" (Workspace Trust enforced, workspace not trusted): editing works,
// running is refused with the reason.
import { runMocha } from '../in-host/mocha-runner.js';
import { diagnosticsScenarios } from '../scenarios/editor.js';
import { untrustedScenarios } from '../scenarios/untrusted.js';

/** Called by VS Code's test runner inside the extension host. */
export function run(): Promise<void> {
  return runMocha([untrustedScenarios, diagnosticsScenarios]);
}
