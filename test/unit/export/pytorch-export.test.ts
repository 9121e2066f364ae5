// The PyTorch export: Python literals and identifiers from names a user writes, hostile op names
// that must neither break the file nor run, and the exported network's size equal to the runtime's
// for every example space and every op kind (user-defined ops included), with the runtime's
// weights loading strictly (every name and shape) into it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSearchSpace } from '../../../runtime/dsl/index.js';
import type { SearchSpace } from '../../../runtime/dsl/space.js';
import { exportPytorch, pyIdentifier, pyString } from '../../../runtime/export/pytorch.js';
import { exportShapeOf } from '../../../runtime/export/shape.js';
import { decodeSafetensors, encodeSafetensors, runtimeTensors } from '../../../runtime/export/weights.js';
import type { Genotype } from '../../../runtime/protocol/genotype.js';
import { DiscreteNetwork } from '../../../runtime/supernet/discrete.js';
import { findPython, findTorchPython, needs, torchCheck } from './python.js';

const dir = mkdtempSync(join(tmpdir(), 'bnas-export-'));

/** Genotypes that together put every op of the space on an edge of both cell kinds. */
export function genotypesCovering(space: SearchSpace): Genotype[] {
  const names = space.ops.map((o) => o.name);
  const nodes = space.supernet.nodes;
  const out: Genotype[] = [];
  for (let start = 0; start < names.length; start += 2 * nodes) {
    const cell = (shift: number) =>
      Array.from({ length: 2 * nodes }, (_, i) => [names[(start + i + shift) % names.length], i % 2 === 0 ? Math.floor(i / 2) : Math.floor(i / 2) + 1] as const);
    const concat = Array.from({ length: nodes }, (_, i) => i + 2);
    out.push({ normal: cell(0), normal_concat: concat, reduce: cell(1), reduce_concat: concat });
  }
  return out;
}

test('pyString: JSON-style escapes, ASCII only, round-trips through JSON.parse', () => {
  const hostile = 'a"b\\c\nd\re\tf\u2028g\u0000h😀i\'j';
  const lit = pyString(hostile);
  assert.match(lit, /^"[\x20-\x7e]*"$/, 'one printable ASCII line');
  // Apart from \U (astral characters), the escapes are JSON's.
  assert.equal(JSON.parse(lit.replace(/\\U([0-9a-f]{8})/g, (_, h: string) => JSON.stringify(String.fromCodePoint(parseInt(h, 16))).slice(1, -1))), hostile);
  assert.equal(pyString('plain_name'), '"plain_name"');
});

test('pyIdentifier: letters, digits and underscores after a prefix, unique', () => {
  const taken = new Set<string>();
  const a = pyIdentifier("x'); __import__('os').system('id') #", 'op_', taken);
  const b = pyIdentifier("x'); __import__('os').system('id') #", 'op_', taken);
  const c = pyIdentifier('ünï cödé', 'op_', taken);
  for (const id of [a, b, c]) assert.match(id, /^op_[A-Za-z0-9_]+$/);
  assert.notEqual(a, b);
  assert.equal(pyIdentifier('sep_conv_3x3', 'op_', taken), 'op_sep_conv_3x3');
});

const HOSTILE = [
  'evil"); __import__("os").system("touch PWNED")  # ',
  "x'''\n__import__('os').system('touch PWNED')\n'''",
  '\\"\n"""\nimport os; os.system("touch PWNED")',
  'ünïcödé_op_😀\u2028\u0000',
  '__import__',
];

function hostileSpace(): { space: SearchSpace; genotype: Genotype } {
  const { space, diagnostics } = loadSearchSpace(readFileSync('examples/custom-ops.bnas', 'utf8'));
  assert.ok(space, JSON.stringify(diagnostics));
  // The language only lets identifiers through; a space or genotype file edited by hand need not.
  const custom = space.ops.filter((o) => !o.builtin);
  const ops = [...space.ops.filter((o) => o.builtin), ...HOSTILE.map((name, i) => ({ ...custom[i % custom.length], name }))];
  const s: SearchSpace = { ...space, name: 'name "with" quotes\nand __import__("os")', ops };
  // Every edge of both cells on a hostile op.
  const cell = HOSTILE.concat(HOSTILE[0]).map((name, i) => [name, i % 2 === 0 ? i / 2 : (i - 1) / 2 + 1] as const);
  return { space: s, genotype: { normal: cell, normal_concat: [2, 3, 4], reduce: cell, reduce_concat: [2, 3, 4] } };
}

