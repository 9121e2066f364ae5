/**
 * `bnas validate` (docs/design.md, "Exit codes"): JSON shape, human format with excerpt and caret, exit
 * codes 0/1/2, folders and several files, through `run()` and the `main()` dispatcher, and once
 * through the built bundle when it exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { run, formatDiagnostic } from '../../runtime/cli/commands/validate.js';
import { main } from '../../runtime/cli/main.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const tmp = mkdtempSync(join(tmpdir(), 'bnas-validate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const BAD = join(tmp, 'bad.bnas');
writeFileSync(BAD, 'search "bad" {\n  ops = [sep_conv_3x3, sep_conv_9x9, skip_connect]\n}\n');
const WARN = join(tmp, 'warn.bnas');
writeFileSync(WARN, 'search w {\n  ops = [skip_connect, sep_conv_3x3]\n  op spare { kind = conv }\n}\n');

/** A stream that records what is written. */
function sink(isTTY = false): { text: () => string; write: (s: string) => boolean; isTTY: boolean } {
  let buf = '';
  return { text: () => buf, write: (s: string) => ((buf += s), true), isTTY };
}

async function validate(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await run(argv, { stdout: out, stderr: err });
  return { code, out: out.text(), err: err.text() };
}

describe('bnas validate', () => {
  it('--json prints one array with {file, diagnostics} and exits 0 for clean files', async () => {
    const r = await validate(join(EXAMPLES, 'quick.bnas'), join(EXAMPLES, 'mnist-bnas.bnas'), '--json');
    assert.equal(r.code, 0);
    const json = JSON.parse(r.out);
    assert.deepEqual(json, [
      { file: join(EXAMPLES, 'quick.bnas'), diagnostics: [] },
      { file: join(EXAMPLES, 'mnist-bnas.bnas'), diagnostics: [] },
    ]);
  });

  it('--json reports errors with 0-based LSP ranges and exits 1', async () => {
    const r = await validate('--json', BAD);
    assert.equal(r.code, 1);
    const [file] = JSON.parse(r.out);
    assert.equal(file.file, BAD);
    assert.deepEqual(file.diagnostics, [
      {
        severity: 'error',
        code: 'unknown-op',
        message: file.diagnostics[0].message,
        range: { start: { line: 1, character: 23 }, end: { line: 1, character: 35 } },
      },
    ]);
    assert.match(file.diagnostics[0].message, /Unknown op `sep_conv_9x9`.*Did you mean `sep_conv_3x3`\?/);
  });

  it('warnings alone exit 0', async () => {
    const r = await validate(WARN, '--json');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out)[0].diagnostics.map((d: { severity: string; code: string }) => [d.severity, d.code]), [['warning', 'unused-op']]);
  });

  it('human output: file:line:col: severity code: message, excerpt and caret, summary', async () => {
    const r = await validate(BAD);
    assert.equal(r.code, 1);
    const lines = r.out.split('\n');
    assert.match(lines[0]!, new RegExp(`^${BAD.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:24: error unknown-op: Unknown op`));
    assert.equal(lines[1], '2 |   ops = [sep_conv_3x3, sep_conv_9x9, skip_connect]');
    assert.equal(lines[2], '  |                        ^^^^^^^^^^^^');
    assert.equal(lines[3], '1 file checked: 1 error, 0 warnings');
    assert.ok(!r.out.includes('\u001b['), 'no colour when not a TTY');
  });

  it('colours only when asked (TTY)', () => {
    const d = { severity: 'error' as const, code: 'unknown-op' as const, message: 'm', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
    assert.ok(formatDiagnostic('f', 'x', d, true).includes('\u001b[31merror'));
    assert.ok(!formatDiagnostic('f', 'x', d, false).includes('\u001b['));
  });

  it('validates every .bnas file in a folder', async () => {
    const r = await validate(EXAMPLES, '--json');
    assert.equal(r.code, 0);
    const files = JSON.parse(r.out).map((f: { file: string }) => f.file);
    assert.ok(files.length >= 5 && files.every((f: string) => f.endsWith('.bnas')));
  });

  it('exit 2 for a missing file (after validating the others) and for usage errors', async () => {
    const missing = await validate(join(EXAMPLES, 'quick.bnas'), join(tmp, 'nope.bnas'), '--json');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read .*nope\.bnas: no such file/);
    const json = JSON.parse(missing.out);
    assert.equal(json.length, 2);
    assert.deepEqual(json[0].diagnostics, []);
    const none = await validate();
    assert.equal(none.code, 2);
    assert.match(none.err, /usage: bnas validate FILE/);
    const unknown = await validate('--yaml', BAD);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown option --yaml/);
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await validate('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Exit codes: 0 no errors/);
  });

  it('main() dispatches through the command table and rejects unknown commands', async () => {
    const out = sink();
    const err = sink();
    assert.equal(await main(['validate', '--json', BAD], { stdout: out, stderr: err }), 1);
    assert.equal(JSON.parse(out.text())[0].diagnostics[0].code, 'unknown-op');
    assert.equal(await main(['frobnicate'], { stdout: out, stderr: err }), 2);
    assert.match(err.text(), /unknown command 'frobnicate'.*validate/);
    const help = sink();
    assert.equal(await main(['--help'], { stdout: help, stderr: err }), 0);
    assert.match(help.text(), /validate\s+check \.bnas files/);
    assert.equal(await main([], { stdout: out, stderr: err }), 2);
  });

  it('the built bundle exits with the contract codes', { skip: !existsSync(join(ROOT, 'dist', 'cli.cjs')) && 'dist/cli.cjs not built' }, () => {
    const cli = join(ROOT, 'dist', 'cli.cjs');
    const bad = spawnSync(process.execPath, [cli, 'validate', BAD, '--json'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout)[0].diagnostics[0].range.start.line, 1);
    const ok = spawnSync(process.execPath, [cli, 'validate', join(EXAMPLES, 'tiny.bnas')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const usage = spawnSync(process.execPath, [cli, 'validate'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
  });
});
