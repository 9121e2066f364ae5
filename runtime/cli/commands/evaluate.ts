/**
 * `bnas evaluate (DIR|GENOTYPE.json) --data FILE.bnas [--epochs N] [--random N] [--json]
 * [--backend B] [--seed N] [--threads auto|N]` (docs/design.md, "The command line"; the protocol: docs/method.md,
 * "Evaluation from scratch"): trains the genotype from scratch as a discrete
 * binarized network with the cells, channels, data and optimizer of FILE.bnas and prints test
 * accuracy; `--random N` also trains N random cells of the same space under the same protocol,
 * drawn under the derivation caps the cell was derived under (`--random-rule caps`, the default:
 * the run folder's `space.bnas`, or FILE.bnas for a genotype file) or uniformly (`uniform`).
 * `--json` prints `{"accuracy", "random", "epochs", "seconds", "parameters"}` (accuracies as
 * fractions; `parameters`: the genotype's network's trainable weights), with `random_rule`,
 * `random_caps` and the cells themselves (`random_cells`) where random cells were trained.
 * `--save DIR` writes the trained genotype's network to DIR: `weights.safetensors` and the
 * `model.py` that loads them (runtime/export/weights.ts).
 * Additions beyond the contract: `--float` also trains the same genotype with real-valued weights
 * and activations (the binary-vs-float gap; JSON key `float`); `--adapt` first maps ops the space
 * lacks to its nearest ops and drops nodes beyond the space's `nodes` (for reference cells from
 * elsewhere; JSON key `substitutions`); `--threads auto|N` trains on N threads (data-parallel
 * workers, docs/design.md, "Threads"; JSON key `threads` where more than 1); `--repeats N` trains
 * the derived cells N times, each with its own initialisation and batch order (JSON: `accuracies`,
 * `accuracy` their mean), so their seed spread is known and Welch's test against the random cells
 * can be made (runtime/protocol/evaluation-summary.ts). `--journal DIR` keeps every finished training
 * in a journal there, so the same command after a cancel, kill or crash trains only the rest
 * (runtime/search/evaluation-journal.ts).
 * Exit 0, 1 on errors (invalid space, missing data, bad genotype), 2 on usage errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from '../../engine/index.js';
import { userProbeCache, userTrialMemory } from '../../engine/backend-cache.js';
import { loadDataset } from '../../data/index.js';
import { loadSearchSpace } from '../../dsl/index.js';
import type { SearchSpace } from '../../dsl/space.js';
import type { Genotype } from '../../protocol/genotype.js';
import type { DiscreteNetwork } from '../../supernet/discrete.js';
import { capsOf, randomGenotype, type CellCaps } from '../../supernet/random-cells.js';
import { DEFAULT_RANDOM_RULE, type RandomRule } from '../../protocol/random-rule.js';
import { adaptGenotype, realValuedSpace, trainGenotype, type OpSubstitution } from '../../search/evaluate.js';
import { microBatchOf } from '../../search/shards.js';
import { evaluateStepProbe, evaluateStepSampler } from '../../search/backend-probe.js';
import { Rng } from '../../random/rng.js';
import { backendChoiceOf } from '../../search/replica-protocol.js';
import { formatGenotypeDarts } from '../../protocol/genotype-format.js';
import { intOption, parseArgs, randomRuleOption, streams, THREADS_HELP, threadsOption, UsageError, type CommandIo } from '../command-io.js';
import { resolveThreads } from '../../engine/cores.js';
import type { ThreadsChoice } from '../../protocol/threads.js';
import { readGenotype } from './export.js';
import { RUN_FILES } from '../../protocol/run-folder.js';
import { saveTrainedNetwork } from '../../export/weights.js';
import { stat } from '../../sweep/stats.js';
import { EvaluationJournal } from '../../search/evaluation-journal.js';
import { pValue, randomComparison } from '../../protocol/evaluation-summary.js';

export const USAGE =
  'usage: bnas evaluate (DIR|GENOTYPE.json) --data FILE.bnas [--epochs N] [--random N [--random-rule caps|uniform]] [--repeats N] [--float] [--adapt] [--json] [--backend auto|node|webgpu|wasm|cpu] [--seed N] [--save DIR] [--journal DIR] [--threads auto|N]\n' + THREADS_HELP;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io?: CommandIo): Promise<number> {
  const { out, err } = streams(io);
  let args;
  let epochsOpt: number | undefined, randomN: number, repeats: number, randomRule: RandomRule, seedOpt: number | undefined, threadsOpt: ThreadsChoice;
  try {
    args = parseArgs(argv, ['json', 'help', 'float', 'adapt'], ['data', 'epochs', 'random', 'random-rule', 'repeats', 'backend', 'seed', 'save', 'threads', 'journal']);
    if (args.flags.has('help')) {
      out.write(USAGE + '\n');
      return 0;
    }
    if (args.positional.length !== 1) throw new UsageError('give one run folder or genotype JSON file');
    if (!args.values.get('data')) throw new UsageError('--data FILE.bnas is required (it gives cells, channels, data and optimizer)');
    const b = args.values.get('backend') ?? 'auto';
    if (!BACKEND_CHOICES.includes(b as BackendChoice)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${b}'`);
    epochsOpt = intOption(args, 'epochs', 1);
    randomN = intOption(args, 'random', 0) ?? 0;
    randomRule = randomRuleOption(args, randomN) ?? DEFAULT_RANDOM_RULE;
    repeats = intOption(args, 'repeats', 1) ?? 1;
    if (repeats > MAX_REPEATS) throw new UsageError(`--repeats must be at most ${MAX_REPEATS}, got ${repeats}`);
    seedOpt = intOption(args, 'seed', -(2 ** 31));
    threadsOpt = threadsOption(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`bnas evaluate: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  const json = args.flags.has('json');
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let genotype = readGenotype(resolve(args.positional[0]));
    const file = resolve(args.values.get('data') as string);
    const text = readFileSync(file, 'utf8');
    const { space, diagnostics } = loadSearchSpace(text, { filePath: file, checkFiles: true });
    if (!space) {
      for (const d of diagnostics.filter((x) => x.severity === 'error')) {
        err.write(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: error ${d.code}: ${d.message}\n`);
      }
      err.write(`bnas evaluate: ${file} has errors\n`);
      return 1;
    }
    let substitutions: readonly OpSubstitution[] | undefined;
    if (args.flags.has('adapt')) {
      const a = adaptGenotype(genotype, space);
      genotype = a.genotype;
      substitutions = a.substitutions;
      if (!json) {
        for (const x of a.substitutions) err.write(`adapted ${x.cell} cell: ${x.from} -> ${x.to}\n`);
        if (a.droppedNodes) err.write(`adapted: dropped ${a.droppedNodes} node(s) beyond the space's nodes = ${space.supernet.nodes}\n`);
      }
    }
    const seed = seedOpt ?? space.train.seed;
    const epochs = epochsOpt ?? space.train.epochs;
    const dataset = await loadDataset(space.data, { seed, signal: controller.signal });
    const probe = evaluateStepProbe(space, genotype, dataset);
    const backend = await initBackend((args.values.get('backend') ?? 'auto') as BackendChoice, {}, probe, userProbeCache());
    const threads = await resolveThreads(threadsOpt, space.train.batch, backend.name, evaluateStepSampler(space, genotype, dataset), undefined, userTrialMemory(probe.key));
    const micro = microBatchOf(space, dataset, backend.name, threads.threads);
    const microText = micro.count > 1 ? `, ${micro.count} micro-batches of ≤ ${micro.size} images a step (${micro.reason})` : '';
    if (!json) err.write(`evaluating on ${backend.name} (${backend.reason}), ${threads.threads} thread(s) (${threads.reason})${microText}: ${dataset.description}, ${epochs} epochs per network\n`);
    const t0 = performance.now();
    const saveDir = args.values.get('save');
    const save = saveDir === undefined ? undefined : async (net: DiscreteNetwork) => {
      const shape = { input: [dataset.channels, dataset.height, dataset.width] as const, numClasses: dataset.numClasses };
      const written = await saveTrainedNetwork(resolve(saveDir), space, genotype, net.weights, shape);
      if (!json) err.write(`saved the trained network: ${written.weights}, ${written.model}\n`);
    };
    const caps = randomRule === 'caps' ? capsOf(derivedIn(args.positional[0], space)) : undefined;
    const trainings = repeats * (args.flags.has('float') ? 2 : 1) + randomN;
    const journalDir = args.values.get('journal');
    const journal = journalDir === undefined ? undefined : EvaluationJournal.open(resolve(journalDir), {
      genotype, protocol: text, epochs, seed, random: randomN, rule: randomRule, caps: caps ?? null, repeats,
      float: args.flags.has('float'), threads: threads.threads, backend: backend.name,
    });
    // Also with --json: the journal lines tell a parent how much of the evaluation is done.
    const journalLine = () => journal && err.write(`journal: ${journal.size} of ${trainings} trainings done (${journal.file})\n`);
    if (journal?.size) journalLine();
    let journalSeconds = 0;
    const train = async (label: string, g: typeof genotype, netSeed: number, s = space, onTrained?: (net: DiscreteNetwork) => Promise<void>) => {
      // A training whose network is to be saved is trained again: the journal keeps no weights.
      const kept = onTrained ? undefined : journal?.get(label);
      if (kept) {
        journalSeconds += kept.seconds;
        if (!json) err.write(`${label}: test accuracy ${pct(kept.accuracy)} (from the journal)\n`);
        return kept;
      }
      const r = await trainGenotype(s, g, dataset, {
        epochs, seed: netSeed, signal: controller.signal, onTrained, threads: threads.threads, backend: backendChoiceOf(backend.name),
        // Also with --json: the epoch lines are the progress a parent shows (the extension's Evaluate Derived Cell).
        onEpoch: (e, loss, acc) => err.write(`  ${label} epoch ${e}/${epochs}: loss ${loss.toFixed(3)}, train acc ${pct(acc)}\n`),
      });
      if (!json) err.write(`${label}: test accuracy ${pct(r.accuracy)} (${r.parameters} weights, ${r.seconds.toFixed(1)} s)\n`);
      journal?.record(label, { accuracy: r.accuracy, parameters: r.parameters, seconds: r.seconds });
      journalLine();
      return r;
    };
    const accuracies: number[] = [];
    const floats: number[] = [];
    let parameters = 0;
    for (let i = 0; i < repeats; i++) {
      const label = repeats > 1 ? `genotype ${i + 1}` : 'genotype';
      const r = await train(label, genotype, repeatSeed(seed, i), space, i === 0 ? save : undefined);
      accuracies.push(r.accuracy);
      parameters = r.parameters;
      // Same initialisation seed as the binary network, so the gap is the precision's alone.
      if (args.flags.has('float')) floats.push((await train(`${label} (float)`, genotype, repeatSeed(seed, i), realValuedSpace(space))).accuracy);
    }
    const accuracy = stat(accuracies).mean;
    const float = floats.length ? stat(floats).mean : undefined;
    const rng = Rng.stream(seed, 'random-cells');
    if (randomN > 0 && !json) err.write(`random cells: ${randomRuleText(caps)}\n`);
    const random: number[] = [];
    const cells: Genotype[] = [];
    for (let i = 0; i < randomN; i++) {
      const g = randomGenotype(space, rng, caps);
      cells.push(g);
      if (!json) err.write(`random cell ${i + 1}: ${formatGenotypeDarts(g)}\n`);
      random.push((await train(`random ${i + 1}`, g, Rng.stream(seed, 'eval').seed())).accuracy);
    }
    const seconds = (performance.now() - t0) / 1000 + journalSeconds;
    const rule = randomN > 0 && { random_rule: randomRule, random_cells: cells, ...(caps && { random_caps: { max_param_free: caps.maxParamFree ?? null, max_inner_edges: caps.maxInnerEdges ?? null } }) };
    const report = { accuracy, ...(repeats > 1 && { accuracies }), random, epochs, seconds, parameters, ...rule, ...(threads.threads > 1 && { threads: threads.threads }), ...(float !== undefined && { float }), ...(substitutions && { substitutions }) };
    if (json) out.write(JSON.stringify(report) + '\n');
    else {
      out.write(`accuracy ${pct(accuracy)}${repeats > 1 ? ` ± ${pct(stat(accuracies).std)} over ${repeats} trainings (${accuracies.map(pct).join(', ')})` : ''}\n`);
      if (float !== undefined) out.write(`float (real weights and activations) ${pct(float)}, binary-vs-float gap ${(100 * (float - accuracy)).toFixed(2)} points\n`);
      if (random.length) {
        const { mean, std: sd } = stat(random);
        out.write(`random cells (${randomRule === 'caps' ? 'under the derivation caps' : 'uniform'}): ${random.map(pct).join(', ')} (mean ${pct(mean)} ± ${pct(sd)})\n`);
        const w = randomComparison(report)?.welch;
        if (w) out.write(`derived cells against the random cells: ${(100 * (accuracy - mean)).toFixed(2)} points, Welch t = ${w.t.toFixed(2)}, df = ${w.df.toFixed(1)}, p = ${pValue(w.p)}\n`);
      }
    }
    journal?.remove();
    return 0;
  } catch (e) {
    err.write(`bnas evaluate: ${controller.signal.aborted ? 'cancelled' : (e as Error).message}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The most trainings `--repeats` asks for: enough for a seed spread, not a sweep. */
