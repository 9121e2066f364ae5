/**
 * The pruning order of a sweep's searches, as `op-order.ts` reads it: `[round, cell, edge, op]` per
 * abandoned op, from each trial's `events.jsonl`. With `pruning.confidence` > 0 it also counts the
 * decisions by what made them (`pruningBasis`): an edge where the evidence kept an op of the less
 * promising half against one where it separated nothing and α chose (docs/method.md, "Evidence
 * that separates").
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/pruning-order.ts SWEEP_DIR --group NAME --label TEXT --out FILE
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRunEvent } from '../../runtime/protocol/events.js';
import { pruningBasis } from '../../runtime/protocol/pruning-evidence.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { group: { type: 'string' }, label: { type: 'string' }, out: { type: 'string' } },
});
if (positionals.length !== 1 || !values.group || !values.label || !values.out) throw new Error('usage: pruning-order.ts SWEEP_DIR --group NAME --label TEXT --out FILE');
const trials = join(positionals[0], 'trials');
const searches: Record<string, [number, string, number, string][]> = {};
let byEvidence = 0, byAlpha = 0;
for (const name of readdirSync(trials).sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')))) {
  const file = join(trials, name, 'events.jsonl');
  if (!existsSync(file) || !existsSync(join(trials, name, 'result.json'))) continue; // a finished search only
  const seed = name.replace(/^seed-/, '');
  searches[seed] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = parseRunEvent(JSON.parse(line));
    if (e?.type !== 'pruned') continue;
    searches[seed].push([e.round, e.cell, e.edge, e.op]);
    const basis = pruningBasis(e.evidence);
    if (basis === 'evidence') byEvidence++;
    else if (basis === 'alpha') byAlpha++;
  }
}
writeFileSync(values.out, JSON.stringify({ groups: { [values.label]: [values.group] }, searches }) + '\n');
const n = Object.values(searches).reduce((a, s) => a + s.length, 0);
console.log(`${Object.keys(searches).length} searches, ${n} abandoned ops → ${values.out}`);
if (byEvidence + byAlpha > 0) console.log(`confidence rule: the evidence separated an op on ${byEvidence} of ${byEvidence + byAlpha} decisions; α alone chose on ${byAlpha}`);
