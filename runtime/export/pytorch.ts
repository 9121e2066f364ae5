/**
 * `bnas export RUN --format pytorch`: the derived network of a genotype as one self-contained
 * Python file that needs only `torch` (training from `__main__` also uses torchvision). The file is
 * the fixed library of pytorch-library.ts, then the space's constants and op table written here.
 *
 * Names a user writes (the space's name, op names from `op` blocks, op names in a genotype file)
 * never become code: they appear only inside Python string literals written by {@link pyString},
 * and the op factories get identifiers made by {@link pyIdentifier} (letters, digits, underscores).
 */
import type { OpSpec, SearchSpace } from '../dsl/space.js';
import type { Genotype } from '../protocol/genotype.js';
import { resolveOpSpec } from '../supernet/discrete.js';
import { binarizeFor } from '../supernet/supernet.js';
import { PYTORCH_LIBRARY, PYTORCH_MAIN } from './pytorch-library.js';

/** What the exported file needs besides the space and genotype: the input it was searched on. */
export interface ExportShape {
  /** Input channels, height, width (INPUT_SHAPE). */
  readonly input: readonly [number, number, number];
  readonly numClasses: number;
}

/**
 * A Python string literal of `s`: ASCII only, with JSON-style escapes (`\"`, `\\`, `\n`, `\uXXXX`)
 * and `\UXXXXXXXX` above the BMP, so no character of `s` can end the literal or the line.
 */
export function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/**
 * A Python identifier made from `name`: `prefix` then the name's ASCII letters, digits and
 * underscores (anything else becomes `_`), at most 40 characters of the name; `taken` makes it
 * unique (a numeric suffix) and records it.
 */
export function pyIdentifier(name: string, prefix: string, taken: Set<string>): string {
  const base = prefix + name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
  taken.add(id);
  return id;
}

/** A Python literal of plain data: numbers, booleans, strings, arrays (lists), objects (dicts). */
export function pyValue(v: unknown): string {
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot export the number ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(pyValue).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyString(k)}: ${pyValue(x)}`).join(', ')}}`;
  throw new Error(`cannot export a ${typeof v}`);
}

const KINDS: ReadonlySet<string> = new Set(['conv', 'sep_conv', 'dil_conv', 'max_pool', 'avg_pool', 'skip', 'zero']);

function checkInt(n: number, what: string, min: number): number {
  if (!Number.isInteger(n) || n < min) throw new Error(`${what} must be an integer ≥ ${min}, got ${n}`);
  return n;
}

/**
 * Checks the genotype's wiring before it is written: two edges per node, inputs only from earlier
 * states, concat lists naming existing states.
 * @throws an Error naming the bad entry
 */
