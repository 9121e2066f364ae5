// Runs mocha inside the extension host. Test files are bundled into one CJS module, so they do
// not call `describe` at import time: each exports a register function that is called after
// mocha has installed its globals (`pre-require`). Mocha itself stays external and is loaded
// from the project's node_modules next to the bundle.
import Mocha from 'mocha';
import type { TestOutcome } from '../protocol.js';
import { send } from './bridge.js';

/** Registers `describe`/`it` blocks; called once mocha's globals exist. */
export type Register = () => void;

/**
 * Runs the registered tests and resolves when all passed; rejects with the failure count
 * otherwise (VS Code then ends the extension host with exit code 1). `BNAS_HOST_GREP` limits the
 * run to titles matching it.
 */
export async function runMocha(registers: readonly Register[], timeoutMs = 120_000): Promise<void> {
  // When the extension host loaded this module: splits "server start → activation" in two.
  send({ kind: 'metric', name: 'testsModuleLoadedAt', value: Date.now() });
  const mocha = new Mocha({ ui: 'bdd', timeout: timeoutMs, color: false, reporter: 'spec' });
  const grep = process.env.BNAS_HOST_GREP;
  if (grep) mocha.grep(grep);
  mocha.suite.emit('pre-require', globalThis, 'bnas-host', mocha);
  for (const register of registers) register();
  const tests: TestOutcome[] = [];
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      send({ kind: 'result', tests });
      if (failures > 0) reject(new Error(`${failures} host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration }));
    runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
    runner.on('fail', (t, err: Error) =>
      tests.push({ title: t.fullTitle(), state: 'failed', ms: t.duration, error: err?.stack ?? String(err) }),
    );
  });
}
