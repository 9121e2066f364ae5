/**
 * A generated but realistic run: the event stream a `bnas search` of the quick example produces
 * (6 ops, 4 nodes = 14 edges, performance pruning one op per edge per epoch), with losses that
 * fall and accuracies that rise with noise, α that drift towards a few ops, and genotypes derived
 * from them the DARTS way (top-2 edges per node by their best non-`none` weight).
 * Deterministic (seeded), so tests and the benchmark see the same run every time.
 */
import type { AlphasEvent, Genotype, GenotypeEdge, RunEvent } from '../../runtime/protocol/index.js';

export interface FixtureOptions {
  readonly epochs?: number;
  readonly stepsPerEpoch?: number;
  /** Emit a step event every this many steps (the runtime throttles them). */
  readonly stepEvery?: number;
  readonly ops?: readonly string[];
  readonly nodes?: number;
  readonly seed?: number;
  /** Stop after this many epochs without `finished` (a run still going). */
  readonly stopAfter?: number;
  /** Leave the per-edge evidence out of `pruned` events, as runs of earlier versions do. */
  readonly noEvidence?: boolean;
  /** The final genotype carries `edge_evidence`, as with `derive.edges = removal`. */
  readonly edgeEvidence?: boolean;
  /** Pruning by the paired-z rule with this `pruning.confidence`: evidence with roles and z. */
  readonly confidence?: number;
}

export const QUICK_OPS = ['sep_conv_3x3', 'dil_conv_3x3', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'none'];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};

/** Derives a genotype from the latest α of both cells (top-2 edges per node, best non-`none` op). */
export function deriveGenotype(normal: AlphasEvent, reduce: AlphasEvent, nodes: number): Genotype {
  const cell = (a: AlphasEvent): GenotypeEdge[] => {
    const out: GenotypeEdge[] = [];
    let first = 0;
    for (let j = 0; j < nodes; j++) {
      const scored = Array.from({ length: j + 2 }, (_, i) => {
        const w = a.weights[first + i]!;
        const best = Object.entries(w).filter(([op]) => op !== 'none').sort((x, y) => y[1] - x[1])[0] ?? ['skip_connect', 0];
        return { input: i, op: best[0], score: best[1] * (a.betas[first + i] ?? 1) };
      }).sort((x, y) => y.score - x.score);
      for (const e of scored.slice(0, 2).sort((x, y) => x.input - y.input)) out.push([e.op, e.input]);
      first += j + 2;
    }
    return out;
  };
  const concat = Array.from({ length: nodes }, (_, j) => j + 2);
  return { normal: cell(normal), normal_concat: concat, reduce: cell(reduce), reduce_concat: concat };
}

