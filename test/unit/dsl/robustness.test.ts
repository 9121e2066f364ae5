/**
 * Robustness: thousands of seeded random mutations of the examples (deleted, duplicated and
 * swapped tokens, truncation, random bytes) never throw, never crash a check (no
 * `internal-error`), never take long, and always return diagnostics whose ranges lie inside the
 * document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIAGNOSTIC_CODES, LineIndex, loadSearchSpace, type BnasDiagnostic, type Position } from '../../../runtime/dsl/index.js';
import { examples } from './helpers.js';

/** Small seeded PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits text into tokens and the whitespace between them (joining them gives the text back). */
function tokens(text: string): string[] {
  return text.match(/\s+|"[^"\n]*"?|[{}[\]=,;]|[^\s{}[\]=,;"]+/g) ?? [];
}

const NOISE = ['{', '}', '[', ']', '=', ',', ';', '"', "'", '#', '/*', '*/', '//', 'x', '3x', '-', '.', '\u0000', '\u00e9', '\ud83d\ude00', '\r', '\n', '\t', 'search', 'op', 'true', '1e', '0x1'];

function mutate(text: string, random: () => number): { kind: string; text: string } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const toks = tokens(text);
  const i = Math.floor(random() * toks.length);
  const j = Math.floor(random() * toks.length);
  switch (Math.floor(random() * 5)) {
    case 0:
      toks.splice(i, 1 + Math.floor(random() * 3));
      return { kind: 'delete', text: toks.join('') };
    case 1:
      toks.splice(i, 0, ...toks.slice(j, j + 1 + Math.floor(random() * 4)));
      return { kind: 'duplicate', text: toks.join('') };
    case 2:
      [toks[i], toks[j]] = [toks[j]!, toks[i]!];
      return { kind: 'swap', text: toks.join('') };
    case 3:
      return { kind: 'truncate', text: text.slice(0, Math.floor(random() * text.length)) };
    default: {
      const at = Math.floor(random() * (text.length + 1));
      const insert =
        random() < 0.5
          ? pick(NOISE)
          : String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 0x3000)));
      return { kind: 'bytes', text: text.slice(0, at) + insert + text.slice(at) };
    }
  }
}

function inside(p: Position, lines: string[]): boolean {
  return Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= lines[p.line]!.length;
}

function checkDiagnostics(text: string, diags: readonly BnasDiagnostic[], label: string): void {
  const lines = text.split(/\r\n|\r|\n/);
  for (const d of diags) {
    assert.ok(d.code in DIAGNOSTIC_CODES, `${label}: unknown code ${d.code}`);
    assert.notEqual(d.code, 'internal-error', `${label}: a check crashed: ${d.message}`);
    assert.ok(d.message.length > 0, label);
    assert.ok(inside(d.range.start, lines) && inside(d.range.end, lines), `${label}: range ${JSON.stringify(d.range)} outside the document`);
    const s = d.range.start;
    const e = d.range.end;
    assert.ok(s.line < e.line || (s.line === e.line && s.character <= e.character), `${label}: inverted range ${JSON.stringify(d.range)}`);
  }
}

const MUTATIONS = 3000;

describe('robustness under random mutations', () => {
  it(`${MUTATIONS} mutations of the examples: no throw, no hang, ranges inside`, { timeout: 120_000 }, () => {
    const sources = examples().map((e) => e.text);
    const random = rng(20261125);
    const counts: Record<string, number> = {};
    let slowest = 0;
    let withModel = 0;
    for (let n = 0; n < MUTATIONS; n++) {
      let text = sources[n % sources.length]!;
      // Stack 1–3 mutations so errors interact.
      const rounds = 1 + Math.floor(random() * 3);
      const kinds: string[] = [];
      for (let r = 0; r < rounds; r++) {
        const m = mutate(text, random);
        text = m.text;
        kinds.push(m.kind);
      }
      for (const k of kinds) counts[k] = (counts[k] ?? 0) + 1;
      const label = `mutation ${n} (${kinds.join('+')})`;
      const t0 = performance.now();
      const result = loadSearchSpace(text);
      slowest = Math.max(slowest, performance.now() - t0);
      checkDiagnostics(text, result.diagnostics, label);
      if (result.space) {
        withModel++;
        assert.ok(!result.diagnostics.some((d) => d.severity === 'error'), `${label}: a model despite errors`);
      }
    }
    // Every kind of mutation was exercised, some mutants stayed valid and none took long.
    for (const k of ['delete', 'duplicate', 'swap', 'truncate', 'bytes']) assert.ok((counts[k] ?? 0) > 100, `${k}: ${counts[k]}`);
    assert.ok(withModel > 0 && withModel < MUTATIONS, `valid mutants: ${withModel}`);
    assert.ok(slowest < 2000, `slowest validation took ${slowest.toFixed(0)} ms`);
  });

  it('line index clamps offsets into the document', () => {
    const ix = new LineIndex('ab\r\ncd\ne');
    assert.deepEqual(ix.position(-5), { line: 0, character: 0 });
    assert.deepEqual(ix.position(4), { line: 1, character: 0 });
    assert.deepEqual(ix.position(999), { line: 2, character: 1 });
    assert.equal(ix.offset({ line: 1, character: 99 }), 7);
  });
});