const MAX_REPEATS = 20;

/** The initialisation and batch-order seed of the i-th training of the derived cells (the first is the one a single training uses). */
function repeatSeed(seed: number, i: number): number {
  return (i === 0 ? Rng.stream(seed, 'eval') : Rng.stream(seed, 'eval-repeat', i)).seed();
}

/**
 * The space a cell was derived in, whose derivation caps its random cells obey: a run folder's
 * `space.bnas` (the text it searched), else the evaluation's own space.
 * @throws an Error when the run folder's space has errors
 */
function derivedIn(target: string, evaluation: SearchSpace): SearchSpace {
  const file = join(resolve(target), RUN_FILES.space);
  if (!existsSync(file)) return evaluation;
  const { space } = loadSearchSpace(readFileSync(file, 'utf8'), { filePath: file });
  if (!space) throw new Error(`${file} has errors (bnas validate ${file} lists them); its derivation caps are unknown`);
  return space;
}

/** The rule of the random cells in words, for the log. */
function randomRuleText(caps: CellCaps | undefined): string {
  if (!caps) return 'drawn uniformly (--random-rule uniform)';
  const limits = [
    caps.maxParamFree !== undefined && `at most ${caps.maxParamFree} parameter-free ops`,
    caps.maxInnerEdges !== undefined && `at most ${caps.maxInnerEdges} edges from intermediate nodes`,
  ].filter(Boolean);
  return limits.length ? `drawn under the derivation caps, ${limits.join(' and ')} per cell` : 'drawn uniformly (the space sets no derivation caps)';
}