/** Makes the event stream of a whole run (or of its first `stopAfter` epochs). */
export function makeRunEvents(o: FixtureOptions = {}): RunEvent[] {
  const epochs = o.epochs ?? 6;
  const steps = o.stepsPerEpoch ?? 16;
  const every = o.stepEvery ?? 2;
  const ops = o.ops ?? QUICK_OPS;
  const nodes = o.nodes ?? 4;
  const edges = (nodes * (nodes + 3)) / 2;
  const rand = rng(o.seed ?? 7);
  const t0 = Date.parse('2026-11-25T12:00:00Z');
  let seconds = 0;
  const time = () => new Date(t0 + seconds * 1000).toISOString();
  const events: RunEvent[] = [];
  events.push({ type: 'started', time: time(), space: 'quick', backend: 'wasm', backend_reason: 'tfjs-node is not installed', seed: o.seed ?? 7, parameters: 48_312, epochs, steps_per_epoch: steps, ops: [...ops], edges, resumed: false });

  // Raw α per cell kind, edge, op; each edge prefers a couple of ops, drawn at random.
  const raw = { normal: [] as number[][], reduce: [] as number[][] };
  const pref = { normal: [] as number[][], reduce: [] as number[][] };
  const alive = { normal: [] as Set<string>[], reduce: [] as Set<string>[] };
  for (const c of ['normal', 'reduce'] as const) {
    for (let e = 0; e < edges; e++) {
      raw[c].push(ops.map(() => (rand() - 0.5) * 1e-3));
      pref[c].push(ops.map((op) => (op === 'none' ? -0.4 : (rand() - 0.35) * 1.2)));
      alive[c].push(new Set(ops));
    }
  }
  let round = 0;
  const lastAlphas: Partial<Record<'normal' | 'reduce', AlphasEvent>> = {};
  const stop = Math.min(epochs, o.stopAfter ?? epochs);
  for (let ep = 1; ep <= stop; ep++) {
    const progress = ep / epochs;
    for (let st = every; st <= steps; st += every) {
      seconds += 0.8 * every;
      const loss = 2.3 * Math.exp(-1.6 * (ep - 1 + st / steps) / epochs) + 0.18 * (rand() - 0.5);
      events.push({ type: 'step', time: time(), epoch: ep, step: st, steps, loss, seconds, phase: 'train' });
    }
    const trainAcc = Math.min(0.98, 0.2 + 0.6 * progress + 0.04 * (rand() - 0.5));
    const validAcc = Math.min(0.97, 0.17 + 0.55 * progress + 0.05 * (rand() - 0.5));
    for (const c of ['normal', 'reduce'] as const) {
      if (ep > 1) raw[c].forEach((r, e) => r.forEach((_, i) => (r[i] += pref[c][e]![i]! * 0.55 + (rand() - 0.5) * 0.15)));
      const weights = raw[c].map((r, e) => {
        const names = ops.filter((op) => alive[c][e]!.has(op));
        const sm = softmax(names.map((op) => r[ops.indexOf(op)]!));
        return Object.fromEntries(names.map((op, i) => [op, sm[i]!]));
      });
      const betas: number[] = [];
      for (let j = 0, first = 0; j < nodes; first += j + 2, j++) betas.push(...softmax(Array.from({ length: j + 2 }, (_, i) => raw[c][first + i]![0]! * 0.3)));
      const a: AlphasEvent = { type: 'alphas', time: time(), epoch: ep, cell: c, weights, betas };
      lastAlphas[c] = a;
      events.push(a);
    }
    // Performance pruning from epoch 1: the op with the lowest score leaves every edge.
    let pruneSeconds = 0;
    if (ep >= 1 && ep < epochs && [...alive.normal, ...alive.reduce].some((s) => s.size > 1)) {
      round++;
      for (const c of ['normal', 'reduce'] as const) {
        lastAlphas[c]!.weights.forEach((w, e) => {
          if (alive[c][e]!.size <= 1) return;
          const entries = o.confidence ? confidenceEntries(w, o.confidence, rand) : Object.entries(w).map(([op, v]) => ({ op, score: v + (rand() - 0.5) * 0.05, delta: (0.2 - v) * 0.3 as number | null, z: undefined, role: undefined }));
          const worst = [...entries].sort((x, y) => x.score - y.score)[0]!;
          alive[c][e]!.delete(worst.op);
          pruneSeconds += 0.05;
          const rule = o.confidence ? { confidence: o.confidence, roles: Object.fromEntries(entries.map((x) => [x.op, x.role!])), z: Object.fromEntries(entries.map((x) => [x.op, x.z ?? null])) } : {};
          const evidence = { measure: 'valid_loss_delta', values: Object.fromEntries(entries.map((x) => [x.op, x.delta])), scores: Object.fromEntries(entries.map((x) => [x.op, x.score])), ...rule };
          events.push({ type: 'pruned', time: time(), epoch: ep, cell: c, edge: e, op: worst.op, score: worst.score, round, ...(o.noEvidence ? {} : { evidence }) });
        });
      }
      seconds += pruneSeconds;
    }
    const opsLeft = [...alive.normal, ...alive.reduce].reduce((n, s) => n + s.size, 0);
    events.push({ type: 'epoch', time: time(), epoch: ep, train_loss: 2.3 * Math.exp(-1.6 * progress) + 0.05, train_acc: trainAcc, valid_loss: 2.3 * Math.exp(-1.4 * progress) + 0.1, valid_acc: validAcc, seconds, ops_left: opsLeft, prune_seconds: pruneSeconds });
    const g = deriveGenotype(lastAlphas.normal!, lastAlphas.reduce!, nodes);
    const evidence = o.edgeEvidence && ep === epochs ? { edge_evidence: { normal: Array.from({ length: edges }, () => rand() * 0.2 - 0.02), reduce: Array.from({ length: edges }, () => rand() * 0.2 - 0.02) } } : {};
    events.push({ type: 'genotype', time: time(), epoch: ep, genotype: g, final: ep === epochs, ...evidence });
    events.push({ type: 'checkpoint', time: time(), epoch: ep, path: 'checkpoint' });
  }
  if (stop === epochs) {
    const last = events.findLast((e) => e.type === 'genotype');
    if (last?.type === 'genotype') events.push({ type: 'finished', time: time(), genotype: last.genotype, seconds, valid_acc: 0.71, test_acc: 0.69 });
  }
  return events;
}

/**
 * One edge's ops as the paired-z rule reports them: the smaller-α half measured, its largest Δ the
 * worst, a measured op kept where its drawn z reaches `threshold`; scores by role, then α.
 */
function confidenceEntries(w: Record<string, number>, threshold: number, rand: () => number) {
  const byAlpha = Object.entries(w).sort((a, b) => a[1] - b[1]);
  const half = Math.ceil(byAlpha.length / 2);
  const measured = byAlpha.slice(0, half).map(([op, v]) => ({ op, v, delta: (0.2 - v) * 0.3 + rand() * 0.02 }));
  const worst = [...measured].sort((a, b) => b.delta - a.delta)[0]!.op;
  return byAlpha.map(([op, v], i) => {
    const m = measured.find((x) => x.op === op);
    const z = m && op !== worst ? rand() * 4 : undefined;
    const role: 'candidate' | 'kept' | 'promising' = i >= half ? 'promising' : z !== undefined && z >= threshold ? 'kept' : 'candidate';
    return { op, delta: m ? m.delta : null, z, role, score: { candidate: 0, kept: 1, promising: 2 }[role] + v };
  });
}
