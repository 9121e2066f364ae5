/**
 * Re-derives a finished search with `derive.edges = removal` (docs/method.md, "Derivation"): the
 * edge-removal probes need the supernet's trained weights, so the run's checkpoint is copied to
 * OUT and resumed there with the new `derive` settings. A finished run resumes straight into its
 * final derivation (no step is trained again), measures the probes, writes OUT/result.json (which
 * `bnas evaluate OUT/result.json --data PROTOCOL.bnas --seed N` trains) and appends the final
 * `genotype` event with its `edge_evidence` to OUT/events.jsonl. RUN_DIR is left as it was.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/rederive-removal.ts RUN_DIR --out DIR [--set derive.KEY=VALUE ...] [--backend node|wasm]
 *   --set     further `derive` settings (e.g. derive.max_inner_edges=8 for no inner-edge cap, derive.probe_batches=16)
 *   --backend the backend to measure on (default: the run's own)
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSearch } from '../../runtime/search/search.js';
import { applySettings, SettingError, type Setting } from '../../runtime/sweep/overrides.js';
import type { BackendChoice } from '../../runtime/engine/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, set: { type: 'string', multiple: true }, backend: { type: 'string' } } });
const run = positionals[0];
const usage = 'usage: rederive-removal.ts RUN_DIR --out DIR [--set derive.KEY=VALUE ...] [--backend node|wasm]';
const fail = (message: string): never => {
  console.error(`${message}\n${usage}`);
  process.exit(2);
};
if (!run || !values.out) fail('RUN_DIR and --out are required');
const out = values.out as string;
if (!existsSync(join(run, 'result.json')) || !existsSync(join(run, 'checkpoint'))) fail(`${run} holds no finished run with a checkpoint`);
if (existsSync(out) && readdirSync(out).length > 0) fail(`${out} is not empty`);

const settings: Setting[] = [{ key: 'derive.edges', value: 'removal' }];
for (const s of values.set ?? []) {
  const at = s.indexOf('=');
  const key = s.slice(0, at).trim();
  // Anything else would change the search, which a resumed finished run does not redo.
  if (at < 0 || !key.startsWith('derive.')) fail(`--set takes derive.KEY=VALUE; got ${s}`);
  settings.push({ key, value: s.slice(at + 1).trim() });
}
const { text, space } = (() => {
  try {
    return applySettings(readFileSync(join(run, 'space.bnas'), 'utf8'), settings, join(run, 'space.bnas'));
  } catch (e) {
    if (e instanceof SettingError) return fail(e.message);
    throw e;
  }
})();
const previous = JSON.parse(readFileSync(join(run, 'result.json'), 'utf8')) as { seed: number; backend: string };

mkdirSync(out, { recursive: true });
cpSync(join(run, 'checkpoint'), join(out, 'checkpoint'), { recursive: true });
cpSync(join(run, 'events.jsonl'), join(out, 'events.jsonl'));
writeFileSync(join(out, 'space.bnas'), text);
const backend = (values.backend ?? (previous.backend === 'tensorflow' ? 'node' : previous.backend)) as BackendChoice;
const r = await runSearch({ space, spaceText: text, outDir: out, resume: true, seed: previous.seed, backend, threads: 1 });
if (r.status !== 'finished' || !r.result) fail(`re-derivation failed: ${r.message ?? r.status}`);
console.log(`${run} → ${out}: normal ${JSON.stringify(r.result?.genotype.normal)} reduce ${JSON.stringify(r.result?.genotype.reduce)}`);
