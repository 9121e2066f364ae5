/**
 * Where the weaker searched cells lose: the conv ops each derived normal cell kept, against its
 * accuracy relative to the same seed's DARTS_V2 cell, and the order in which performance pruning
 * removed `conv_3x3` and `conv_1x1` from the same edge during the searches (bench/quality/README.md,
 * "Which convs the pruning keeps").
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/quality/op-order.ts [--evaluations FILE] [ORDER.json ...]
 *   --evaluations  the cell evaluations (default bench/quality/results-sweep/cells-6cells/evaluations.json)
 *   ORDER.json     pruning orders of searches (default: the twelve 4,000-image searches,
 *                  cells-6cells/pruning-order.json); each names the evaluation groups derived from
 *                  its searches (`groups`) and holds `[round, cell, edge, op]` per pruned op
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { edgeIndex } from '../../runtime/protocol/mermaid.js';
import { pairedT } from '../../runtime/sweep/stats.js';
import { kendallTau, permutationP, shuffled } from '../rank-stats.js';

type Edge = [op: string, input: number];
interface Evaluation { readonly group: string; readonly seed: number; readonly accuracy: number; readonly genotype?: { normal: Edge[]; reduce: Edge[] } }
interface PruningOrder {
  /** Evaluation groups whose cells were derived from these searches: label → group names. */
  readonly groups: Record<string, string[]>;
  readonly searches: Record<string, [round: number, cell: 'normal' | 'reduce', edge: number, op: string][]>;
}

const RECORD = 'bench/quality/results-sweep/cells-6cells';
const { values, positionals } = parseArgs({ allowPositionals: true, options: { evaluations: { type: 'string', default: `${RECORD}/evaluations.json` } } });
const evaluations = (JSON.parse(readFileSync(values.evaluations as string, 'utf8')) as { evaluations: Evaluation[] }).evaluations;
const orders = (positionals.length ? positionals : [`${RECORD}/pruning-order.json`]).map((f) => [f, JSON.parse(readFileSync(f, 'utf8')) as PruningOrder] as const);
const PERMUTATIONS = 20_000;

const reference = new Map(evaluations.filter((e) => e.group === 'C').map((e) => [e.seed, e.accuracy]));
const count = (cell: Edge[], op: string) => cell.filter(([o]) => o === op).length;
const cellsOf = (groups: readonly string[]) => evaluations.filter((e) => groups.includes(e.group) && e.genotype && reference.has(e.seed));

/** Kendall τ-b of a normal-cell op count against accuracy − the seed's DARTS_V2, with a two-sided permutation p. */
function convsAgainstAccuracy(label: string, groups: readonly string[]): void {
  const cells = cellsOf(groups);
  if (cells.length < 3) return;
  const gap = cells.map((e) => e.accuracy - reference.get(e.seed)!);
  const parts = ['conv_3x3', 'conv_1x1'].map((op) => {
    const n = cells.map((e) => count(e.genotype!.normal, op));
    const tau = kendallTau(n, gap);
    const p = permutationP(Math.abs(tau), (rng) => Math.abs(kendallTau(shuffled(n, rng), gap)), PERMUTATIONS);
    const mean = n.reduce((a, x) => a + x, 0) / n.length;
    return `${op} (mean ${mean.toFixed(2)} of 8) τ ${tau >= 0 ? '+' : '−'}${Math.abs(tau).toFixed(2)}, p = ${p.toFixed(3)}`;
  });
  console.log(`  ${label}, ${cells.length} cells: ${parts.join('; ')}`);
}

console.log('Normal-cell convs against accuracy − the same seed\'s DARTS_V2 (Kendall τ-b, two-sided permutation p):');
for (const [, order] of orders) for (const [label, groups] of Object.entries(order.groups)) convsAgainstAccuracy(label, groups);
convsAgainstAccuracy('random cells (R)', ['R']);

/** Per search of each order: on how many edges pruning removed conv_3x3 while conv_1x1 was alive. */
const conv3x3First: Map<string, number>[] = [];
for (const [file, order] of orders) {
  // Replay the pruning: on an edge where both convs were alive, which one went first.
  const first = { conv_3x3: new Map<number, number>(), conv_1x1: new Map<number, number>() };
  const alive = new Map<string, Set<string>>();
  const perSearch = new Map<string, number>();
  for (const [seed, events] of Object.entries(order.searches)) {
    perSearch.set(seed, 0);
    for (const [round, cell, edge, op] of events) {
      const key = `${seed}/${cell}/${edge}`;
      const ops = alive.get(key) ?? new Set(['conv_3x3', 'conv_1x1']);
      alive.set(key, ops);
      if ((op === 'conv_3x3' || op === 'conv_1x1') && ops.has('conv_3x3') && ops.has('conv_1x1')) {
        first[op].set(round, (first[op].get(round) ?? 0) + 1);
        if (op === 'conv_3x3') perSearch.set(seed, perSearch.get(seed)! + 1);
      }
      ops.delete(op);
    }
  }
  conv3x3First.push(perSearch);
  const total = (m: Map<number, number>) => [...m.values()].reduce((a, x) => a + x, 0);
  const rounds = [...new Set([...first.conv_3x3.keys(), ...first.conv_1x1.keys()])].sort((a, b) => a - b);
  console.log(`\n${file}, ${Object.keys(order.searches).length} searches: of the two convs on one edge, pruning removed first`);
  console.log(`  conv_1x1 ${total(first.conv_1x1)} times, conv_3x3 ${total(first.conv_3x3)} times; by round (1x1 / 3x3): ${rounds.map((r) => `${r}: ${first.conv_1x1.get(r) ?? 0} / ${first.conv_3x3.get(r) ?? 0}`).join(', ')}`);
  for (const [label, groups] of Object.entries(order.groups)) {
    let kept1x1 = 0, with3x3 = 0;
    for (const e of evaluations.filter((x) => groups.includes(x.group) && x.genotype && order.searches[String(x.seed)])) {
      for (const cell of ['normal', 'reduce'] as const) {
        e.genotype![cell].forEach(([op, input], i) => {
          if (op !== 'conv_1x1') return;
          kept1x1++;
          // An edge that pruning never touched kept both convs.
          if (alive.get(`${e.seed}/${cell}/${edgeIndex(Math.floor(i / 2), input)}`)?.has('conv_3x3') ?? true) with3x3++;
        });
      }
    }
    console.log(`  ${label}: ${kept1x1} derived conv_1x1 edges, ${with3x3} of them with conv_3x3 still alive at the end`);
  }
}

// Each later order against the first, paired by the seeds both searched.
for (let i = 1; i < orders.length; i++) {
  const [base, other] = [conv3x3First[0], conv3x3First[i]];
  const seeds = [...other.keys()].filter((s) => base.has(s));
  if (seeds.length < 2) continue;
  const t = pairedT(seeds.map((s) => other.get(s)!), seeds.map((s) => base.get(s)!));
  const fewer = seeds.filter((s) => other.get(s)! < base.get(s)!).length;
  const sum = (m: Map<string, number>) => seeds.reduce((a, s) => a + m.get(s)!, 0);
  console.log(`\nconv_3x3 removed first, ${orders[i][0]} against ${orders[0][0]} on seeds ${seeds.join(', ')}: ${sum(other)} against ${sum(base)} edges, fewer in ${fewer} of ${seeds.length} searches, paired p = ${t.p.toPrecision(2)}`);
}
