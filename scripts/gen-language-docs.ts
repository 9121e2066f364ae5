/**
 * Generates `docs/language.md`, the reference of the `.bnas` language, from the one schema
 * (`runtime/dsl/schema.ts`) and the diagnostic registry (`runtime/dsl/diagnostics.ts`).
 * Usage: `npm run docs` (writes the file) or `npm run docs -- --check` (exit 1 when stale).
 * A unit test compares the committed file with `renderLanguageDocs()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIAGNOSTIC_CODES } from '../runtime/dsl/diagnostics.js';
import {
  BLOCKS,
  BUILTIN_OP_DOCS,
  LANGUAGE_VERSION,
  TOP_LEVEL_ATTRIBUTES,
  builtinOpSpec,
  describeDefault,
  describeType,
  enumValues,
  type AttributeSchema,
  type BlockSchema,
} from '../runtime/dsl/schema.js';
import { BUILTIN_OPS, DARTS_OPS } from '../runtime/dsl/space.js';

const ROOT = join(import.meta.dirname, '..');
/** Where the generated reference page is written. */
export const LANGUAGE_DOCS_PATH = join(ROOT, 'docs', 'language.md');

/** Escapes a table cell (pipes would split the cell). */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function attributeRows(attrs: readonly AttributeSchema[]): string[] {
  const rows = ['| attribute | type | default | since | meaning |', '|---|---|---|---|---|'];
  for (const a of attrs) {
    const vals = enumValues(a.type);
    const valueDocs = vals ? ` Values: ${vals.map((v) => `\`${v.name}\` ${v.doc}`).join(' ')}` : '';
    const required = a.requiredWhen ? ` **Required when ${a.requiredWhen}.**` : '';
    rows.push(`| \`${a.name}\` | ${cell(describeType(a.type))} | ${cell(describeDefault(a))} | ${a.since} | ${cell(a.doc + required + valueDocs)} |`);
  }
  return rows;
}

function blockHeading(b: BlockSchema): string {
  if (b.naming === 'none') return `\`${b.kind} { … }\``;
  if (b.naming === 'fixed') return (b.names ?? []).map((n) => `\`${b.kind} ${n.name} { … }\``).join(', ');
  return `\`${b.kind} ${b.namePlaceholder ?? 'NAME'} { … }\``;
}

function blockSection(b: BlockSchema): string[] {
  const out = [`### ${blockHeading(b)}`, '', b.doc, ''];
  if (b.naming === 'fixed') out.push(...(b.names ?? []).map((n) => `- \`${b.kind} ${n.name}\`: ${n.doc}`), '');
  if (b.naming === 'free') out.push(`Several \`${b.kind}\` blocks may appear, each with its own name.`, '');
  out.push(...attributeRows(b.attributes), '');
  return out;
}

/** The whole reference page as Markdown. */
export function renderLanguageDocs(): string {
  const quick = readFileSync(join(ROOT, 'examples', 'quick.bnas'), 'utf8').trimEnd();
  const builtinRows = BUILTIN_OPS.map((name) => {
    const s = builtinOpSpec(name);
    return `| \`${name}\` | \`${s.kind}\` | ${s.kernel} | ${s.dilation} | ${DARTS_OPS.includes(name) ? 'yes' : ''} | ${cell(BUILTIN_OP_DOCS[name])} |`;
  });
  const codeRows = Object.entries(DIAGNOSTIC_CODES).map(([code, info]) => `| \`${code}\` | ${info.severity} | ${info.since} | ${cell(info.doc)} |`);
  const lines = [
    '# The `.bnas` search-space language',
    '',
    '<!-- Generated from runtime/dsl/schema.ts and runtime/dsl/diagnostics.ts by `npm run docs`. Do not edit by hand. -->',
    '',
    `Language version ${LANGUAGE_VERSION}. A \`.bnas\` file describes one binary neural architecture search: the data, the`,
    'supernet, the candidate ops, binarization, partial-channel sampling, search-space pruning and training.',
    'Every attribute has a default, so `search "s" {}` is a complete search space.',
    '',
    '```',
    quick,
    '```',
    '',
    'Check a file with `bnas validate FILE` (add `--json` for machine-readable output); the editor shows the same',
    'diagnostics as you type.',
    '',
    '## Syntax',
    '',
    '```',
    "File      := 'search' (NAME | STRING) '{' Member* '}'",
    'Member    := Block | Attribute',
    "Block     := NAME (NAME | STRING)? '{' Member* '}'",
    "Attribute := NAME '=' Value (',' | ';')?",
    'Value     := NUMBER | STRING | true | false | NAME | SIZE | List',
    "List      := '[' (Value (',' Value)* ','?)? ']'",
    '```',
    '',
    '- Names start with a letter and may contain letters, digits, `_` and `-` (`wide_dil`, `my-op`).',
    '- Numbers: `3`, `-1`, `0.025`, `.5`, `3e-4`. Sizes: `3x3`, `5x5` (kernels only).',
    '- Strings: `"…"` or `\'…\'` on one line.',
    '- Comments: `# …` and `// …` to the end of the line, `/* … */` across lines.',
    '- `,` or `;` after an attribute is optional: `data { train = 100, test = 10 }` and one attribute per line both work.',
    '',
    '## Top-level attributes',
    '',
    ...attributeRows(TOP_LEVEL_ATTRIBUTES),
    '',
    '### Built-in ops',
    '',
    '| op | primitive | kernel | dilation | in the default `ops` | what it is |',
    '|---|---|---|---|---|---|',
    ...builtinRows,
    '',
    'A name in `ops` that is not built in must be defined by an `op NAME { … }` block.',
    '',
    '## Blocks',
    '',
    'Each block appears at most once (except `op`, once per name); blocks are not nested.',
    '',
    ...BLOCKS.flatMap(blockSection),
    '## How some checks count',
    '',
    '- **Channels.** Cell *i* has `channels` × 2^(number of reduction cells ≤ *i*) channels; `sampling.k` must divide all of them.',
    '- **Pruning rounds.** A round runs after epoch *e* (counting completed epochs) for *e* = `start`, `start + every`, … while *e* < `epochs`;',
    '  reaching one op per edge from *n* ops takes ⌈(*n* − 1) / `drop`⌉ rounds. `pruning-incomplete` warns when there are fewer.',
    '- **Memory.** The estimate counts the float32 activations every op keeps for the backward pass on every edge of every cell',
    '  (1/k of the channels in the mixed op, plus the slice, bypass, shuffle and β-weighted sums), the stem and pre-processing,',
    '  doubled for the backward pass, and the weights three times (value, gradient, momentum). It is the same arithmetic the',
    '  runtime uses; backends add workspace on top.',
    '',
    '## Diagnostic codes',
    '',
    'Every problem has a stable code (shown by `bnas validate` and in the editor). Errors stop a search; warnings and infos do not.',
    '',
    '| code | severity | since | what it catches |',
    '|---|---|---|---|',
    ...codeRows,
    '',
  ];
  return lines.join('\n');
}

// Writes (or with --check, verifies) docs/language.md when run as a script.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const text = renderLanguageDocs();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(LANGUAGE_DOCS_PATH, 'utf8');
    } catch {
      current = ''; // a missing file is stale
    }
    if (current !== text) {
      console.error('docs/language.md is out of date: run `npm run docs`.');
      process.exit(1);
    }
    console.log('docs/language.md is up to date.');
  } else {
    writeFileSync(LANGUAGE_DOCS_PATH, text);
    console.log(`wrote ${LANGUAGE_DOCS_PATH}`);
  }
}
