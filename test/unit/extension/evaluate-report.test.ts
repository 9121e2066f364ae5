// BNAS: Evaluate Derived Cell without a host (extension/commands/evaluate-report.ts): the command
// line it runs, the progress it reads from the child's stderr, the report it accepts and its summary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { epochIncrement, evaluateArgs, parseEpochLine, parseJournalLine } from '../../../extension/commands/evaluate-report.js';
import { parseEvaluationOutput as parseReport } from '../../../runtime/sweep/schema.js';
import { randomComparison, reportSummary } from '../../../runtime/protocol/evaluation-summary.js';

describe('evaluate derived cell', () => {
  it('runs bnas evaluate on the run folder with --json, leaving out the CLI defaults', () => {
    const journal = ['--journal', join('/r', 'evaluations', '.partial')];
    assert.deepEqual(evaluateArgs({ run: '/r', data: '/p.bnas', random: 0, backend: 'auto', threads: 'auto' }), ['evaluate', '/r', '--data', '/p.bnas', '--json', ...journal]);
    assert.deepEqual(evaluateArgs({ run: '/r', data: '/p.bnas', random: 4, randomRule: 'uniform', backend: 'node', threads: 2 }), [
      'evaluate', '/r', '--data', '/p.bnas', '--json', ...journal, '--random', '4', '--random-rule', 'uniform', '--backend', 'node', '--threads', '2',
    ]);
    assert.deepEqual(evaluateArgs({ run: '/r', data: '/p.bnas', random: 2 }).slice(-2), ['--random', '2']);
    assert.deepEqual(evaluateArgs({ run: '/r', data: '/p.bnas', random: 2, repeats: 3 }).slice(-4), ['--repeats', '3', '--random', '2']);
    assert.equal(evaluateArgs({ run: '/r', data: '/p.bnas', random: 2, repeats: 1 }).includes('--repeats'), false);
  });

  it('reads the epoch lines of the cell and of each random cell, nothing else', () => {
    assert.deepEqual(parseEpochLine('  genotype epoch 2/6: loss 0.912, train acc 66.10%'), { label: 'genotype', epoch: 2, epochs: 6 });
    assert.deepEqual(parseEpochLine('  random 3 epoch 6/6: loss 0.5, train acc 80.00%'), { label: 'random 3', epoch: 6, epochs: 6 });
    assert.deepEqual(parseEpochLine('  genotype 2 epoch 1/6: loss 0.9, train acc 60.00%'), { label: 'genotype 2', epoch: 1, epochs: 6 });
    assert.equal(parseEpochLine('evaluating on tensorflow (auto), 1 thread(s)'), undefined);
    assert.equal(parseEpochLine('random cell 1: Genotype(...)'), undefined);
    assert.deepEqual(parseJournalLine('journal: 2 of 7 trainings done (/r/evaluations/.partial/ab.jsonl)'), { done: 2, total: 7 });
    assert.equal(parseJournalLine('  genotype epoch 2/6: loss 0.912, train acc 66.10%'), undefined);
    // Every epoch line of the cell and its random cells together makes the whole bar.
    assert.ok(Math.abs(epochIncrement(6, 4) * 6 * 5 - 100) < 1e-9);
    assert.equal(epochIncrement(3, 0) * 3, 100);
    // Three trainings of the cell and two random cells: five networks.
    assert.ok(Math.abs(epochIncrement(6, 2, 3) * 6 * 5 - 100) < 1e-9);
  });

  it('accepts only a report of the evaluation schema, on the last stdout line', () => {
    const good = { accuracy: 0.81, random: [0.78, 0.79], epochs: 6, seconds: 300, parameters: 1000, random_rule: 'caps' };
    assert.deepEqual(parseReport(`noise\n${JSON.stringify(good)}\n`)?.random, [0.78, 0.79]);
    assert.equal(parseReport(''), undefined);
    assert.equal(parseReport('not json'), undefined);
    assert.equal(parseReport(JSON.stringify({ ...good, accuracy: '81 %' })), undefined);
    assert.equal(parseReport(JSON.stringify({ ...good, random_rule: 'fair' })), undefined);
  });

  it('sums the report up: the accuracy, and its lead over the random cells in points, in their std and in cells beaten', () => {
    const base = { accuracy: 0.81, epochs: 6, seconds: 300.4, parameters: 1000 };
    assert.equal(reportSummary({ ...base, random: [] }), 'test accuracy 81.0 % (6 epochs from scratch, 300 s).');
    assert.equal(
      reportSummary({ ...base, random: [0.77, 0.79, 0.78, 0.82], random_rule: 'caps' }),
      `test accuracy 81.0 % (6 epochs from scratch, 300 s); 4 random cells under the derivation caps: 79.0 % ± 2.2 %, +2.0 points, 0.9× their std, above 3 of 4.`,
    );
    assert.match(reportSummary({ ...base, random: [0.8], random_rule: 'uniform' }), /; one uniform random cell: 80\.0 %, \+1\.0 points\.$/);
    assert.match(reportSummary({ ...base, random: [0.85, 0.83] }), /2 uniform random cells: 84\.0 % ± 1\.4 %, -3\.0 points, -2\.1× their std, above 0 of 2\.$/);
  });

  it('with repeated trainings: their mean ± std, and Welch\'s test against 2 or more random cells', () => {
    const repeated = { accuracy: 0.81, accuracies: [0.8, 0.82, 0.81], epochs: 6, seconds: 900, parameters: 1000, random_rule: 'caps' as const };
    const random = [0.77, 0.79, 0.78, 0.82];
    // Welch's t = 1.633, df = 4.418, two-sided p = 0.1710 (scipy.stats.ttest_ind, equal_var=False).
    const c = randomComparison({ ...repeated, random });
    assert.ok(c?.welch);
    assert.ok(Math.abs(c.welch.t - 1.633) < 1e-3 && Math.abs(c.welch.df - 4.418) < 1e-3 && Math.abs(c.welch.p - 0.1710) < 1e-3, JSON.stringify(c.welch));
    assert.equal(
      reportSummary({ ...repeated, random }),
      'test accuracy 81.0 % ± 1.0 % over 3 trainings (6 epochs from scratch, 900 s); 4 random cells under the derivation caps: 79.0 % ± 2.2 %, +2.0 points, 0.9× their std, above 3 of 4; Welch p = 0.17.',
    );
    // One training, or a single random cell: no test.
    assert.equal(randomComparison({ accuracy: 0.81, random })?.welch, undefined);
    assert.equal(randomComparison({ ...repeated, random: [0.8] })?.welch, undefined);
    assert.equal(reportSummary({ ...repeated, random: [] }), 'test accuracy 81.0 % ± 1.0 % over 3 trainings (6 epochs from scratch, 900 s).');
  });
});
