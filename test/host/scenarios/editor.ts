/// <reference types="mocha" />
// What a user sees when editing `.bnas` files: diagnostics, completion and hover served by the
// language server through the extension's language client in a real host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { BUILTIN_OPS } from '../../../runtime/dsl/space.js';
import { findAttribute } from '../../../runtime/dsl/schema.js';
import { activateExtension } from '../in-host/extension.js';
import {
  codeOf,
  completionLabels,
  describeDiagnostic,
  hoverText,
  openInEditor,
  positionAfter,
  positionOf,
  waitForDiagnostics,
} from '../in-host/vscode-helpers.js';

/** Registers the diagnostics scenarios (also run against the installed .vsix). */
export function diagnosticsScenarios(): void {
  describe('diagnostics of .bnas files', () => {
    before(async () => {
      await activateExtension();
    });

    it('shows the expected diagnostics on an invalid file, each on the offending text', async () => {
      const editor = await openInEditor('invalid.bnas');
      const doc = editor.document;
      assert.equal(doc.languageId, 'bnas', 'the .bnas file is not in the bnas language');
      const wanted = [
        { code: 'unknown-attribute', text: 'trian', line: 1 },
        { code: 'out-of-range', text: '40', line: 2 },
        { code: 'unknown-op', text: 'sep_conv_9x9', line: 3 },
      ];
      const diags = await waitForDiagnostics(doc.uri, (d) => wanted.every((w) => d.some((x) => codeOf(x) === w.code)));
      const all = diags.map(describeDiagnostic).join('\n');
      for (const w of wanted) {
        const d = diags.find((x) => codeOf(x) === w.code && x.range.start.line === w.line);
        assert.ok(d, `no ${w.code} diagnostic on line ${w.line + 1}; got:\n${all}`);
        assert.equal(doc.getText(d.range), w.text, `${w.code} does not cover "${w.text}"`);
        assert.equal(d.severity, vscode.DiagnosticSeverity.Error, `${w.code} is not an error`);
      }
      const trian = diags.find((x) => codeOf(x) === 'unknown-attribute');
      assert.match(trian?.message ?? '', /train/, 'unknown attribute "trian" gives no "did you mean train"');
      assert.match(diags.find((x) => codeOf(x) === 'out-of-range')?.message ?? '', /32/, 'the range message does not say what is allowed (1..32)');
    });

    it('clears a diagnostic when the text is fixed', async () => {
      const editor = await openInEditor('invalid.bnas');
      const doc = editor.document;
      await waitForDiagnostics(doc.uri, (d) => d.some((x) => codeOf(x) === 'unknown-op'));
      const at = positionOf(doc, 'sep_conv_9x9');
      await editor.edit((e) => e.replace(new vscode.Range(at, at.translate(0, 'sep_conv_9x9'.length)), 'sep_conv_5x5'));
      const after = await waitForDiagnostics(doc.uri, (d) => !d.some((x) => codeOf(x) === 'unknown-op'));
      assert.ok(after.some((x) => codeOf(x) === 'unknown-attribute'), 'the other problems should remain');
      await vscode.commands.executeCommand('workbench.action.files.revert');
    });
  });
}

/** Registers the completion and hover scenarios. */
export function completionScenarios(): void {
  describe('completion and hover in .bnas files', () => {
    before(async () => {
      await activateExtension();
    });

    it('completes attribute names of the enclosing block that are not set yet', async () => {
      const doc = (await openInEditor('editing.bnas')).document;
      const pos = positionAfter(doc, 'warmup = 1, ');
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos);
      const labels = completionLabels(list);
      for (const name of ['batch', 'seed']) assert.ok(labels.includes(name), `"${name}" is not offered in train { }; got ${labels.join(', ')}`);
      for (const name of ['cells', 'source']) assert.ok(!labels.includes(name), `"${name}" (another block's attribute) is offered in train { }`);
      for (const name of ['epochs', 'warmup']) assert.ok(!labels.includes(name), `"${name}" is offered although train { } already sets it`);
    });

    it('completes op names inside ops = [ ]', async () => {
      const doc = (await openInEditor('editing.bnas')).document;
      const pos = positionAfter(doc, 'sep_conv_3x3, ');
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos);
      const labels = completionLabels(list);
      const missing = BUILTIN_OPS.filter((op) => op !== 'sep_conv_3x3' && !labels.includes(op));
      assert.deepEqual(missing, [], `built-in ops missing from completion: ${missing.join(', ')}`);
    });

    it('shows the schema documentation and default on hover', async () => {
      const doc = (await openInEditor('editing.bnas')).document;
      const pos = positionOf(doc, 'warmup').translate(0, 2);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      const text = hoverText(hovers);
      const attr = findAttribute('train', 'warmup');
      assert.ok(attr, 'the schema has no train.warmup');
      assert.ok(text.includes(attr.doc), `hover does not show the schema doc "${attr.doc}"; got: ${text}`);
      assert.match(text, /default/i, `hover does not show the default; got: ${text}`);
    });
  });
}
