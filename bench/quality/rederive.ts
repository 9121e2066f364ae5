/**
 * Re-derives a finished search with another cap on parameter-free ops (docs/method.md,
 * "Derivation"), from the α, β and alive ops of its checkpoint, without searching again. Under any
 * cap the search itself is the same (pruning keeps a learnable op on every edge whenever a cap
 * can bind), so a run searched with one cap answers what another cap would have derived.
 *
 * It first re-derives at the run's own cap and refuses when that does not reproduce the run's
 * `result.json`, so a record it writes rests on the same derivation the search used. The output is
 * a `result.json`-shaped file that `bnas evaluate FILE --data PROTOCOL.bnas --seed N` trains.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/rederive.ts RUN_DIR --cap N --out FILE.json [--run-cap M] [--reduce-cap R] [--edges weight|beta] [--inner K]
 *   --run-cap M   the cap the run derived with, where its space.bnas leaves it to a language default
 *                 that has changed since (default: what the space file gives now)
 *   --reduce-cap R the reduction cell's cap, where it differs from the normal cell's N
 *   --edges E      how the re-derivation ranks a node's input edges (`derive.edges`; default: the run's)
 *   --inner K      at most K edges a cell from intermediate nodes (`derive.max_inner_edges`; default: the run's)
 *   --run-inner K|none the inner-edge cap the run derived with, where its space.bnas leaves it to a
 *                 language default that has changed since (`none`: no cap, as before the cap existed)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSearchSpace } from '../../runtime/dsl/index.js';
import type { SearchSpace } from '../../runtime/dsl/space.js';
import { CELL_KINDS, type CellKind, type Genotype } from '../../runtime/protocol/genotype.js';
import { readCheckpoint } from '../../runtime/search/checkpoint.js';
import { deriveGenotype, deriveLimitsOf, type CellArch, type EdgeScore } from '../../runtime/search/derive.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { cap: { type: 'string' }, out: { type: 'string' }, 'run-cap': { type: 'string' }, 'reduce-cap': { type: 'string' }, edges: { type: 'string' }, inner: { type: 'string' }, 'run-inner': { type: 'string' } } });
const run = positionals[0];
const usage = 'usage: rederive.ts RUN_DIR --cap N --out FILE.json [--run-cap M] [--reduce-cap R] [--edges weight|beta] [--inner K] [--run-inner K|none]';

/** A count option: an integer ≥ 0 (with `none` allowed, no limit: Infinity); undefined when absent. Exits with a message otherwise. */
function count(name: string, none = false): number | undefined {
  const text = values[name as keyof typeof values];
  if (text === undefined) return undefined;
  if (none && text === 'none') return Infinity;
  const n = Number(text);
  if (typeof text === 'string' && text.trim() !== '' && Number.isInteger(n) && n >= 0) return n;
  console.error(`--${name} takes a count, 0 or more${none ? ', or none' : ''}; got ${String(text)}\n${usage}`);
  process.exit(2);
}

const cap = count('cap');
const reduceCap = count('reduce-cap') ?? cap;
const inner = count('inner');
const runCapOpt = count('run-cap');
const runInnerOpt = count('run-inner', true);
const edgesOpt = values.edges as EdgeScore | undefined;
if (edgesOpt !== undefined && edgesOpt !== 'weight' && edgesOpt !== 'beta') {
  const removal = edgesOpt === 'removal' ? ' (removal needs the trained supernet: bench/quality/rederive-removal.ts)' : '';
  console.error(`--edges takes weight or beta${removal}\n${usage}`);
  process.exit(2);
}
if (!run || !values.out || cap === undefined) {
  console.error(usage);
  process.exit(2);
}

const spaceFile = join(run, 'space.bnas');
const loaded = loadSearchSpace(readFileSync(spaceFile, 'utf8'), { filePath: spaceFile });
if (!loaded.space) throw new Error(`${spaceFile}: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
const space: SearchSpace = loaded.space;
if (space.derive?.edges === 'removal') {
  console.error(`${run} derived its cells by edge removal, which needs the trained supernet, not only α and β: re-derive it with bench/quality/rederive-removal.ts`);
  process.exit(2);
}
const saved = readCheckpoint<{ alive: Record<CellKind, boolean[][]> }>(run);
const ops = space.ops.map((o) => o.name);

const archOf = (kind: CellKind): CellArch => {
  const alpha = saved.arrays.get(`a/alpha.${kind}`), beta = saved.arrays.get(`a/beta.${kind}`);
  if (!alpha || !beta) throw new Error(`${saved.path} holds no α/β of the ${kind} cell`);
  const alive = saved.state.alive[kind];
  return {
    alphas: alive.map((_, e) => Array.from(alpha.data.subarray(e * ops.length, (e + 1) * ops.length))),
    betas: Array.from(beta.data),
    alive,
  };
};
const archs = { normal: archOf('normal'), reduce: archOf('reduce') };
const derive = (maxParamFree: number | undefined, reduceMax = maxParamFree, edges?: EdgeScore, maxInnerEdges?: number): Genotype => {
  const limits = Object.fromEntries(
    CELL_KINDS.map((k) => {
      const own = deriveLimitsOf(space, k);
      return [k, { ...own, maxParamFree: k === 'reduce' ? reduceMax : maxParamFree, edges: edges ?? own.edges, maxInnerEdges: maxInnerEdges ?? own.maxInnerEdges }];
    }),
  ) as Record<CellKind, ReturnType<typeof deriveLimitsOf>>;
  return deriveGenotype(archs, ops, space.supernet.nodes, space.sampling.edgeNormalization, limits);
};

const result = JSON.parse(readFileSync(join(run, 'result.json'), 'utf8')) as { genotype: Genotype };
const runCap = runCapOpt ?? space.derive?.maxParamFree;
const runInner = runInnerOpt ?? space.derive?.maxInnerEdges;
if (JSON.stringify(derive(runCap, runCap, undefined, runInner)) !== JSON.stringify(result.genotype)) {
  throw new Error(`re-deriving ${run} at its own caps (${runCap}, inner ${runInner}) does not reproduce its result.json: the checkpoint is not the run's last state, or the run derived with other caps (--run-cap, --run-inner)`);
}
const genotype = derive(cap, reduceCap, edgesOpt, inner);
const rederived = { from: run, max_param_free: cap, ...(reduceCap !== cap ? { reduce_max_param_free: reduceCap } : {}), ...(edgesOpt ? { edges: edgesOpt } : {}), ...(inner !== undefined ? { max_inner_edges: inner } : {}) };
writeFileSync(values.out, JSON.stringify({ ...result, genotype, rederived }, null, 2) + '\n');
console.log(`${run}: normal ${JSON.stringify(genotype.normal)} reduce ${JSON.stringify(genotype.reduce)}`);
