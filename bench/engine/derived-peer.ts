/**
 * Derived-network training, this runtime against PyTorch at equal threads: the PyTorch peer is
 * exactly the network `bnas export --format pytorch` writes for the same space, genotype and input
 * (runtime/export/pytorch.ts), trained with its file's own step (bench/peers/pytorch/derived_step.py,
 * `torch.set_num_threads(T)`, one inter-op thread); this runtime runs `bnas evaluate`'s step
 * (derived-step.ts) on each backend. Every contender is its own process; the contenders take
 * turns in rotating order, round after round, and each round gives PyTorch ÷ this runtime (images/s)
 * at each thread count, against the runtime's fastest backend there.
 *
 * Usage: node --require ./scripts/polyfills.cjs --import tsx bench/engine/derived-peer.ts
 *   [--space bench/engine/space-derived-28.bnas] [--set key=value]... [--batch 64] [--channels 1] [--classes 10]
 *   [--genotype bench/search/reference-cells/darts-v2.json] [--threads 1,2] [--backends wasm,node]
 *   [--rounds 3] [--steps 3] [--warmup 1] [--python PATH] [--label NAME] [--out bench/engine/results]
 * PyTorch: --python, else BNAS_TORCH_PYTHON, else .cache/torch-venv/bin/python (scripts/torch/setup.sh).
 * Writes results/derived-peer[-LABEL].{json,md}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readGenotype } from '../../runtime/cli/commands/export.js';
import { exportPytorch } from '../../runtime/export/pytorch.js';
import { adaptGenotype } from '../../runtime/search/evaluate.js';
import { binarizeFor } from '../../runtime/supernet/supernet.js';
import { currentCommand, loadAverage, provenance, quote, writeRecord } from '../record.js';
import { loadBenchSpace, spaceOptions } from '../space-args.js';
import { contenders, roundOrder, summarize, type Sample, type StepRecord } from './derived-peer-plan.js';

const { values } = parseArgs({
  options: {
    ...spaceOptions('bench/engine/space-derived-28.bnas'),
    batch: { type: 'string', default: '64' },
    channels: { type: 'string', default: '1' },
    classes: { type: 'string', default: '10' },
    genotype: { type: 'string', default: 'bench/search/reference-cells/darts-v2.json' },
    threads: { type: 'string', default: '1,2' },
    backends: { type: 'string', default: 'wasm,node' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    python: { type: 'string' },
    label: { type: 'string' },
    out: { type: 'string', default: 'bench/engine/results' },
  },
});
const python = [values.python, process.env.BNAS_TORCH_PYTHON, resolve('.cache/torch-venv/bin/python')].find((p): p is string => !!p && existsSync(p));
if (!python) throw new Error('no PyTorch: pass --python, set BNAS_TORCH_PYTHON or run scripts/torch/setup.sh');
const sets = [...(values.set ?? []), `train.batch=${values.batch as string}`];
const { space, label: spaceLabel } = loadBenchSpace(values.space as string, sets);
const channels = Number(values.channels), classes = Number(values.classes);
const size = space.data.image ?? 28;
const loadBefore = loadAverage();

// The peer's network: the export of the same space, genotype (adapted as bnas evaluate adapts it) and input.
const adapted = adaptGenotype(readGenotype(values.genotype as string), space);
const model = join(mkdtempSync(join(tmpdir(), 'bnas-derived-peer-')), 'model.py');
writeFileSync(model, exportPytorch(space, adapted.genotype, { input: [channels, size, size], numClasses: classes }));

const list = contenders({
  node: process.execPath, python, space: values.space as string, sets, genotype: values.genotype as string, model, channels, classes,
  threads: (values.threads as string).split(',').map(Number), backends: (values.backends as string).split(','),
  steps: Number(values.steps), warmup: Number(values.warmup),
});
const rounds = Number(values.rounds);
const runs = new Map<string, (Sample | undefined)[]>(list.map((c) => [c.name, []]));
const records = new Map<string, StepRecord[]>(list.map((c) => [c.name, []]));
const loads: string[] = [];
for (let r = 0; r < rounds; r++) {
  for (const c of roundOrder(list, r)) {
    const run = spawnSync(c.cmd, c.args, { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...c.env } });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    let rec: StepRecord | undefined;
    try {
      rec = JSON.parse(line) as StepRecord;
    } catch {
      // A contender that cannot run is reported and counts as missing in this round.
      console.error(`round ${r + 1}: ${c.name} failed (${run.status}): ${(run.stderr || line).slice(-600)}`);
    }
    (runs.get(c.name) as (Sample | undefined)[])[r] = rec ? { imagesPerSecond: rec.images_per_second, cpuMs: rec.cpu_ms } : undefined;
    if (rec) (records.get(c.name) as StepRecord[]).push(rec);
    if (rec) console.error(`round ${r + 1}: ${c.name} ${rec.images_per_second.toFixed(1)} images/s (${rec.median_ms} ms a step, CPU ${rec.cpu_ms} ms)`);
  }
  loads.push(loadAverage());
  // After every round, so a run stopped early keeps the rounds it finished.
  report(r + 1);
}
/** Writes the record and its table of the rounds done so far. */
function report(done: number): void {
  const summary = summarize(list, runs);

  // The same network on both sides: parameter counts, and the shape the export wrote.
  const params = Object.fromEntries(list.map((c) => [c.name, records.get(c.name)?.[0]?.parameters]));
  const counts = new Set(Object.values(params).filter((p) => p !== undefined));
  const torchRec = list.filter((c) => c.side === 'pytorch').map((c) => records.get(c.name)?.[0]).find(Boolean);
  const { cells, reductions, channels: c0 } = space.supernet;
  const shapeOk = counts.size === 1 && !!torchRec && JSON.stringify(torchRec.supernet) === JSON.stringify({ cells, reductions, channels: c0, stem_multiplier: space.supernet.stemMultiplier })
    && JSON.stringify(torchRec.input) === JSON.stringify([channels, size, size]) && torchRec.classes === classes && torchRec.batch === space.train.batch;

  const name = `derived-peer${values.label ? `-${values.label as string}` : ''}`;
  const out = values.out as string;
  mkdirSync(out, { recursive: true });
  const torchVersion = torchRec?.torch as string | undefined;
  const network = {
    space: spaceLabel, genotype: values.genotype, adaptedGenotype: adapted.genotype, substitutions: adapted.substitutions,
    cells, reductions, channels: c0, input: [size, size, channels], classes, batch: space.train.batch,
    binarize: Object.fromEntries((['ops', 'stem', 'preprocess', 'classifier'] as const).map((p) => [p, binarizeFor(space, p)])),
    optimizer: space.optimizers.weights, parameters: params, sameNetwork: shapeOk,
  };
  writeRecord(join(out, `${name}.json`), {
    what: 'derived-network training images/s, this runtime against PyTorch on the exported network',
    torch: torchVersion, python, loadBefore, loadAfterRound: loads, rounds, roundsDone: done, steps: Number(values.steps), warmup: Number(values.warmup),
    network, contenders: list.map((c) => ({ name: c.name, side: c.side, backend: c.backend, threads: c.threads, command: [...Object.entries(c.env).map(([k, v]) => `${k}=${v}`), c.cmd, ...c.args].map(quote).join(' ') })),
    runs: Object.fromEntries(runs), records: Object.fromEntries(records), summary,
  });
  const p = provenance(currentCommand());
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const md = [
    `# Derived-network training: this runtime against PyTorch at equal threads (${p.date.slice(0, 16)}Z)`,
    '',
    `Command: \`${p.command}\``,
    '',
    `Commit ${p.commit.slice(0, 10)}${p.dirty ? ' (with uncommitted changes)' : ''}; Node ${p.versions.node}; TensorFlow.js ${p.versions.tfjs} (wasm ${p.versions.tfjsWasm}, node ${p.versions.tfjsNode}); PyTorch ${torchVersion ?? '?'}; ${p.machine.cpu}, ${p.machine.cores} CPU(s); load average (1, 5, 15 min) ${loadBefore} before, ${loads.join(' / ')} after each round.`,
    '',
    `Network: \`${values.genotype as string}\` (adapted to the space${adapted.substitutions.length ? `: ${adapted.substitutions.map((s) => `${s.cell} ${s.from} → ${s.to}`).join(', ')}` : ', no substitutions'}) in \`${spaceLabel}\`: ${cells} cells (reductions at ${reductions.join(', ')}), C = ${c0}, ${size}×${size}×${channels}, ${classes} classes, batch ${space.train.batch}; ops binary (${binarizeFor(space, 'ops').weights} weights, ${binarizeFor(space, 'ops').activations} activations), keep_real = [${space.binarize.keepReal.join(', ')}]; SGD momentum ${space.optimizers.weights.momentum}, weight decay ${space.optimizers.weights.weightDecay}${space.optimizers.weights.gradClip ? `, clip ${space.optimizers.weights.gradClip}` : ''}. The PyTorch side trains the file \`bnas export --format pytorch\` writes for it; parameters ${[...counts].join(' / ')} (${shapeOk ? 'the same network on both sides' : '**the sides differ**'}).`,
    '',
    `Each contender is its own process (${values.warmup as string} warm-up step untimed, then the median of ${values.steps as string} steps: forward, backward, optimizer step, loss read back); ${done} of ${rounds} rounds in rotating order. Ratio = PyTorch images/s ÷ this runtime's fastest backend at the thread count (≤ 1: this runtime at least as fast). Only ratios of one run compare; the machine is shared.`,
    '',
    '| threads | this runtime (images/s, median) | PyTorch | best backend | PyTorch ÷ this, per round | median | CPU ms: this ÷ PyTorch, per round (median) | target (≤ 1) |',
    '|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => {
      const mine = list.filter((c) => c.threads === s.threads && c.side === 'runtime').map((c) => `${c.backend} ${f(s.imagesPerSecond[c.name])}`).join(', ');
      const peer = list.find((c) => c.threads === s.threads && c.side === 'pytorch');
      return `| ${s.threads} | ${mine} | ${peer ? f(s.imagesPerSecond[peer.name]) : '–'} | ${s.best.replace(/^runtime /, '')} | ${s.ratioPerRound.map((x) => f(x, 2)).join(' ')} | ${f(s.ratio, 2)} | ${s.cpuRatioPerRound.map((x) => f(x, 2)).join(' ')} (${f(s.cpuRatio, 2)}) | ${s.met ? 'met' : 'not met'} |`;
    }),
    '',
    '| contender | images/s per round | ms a step (median) | CPU ms a step |',
    '|---|---|---|---|',
    ...list.map((c) => {
      const recs = records.get(c.name) ?? [];
      return `| ${c.name} | ${(runs.get(c.name) ?? []).map((x) => f(x?.imagesPerSecond ?? NaN)).join(' ')} | ${recs.map((r) => r.median_ms).join(' ')} | ${recs.map((r) => r.cpu_ms).join(' ')} |`;
    }),
    '',
  ];
  writeFileSync(join(out, `${name}.md`), md.join('\n'));
  console.log(md.join('\n'));
}
