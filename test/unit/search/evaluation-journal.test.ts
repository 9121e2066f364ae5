// The journal of an evaluation from scratch (runtime/search/evaluation-journal.ts): read back only
// by the same evaluation, a line cut short by a kill is skipped, removed with its empty folder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvaluationJournal } from '../../../runtime/search/evaluation-journal.js';

describe('evaluation journal', () => {
  it('keeps finished trainings for the same evaluation only, skips a torn line, and removes itself and its empty folder', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bnas-journal-')), '.partial');
    const identity = { genotype: 'g', protocol: 'text', epochs: 6, seed: 1 };
    const a = EvaluationJournal.open(dir, identity);
    assert.equal(a.size, 0);
    a.record('genotype', { accuracy: 0.8, parameters: 100, seconds: 12 });
    a.record('random 1', { accuracy: 0.7, parameters: 90, seconds: 11 });
    appendFileSync(a.file, '{"label":"random 2","accur'); // a kill mid-write

    const again = EvaluationJournal.open(dir, { ...identity });
    assert.equal(again.file, a.file);
    assert.equal(again.size, 2);
    assert.deepEqual(again.get('random 1'), { accuracy: 0.7, parameters: 90, seconds: 11 });
    assert.equal(again.get('random 2'), undefined);
    // The next entry after the torn line is read back whole.
    again.record('random 2', { accuracy: 0.75, parameters: 90, seconds: 10 });
    assert.deepEqual(EvaluationJournal.open(dir, identity).get('random 2'), { accuracy: 0.75, parameters: 90, seconds: 10 });

    // Another protocol, seed or epochs: another journal, nothing read back.
    const other = EvaluationJournal.open(dir, { ...identity, epochs: 10 });
    assert.notEqual(other.file, a.file);
    assert.equal(other.size, 0);
    other.record('genotype', { accuracy: 0.9, parameters: 100, seconds: 20 });

    again.remove();
    assert.deepEqual(readdirSync(dir), [other.file.split('/').at(-1)], 'only the finished evaluation\'s journal goes');
    other.remove();
    assert.equal(existsSync(dir), false, 'the empty folder goes with the last journal');
  });
});
