/**
 * Settings of a sweep trial written into its own `.bnas` text: `sampling.k = 2` replaces the value
 * of `k` in the `sampling` block, or adds the attribute (and the block) when the file leaves it
 * at its default. Edits are placed with the parser's syntax tree, so comments and layout of the
 * rest of the file stay as the user wrote them, and the result is validated like any `.bnas`
 * file: a trial's space is an ordinary space, searched by the ordinary `bnas search`.
 */
import { isAbsolute, resolve, dirname } from 'node:path';
import { analyzeText, closestName, findAttribute, findBlock, loadSearchSpace, BLOCKS, TOP_LEVEL_ATTRIBUTES, type BnasDiagnostic, type SearchSpace } from '../dsl/index.js';
import { isAttribute, isBlock, isStringValue, type Attribute, type Block, type SearchFile } from '../dsl/generated/ast.js';

/** One setting: a language path (`sampling.k`, `optimizer.weights.lr`, `ops`) and the value text. */
export interface Setting {
  readonly key: string;
  readonly value: string;
}

/** A key split into the block it lives in and the attribute. */
interface KeyPath {
  readonly kind?: string;
  readonly name?: string;
  readonly attr: string;
}

/** Thrown for a setting that names no attribute or gives an invalid value. */
export class SettingError extends Error {}

/**
 * Checks a key against the language schema.
 * @throws SettingError naming the closest known key
 */
export function parseKey(key: string): KeyPath {
  const parts = key.split('.');
  const known = allKeys();
  const fail = (): never => {
    const near = closestName(key, known);
    throw new SettingError(`'${key}' is not a setting of the language${near ? `; did you mean '${near}'?` : ''} (keys are block.attribute, e.g. sampling.k)`);
  };
  if (parts.length === 1) return findAttribute(undefined, parts[0]) ? { attr: parts[0] } : fail();
  const kind = parts[0];
  const block = findBlock(kind);
  if (!block || parts.length > 3) return fail();
  const attr = parts[parts.length - 1];
  const name = parts.length === 3 ? parts[1] : undefined;
  if (!findAttribute(kind, attr)) return fail();
  if (block.naming === 'none' && name !== undefined) return fail();
  if (block.naming !== 'none' && name === undefined) return fail();
  return { kind, name, attr };
}

function allKeys(): string[] {
  const keys = TOP_LEVEL_ATTRIBUTES.map((a) => a.name);
  for (const b of BLOCKS) {
    const names = b.naming === 'fixed' ? (b.names ?? []).map((n) => `${b.kind}.${n.name}.`) : b.naming === 'free' ? [`${b.kind}.NAME.`] : [`${b.kind}.`];
    for (const prefix of names) for (const a of b.attributes) keys.push(prefix + a.name);
  }
  return keys;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function findBlockNode(members: readonly (Attribute | Block)[], path: KeyPath): Block | undefined {
  return members.find((m): m is Block => isBlock(m) && m.kind === path.kind && (path.name === undefined || m.name === path.name || m.name === `"${path.name}"`));
}

/** The edit that sets one attribute in the parsed file. */
function editFor(text: string, file: SearchFile, path: KeyPath, value: string): Edit {
  const block = path.kind === undefined ? undefined : findBlockNode(file.members, path);
  const members = path.kind === undefined ? file.members : block?.members;
  const attr = members?.find((m): m is Attribute => isAttribute(m) && m.name === path.attr);
  const valueCst = attr?.value?.$cstNode;
  if (valueCst) return { start: valueCst.offset, end: valueCst.end, text: value };
  const member = `${path.attr} = ${value}`;
  const host = block ?? file;
  const cst = host.$cstNode;
  if (!cst) throw new SettingError(`cannot place ${member}: the file does not parse`);
  const close = text.lastIndexOf('}', cst.end - 1);
  if (block) {
    const last = block.members.at(-1)?.$cstNode;
    if (!last) return { start: text.indexOf('{', cst.offset) + 1, end: close, text: ` ${member} ` };
    const sep = /[,;]\s*$/.test(last.text) ? ' ' : ', ';
    const inline = !text.slice(cst.offset, cst.end).includes('\n');
    return inline ? { start: last.end, end: last.end, text: `${sep}${member}` } : { start: last.end, end: last.end, text: `\n${indentOf(text, last.offset)}${member}` };
  }
  // The block (or top-level attribute) is absent: add it as the last member of `search { }`.
  const line = path.kind === undefined ? member : `${path.kind}${path.name !== undefined ? ` ${path.name}` : ''} { ${member} }`;
  const last = file.members.at(-1)?.$cstNode;
  const indent = last ? indentOf(text, last.offset) : '  ';
  const at = last ? last.end : text.indexOf('{', cst.offset) + 1;
  return { start: at, end: at, text: `\n${indent}${line}` };
}

function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

function errorsOf(diagnostics: readonly BnasDiagnostic[]): string {
  return diagnostics.filter((d) => d.severity === 'error').map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join(' ');
}

/**
 * The text of `text` with every setting applied, validated.
 *
 * @param filePath where the original file lives: a relative `data.path` is made absolute, so the
 *   trial's copy finds the same data from its own folder.
 * @throws SettingError for an unknown key, a value the language rejects, or a file with errors.
 */
export function applySettings(text: string, settings: readonly Setting[], filePath: string): { text: string; space: SearchSpace } {
  const parsed = analyzeText(text, { filePath });
  if (!parsed.ast || !parsed.space) throw new SettingError(`${filePath} has errors; fix them before sweeping it: ${errorsOf(parsed.diagnostics)}`);
  const all = [...settings];
  // The path as written (the loaded space holds it resolved already).
  const dataBlock = findBlockNode(parsed.ast.members, { kind: 'data', attr: 'path' });
  const written = dataBlock?.members.find((m): m is Attribute => isAttribute(m) && m.name === 'path')?.value;
  const dataPath = isStringValue(written) ? written.value.replace(/^(["'])(.*)\1$/, '$2') : undefined;
  if (dataPath !== undefined && !isAbsolute(dataPath) && !settings.some((s) => s.key === 'data.path')) {
    all.push({ key: 'data.path', value: JSON.stringify(resolve(dirname(filePath), dataPath)) });
  }
  // One setting at a time on the text so far: two settings of a block the file lacks then land in one block.
  let out = text;
  let ast: SearchFile | undefined = parsed.ast;
  for (const [i, s] of all.entries()) {
    if (i > 0) ast = analyzeText(out, { filePath }).ast;
    if (!ast) throw new SettingError(`the space with ${all.slice(0, i).map((x) => `${x.key}=${x.value}`).join(', ')} does not parse`);
    const e = editFor(out, ast, parseKey(s.key), s.value);
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  const { space, diagnostics } = loadSearchSpace(out, { filePath, checkFiles: true });
  if (!space) {
    const what = settings.map((s) => `${s.key}=${s.value}`).join(', ');
    throw new SettingError(`the space with ${what || 'no settings'} is invalid: ${errorsOf(diagnostics)}`);
  }
  return { text: out, space };
}