function checkGenotype(g: Genotype): void {
  const nodes = g.normal.length / 2;
  if (!Number.isInteger(nodes) || nodes < 1 || g.reduce.length !== g.normal.length) {
    throw new Error('the genotype needs two [op, input] pairs per node, the same number in both cells');
  }
  for (const kind of ['normal', 'reduce'] as const) {
    g[kind].forEach(([, input], i) => {
      if (checkInt(input, `${kind} edge ${i}'s input`, 0) >= 2 + Math.floor(i / 2)) fail(`${kind} edge ${i} reads state ${input}, which comes later`);
    });
    const concat = kind === 'normal' ? g.normal_concat : g.reduce_concat;
    if (!concat.length) fail(`${kind}_concat is empty`);
    for (const s of concat) if (checkInt(s, `${kind}_concat`, 0) >= nodes + 2) fail(`${kind}_concat names state ${s}, the cell has ${nodes + 2}`);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/** The op factories and the OPS table: the space's ops, then the genotype's ops the space lacks. */
function opTable(space: SearchSpace, genotype: Genotype): string {
  const specs = new Map<string, OpSpec>();
  for (const op of space.ops) specs.set(op.name, op);
  for (const [name] of [...genotype.normal, ...genotype.reduce]) if (!specs.has(name)) specs.set(name, resolveOpSpec(name, space));
  const taken = new Set<string>();
  const lines: string[] = [];
  const table: string[] = [];
  for (const [name, spec] of specs) {
    if (!KINDS.has(spec.kind)) throw new Error(`op kind ${pyString(spec.kind)} cannot be exported`);
    const id = pyIdentifier(name, 'op_', taken);
    const args = `kernel=${checkInt(spec.kernel, 'kernel', 1)}, dilation=${checkInt(spec.dilation, 'dilation', 1)}, repeat=${checkInt(spec.repeat, 'repeat', 1)}`;
    lines.push(
      `def ${id}(c, stride, b, key):`,
      `    # ${spec.builtin ? 'built-in op' : 'user-defined op (an op block of the space)'}; its name is the OPS key below`,
      `    return make_op(${pyString(spec.kind)}, c, stride, b, key, ${args})`,
      '',
      '',
    );
    table.push(`    ${pyString(name)}: ${id},`);
  }
  return [...lines, '# Op name (as the genotype writes it) -> factory(channels, stride, quantizers, runtime key prefix).', 'OPS = {', ...table, '}', ''].join('\n');
}

/**
 * The Python file of the derived network.
 * @throws an Error when the genotype is malformed or names an op that is neither in the space nor built in
 */
export function exportPytorch(space: SearchSpace, genotype: Genotype, shape: ExportShape): string {
  checkGenotype(genotype);
  const [c, h, w] = shape.input.map((n, i) => checkInt(n, ['channels', 'height', 'width'][i], 1));
  const o = space.optimizers.weights;
  const bin = (part: 'ops' | 'stem' | 'preprocess' | 'classifier') => {
    const b = binarizeFor(space, part);
    return { weights: b.weights, scale: b.scale, activations: b.activations };
  };
  const { cells, reductions, channels, stemMultiplier } = space.supernet;
  const constants = [
    `SPACE_NAME = ${pyString(space.name)}`,
    `INPUT_SHAPE = (${c}, ${h}, ${w})  # channels, height, width`,
    `NUM_CLASSES = ${checkInt(shape.numClasses, 'classes', 1)}`,
    `SUPERNET = ${pyValue({ cells: checkInt(cells, 'cells', 1), reductions: reductions.map((r) => checkInt(r, 'reduction', 0)), channels: checkInt(channels, 'channels', 1), stem_multiplier: checkInt(stemMultiplier, 'stem_multiplier', 1) })}`,
    '# Quantizers of each part of the network; parts listed in keep_real are real-valued (REAL).',
    'BINARIZE = {',
    ...(['ops', 'stem', 'preprocess', 'classifier'] as const).map((p) => `    ${pyString(p)}: ${pyValue(bin(p))},`),
    '}',
    '# A real identity shortcut around every stride-1 conv op: the op computes x + op(x).',
    `SHORTCUT = ${space.binarize.shortcut ? 'True' : 'False'}`,
    '# The derived cells: [op, input] per edge, two edges per node; inputs 0, 1 are the cell inputs.',
    'GENOTYPE = {',
    ...(['normal', 'reduce'] as const).flatMap((k) => [
      `    ${pyString(k)}: [${genotype[k].map(([op, input]) => `(${pyString(op)}, ${input})`).join(', ')}],`,
      `    ${pyString(`${k}_concat`)}: ${pyValue([...genotype[`${k}_concat`]])},`,
    ]),
    '}',
    `OPTIMIZER = ${pyValue({ kind: o.kind, lr: o.lr, momentum: o.momentum, weight_decay: o.weightDecay, betas: [...o.betas], grad_clip: o.gradClip ?? 0, schedule: o.schedule })}`,
    `TRAIN = ${pyValue({ epochs: space.train.epochs, batch: space.train.batch, seed: space.train.seed })}`,
    `AUGMENT = ${pyValue([...space.data.augment])}`,
  ];
  const header = [
    '"""The derived binary network of a BNAS Studio search, as a PyTorch module.',
    '',
    'Written by `bnas export RUN --format pytorch`. Needs only torch; `python THIS_FILE --help`',
    'trains it from scratch (with torchvision for the data). In your own code:',
    '',
    '    model = build_model()                      # the space\'s classes and input channels',
    '    load_weights(model, "weights.safetensors")  # from `bnas evaluate ... --save DIR`',
    '',
    'Binary layers compute in float32 with values +-1 (times the XNOR scale), as the runtime does.',
    '"""',
  ];
  return [...header, PYTORCH_LIBRARY.trimEnd(), '', '', '# ---------------------------------------------------------------- this network', '', ...constants, '', '', opTable(space, genotype), PYTORCH_MAIN.trimEnd(), ''].join('\n');
}
