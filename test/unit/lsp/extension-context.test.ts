/**
 * The extension's context object (extension/context.ts) in a fake `vscode` module (the one the
 * runs feature's tests use): ownership and disposal order, parts, settings.
 */
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { describe, it } from 'node:test';

register('../extension/vscode-loader.mjs', import.meta.url);
const { fake, logChannel } = await import('../extension/fake-vscode.js');
const { BnasContext } = await import('../../../extension/context.js');

type Log = ReturnType<typeof logChannel>;
const newContext = (log: Log = logChannel()) =>
  new BnasContext({ asAbsolutePath: (p: string) => `/ext/${p}` } as never, log as never);

declare module '../../../extension/context.js' {
  interface BnasParts {
    testPart: { value: number; dispose(): void };
  }
}

describe('extension context', () => {
  it('disposes what it owns newest first, waits for async disposals, and survives a failing one', async () => {
    const log = logChannel();
    const ctx = newContext(log);
    const order: string[] = [];
    ctx.own({ dispose: () => order.push('first') });
    ctx.own({
      dispose: async () => {
        await new Promise((r) => setImmediate(r));
        order.push('async second');
      },
    });
    ctx.own({
      dispose: () => {
        throw new Error('boom');
      },
    });
    ctx.own({ dispose: () => order.push('fourth') });
    await ctx.dispose();
    assert.deepEqual(order, ['fourth', 'async second', 'first']);
    assert.ok(log.lines.some((l) => l.startsWith('error BNAS: a resource failed to dispose') && l.includes('boom')), log.lines.join('\n'));
    await ctx.dispose(); // a second call does nothing
    assert.equal(order.length, 3);
  });

  it('disposes a late registration at once', async () => {
    const ctx = newContext();
    await ctx.dispose();
    let disposed = false;
    ctx.own({ dispose: () => (disposed = true) });
    await new Promise((r) => setImmediate(r));
    assert.equal(disposed, true);
  });

  it('holds parts: provide once, get with a clear error, dispose with the context', async () => {
    const ctx = newContext();
    assert.equal(ctx.tryGet('testPart'), undefined);
    assert.throws(() => ctx.get('testPart'), /"testPart" is not available \(its feature did not start; see the BNAS log\)/);
    let disposed = 0;
    const part = ctx.provide('testPart', { value: 3, dispose: () => void disposed++ });
    assert.equal(ctx.get('testPart'), part);
    assert.throws(() => ctx.provide('testPart', { value: 4, dispose: () => undefined }), /already registered/);
    await ctx.dispose();
    assert.equal(disposed, 1);
    assert.equal(ctx.tryGet('testPart'), undefined);
  });

  it('reads settings under `bnas.` with a fallback, and the workspace trust', () => {
    const ctx = newContext();
    fake.settings.set('bnas.maxConcurrentRuns', 3);
    assert.equal(ctx.setting('maxConcurrentRuns', 1), 3);
    assert.equal(ctx.setting('notSet', 'fallback'), 'fallback');
    fake.settings.delete('bnas.maxConcurrentRuns');
    fake.trusted = false;
    assert.equal(ctx.isTrusted, false);
    fake.trusted = true;
    assert.equal(ctx.asAbsolutePath('dist/language-server.cjs'), '/ext/dist/language-server.cjs');
  });
});