test('hostile op and space names: the file compiles, names stay data, nothing runs', async (t) => {
  const python = findPython();
  if (!needs(t, python, 'python3')) return;
  const { space, genotype } = hostileSpace();
  const work = mkdtempSync(join(dir, 'hostile-'));
  const file = join(work, 'model.py');
  writeFileSync(file, exportPytorch(space, genotype, await exportShapeOf(space)));
  const text = readFileSync(file, 'utf8');
  assert.ok([...text].every((ch) => ch === '\n' || (ch >= ' ' && ch <= '~')), 'the file is printable ASCII');
  for (const h of HOSTILE) {
    assert.ok(text.includes(`${pyString(h)}: op_`), `${JSON.stringify(h)} is an OPS key`);
    if (/[^A-Za-z0-9_]/.test(h)) assert.ok(!text.includes(h), `${JSON.stringify(h)} appears raw`);
  }
  const compiled = spawnSync(python, ['-m', 'py_compile', file], { encoding: 'utf8', cwd: work });
  assert.equal(compiled.status, 0, compiled.stderr);
  const torch = findTorchPython();
  if (!needs(t, torch, 'PyTorch')) return;
  const r = spawnSync(torch, [join(process.cwd(), 'test/unit/export/torch_check.py'), 'count', file], { encoding: 'utf8', cwd: work });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ops: string[]; space: string };
  assert.deepEqual(out.ops, space.ops.map((o) => o.name), 'the OPS keys are the names, exactly');
  assert.equal(out.space, space.name);
  assert.ok(!existsSync(join(work, 'PWNED')), 'no name was executed');
});

test('parameter count: the exported network has the runtime network\'s, for every example space and op', async (t) => {
  const python = findTorchPython();
  if (!needs(t, python, 'PyTorch')) return;
  const files = readdirSync('examples').filter((f) => f.endsWith('.bnas'));
  assert.ok(files.length >= 5, files.join());
  const kinds = new Set<string>();
  for (const f of files) {
    const { space } = loadSearchSpace(readFileSync(join('examples', f), 'utf8'));
    assert.ok(space, f);
    const shape = await exportShapeOf(space);
    for (const [i, genotype] of genotypesCovering(space).entries()) {
      const model = join(dir, `${f}-${i}.py`);
      const weights = join(dir, `${f}-${i}.safetensors`);
      writeFileSync(model, exportPytorch(space, genotype, shape));
      const [c, h, w] = shape.input;
      const net: DiscreteNetwork = new DiscreteNetwork(space, genotype, { input: [h, w, c], numClasses: shape.numClasses, seed: 1 });
      try {
        writeFileSync(weights, encodeSafetensors(await runtimeTensors(net.weights)));
        const out = torchCheck(python, 'count', model, weights);
        assert.equal(out.parameters, net.parameterCount(), `${f} genotype ${i}`);
      } finally {
        net.dispose();
      }
      for (const [op] of [...genotype.normal, ...genotype.reduce]) kinds.add(space.ops.find((o) => o.name === op)?.kind as string);
    }
  }
  assert.deepEqual([...kinds].sort(), ['avg_pool', 'conv', 'dil_conv', 'max_pool', 'sep_conv', 'skip', 'zero']);
});

test('safetensors: encode then decode gives the same tensors and metadata', () => {
  const tensors = [
    { name: 'a.w', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -0]) },
    { name: 'empty', shape: [0], data: new Float32Array(0) },
  ];
  const bytes = encodeSafetensors(tensors, { genotype: '{"x": 1}' });
  assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0, 'data starts 8-byte aligned');
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { genotype: '{"x": 1}' });
  assert.deepEqual(back.tensors.map((x) => [x.name, x.shape, [...x.data]]), tensors.map((x) => [x.name, x.shape, [...x.data]]));
});
