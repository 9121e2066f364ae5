/**
 * Structural checks of a parsed `.bnas` file against the schema: known blocks and attributes,
 * block names, duplicates, required attributes and value types. The result, a `CheckedFile`,
 * indexes every block and attribute so later checks and the model builder can look values up
 * (with defaults) and point diagnostics at the text that set them.
 */
import type { Attribute, Block, SearchFile } from './generated/ast.js';
import { isAttribute, isBlock } from './generated/ast.js';
import { diagnostic, type BnasDiagnostic } from './diagnostics.js';
import {
  BLOCKS,
  TOP_LEVEL_ATTRIBUTES,
  blocksWithAttribute,
  defaultValue,
  findBlock,
  type AttributeSchema,
  type BlockSchema,
  type SchemaValue,
} from './schema.js';
import { closestName, didYouMean } from './suggest.js';
import { checkValue, rangeOf } from './values.js';

/** One attribute as written, with its checked value (undefined when invalid). */
export interface AttributeEntry {
  readonly schema: AttributeSchema;
  readonly node: Attribute;
  readonly value: SchemaValue | undefined;
}

/** One block as written. */
export interface BlockEntry {
  readonly schema: BlockSchema;
  readonly node: Block;
  /** The block's name (`weights`, an op's name), if any. */
  readonly name?: string;
  readonly attributes: Map<string, AttributeEntry>;
}

/** The file indexed by block and attribute, after structural checks. */
export interface CheckedFile {
  readonly file: SearchFile;
  /** Top-level attributes (`ops`). */
  readonly top: Map<string, AttributeEntry>;
  /** Blocks keyed by `kind` or `kind name` for fixed-name blocks (`optimizer weights`). */
  readonly blocks: Map<string, BlockEntry>;
  /** `op` blocks keyed by op name, in order of appearance. */
  readonly opBlocks: Map<string, BlockEntry>;
  readonly diagnostics: BnasDiagnostic[];
}

const BLOCK_KINDS = BLOCKS.map((b) => b.kind);

function blockKey(schema: BlockSchema, name: string | undefined): string {
  return schema.naming === 'fixed' && name !== undefined ? `${schema.kind} ${name}` : schema.kind;
}

function lineOf(node: Block | Attribute): number {
  return rangeOf(node).start.line + 1;
}

function checkAttributes(
  checked: CheckedFile,
  members: readonly (Attribute | Block)[],
  attributes: readonly AttributeSchema[],
  blockKind: string | undefined,
  blockName?: string,
): Map<string, AttributeEntry> {
  const out = new Map<string, AttributeEntry>();
  const diags = checked.diagnostics;
  const where = (a: AttributeSchema) =>
    blockKind === undefined ? a.name : blockName === undefined ? `${blockKind}.${a.name}` : `${blockKind} ${blockName}.${a.name}`;
  const here = blockKind === undefined ? 'at the top level of `search`' : `in \`${blockKind}\``;
  for (const member of members) {
    if (!isAttribute(member) || member.name === undefined) continue;
    const schema = attributes.find((a) => a.name === member.name);
    if (!schema) {
      const names = attributes.map((a) => a.name);
      const elsewhere = blocksWithAttribute(member.name).filter((b) => b.kind !== blockKind);
      if (elsewhere.length > 0 && !names.includes(member.name)) {
        const target = elsewhere[0]!.kind;
        diags.push(
          diagnostic(
            'unknown-attribute',
            `\`${member.name}\` is not an attribute ${here}: it belongs in the \`${target}\` block (\`${target} { ${member.name} = … }\`).`,
            rangeOf(member, 'name'),
            { block: target },
          ),
        );
        continue;
      }
      if (blockKind !== undefined && TOP_LEVEL_ATTRIBUTES.some((a) => a.name === member.name)) {
        diags.push(
          diagnostic('unknown-attribute', `\`${member.name}\` is not an attribute ${here}: it goes at the top level of \`search\`, outside every block.`, rangeOf(member, 'name')),
        );
        continue;
      }
      const guess = closestName(member.name, names);
      const allowed = names.length > 0 ? `allowed: ${names.map((n) => `\`${n}\``).join(', ')}` : 'this block has no attributes';
      diags.push(
        diagnostic(
          'unknown-attribute',
          `Unknown attribute \`${member.name}\` ${here} (${allowed}).${didYouMean(guess)}`,
          rangeOf(member, 'name'),
          guess === undefined ? undefined : { suggestion: guess },
        ),
      );
      continue;
    }
    const first = out.get(schema.name);
    if (first) {
      diags.push(
        diagnostic(
          'duplicate-attribute',
          `\`${where(schema)}\` is set twice (first on line ${lineOf(first.node)}): remove one of them.`,
          rangeOf(member, 'name'),
        ),
      );
      continue;
    }
    const value = member.value === undefined ? undefined : checkValue(checked, where(schema), schema.type, member.value);
    out.set(schema.name, { schema, node: member, value });
  }
  return out;
}

function checkBlockName(checked: CheckedFile, block: Block, schema: BlockSchema): boolean {
  const diags = checked.diagnostics;
  if (schema.naming === 'none') {
    if (block.name !== undefined) {
      diags.push(
        diagnostic('unexpected-block-name', `\`${schema.kind}\` blocks take no name: write \`${schema.kind} { … }\`.`, rangeOf(block, 'name'), {
          suggestion: '',
        }),
      );
    }
    return true;
  }
  if (block.name === undefined) {
    const how =
      schema.naming === 'fixed'
        ? (schema.names ?? []).map((n) => `\`${schema.kind} ${n.name} { … }\``).join(' or ')
        : `\`${schema.kind} ${schema.namePlaceholder ?? 'NAME'} { … }\``;
    diags.push(diagnostic('missing-block-name', `\`${schema.kind}\` needs a name: write ${how}.`, rangeOf(block, 'kind')));
    return false;
  }
  if (schema.naming === 'fixed') {
    const names = (schema.names ?? []).map((n) => n.name);
    if (!names.includes(block.name)) {
      const guess = closestName(block.name, names);
      diags.push(
        diagnostic(
          'unknown-block-name',
          `\`${schema.kind} ${block.name}\` is not a known block: use ${names.map((n) => `\`${schema.kind} ${n}\``).join(' or ')}.${didYouMean(guess)}`,
          rangeOf(block, 'name'),
          guess === undefined ? undefined : { suggestion: guess },
        ),
      );
      return false;
    }
  }
  return true;
}

function checkNestedBlock(checked: CheckedFile, block: Block, parent: Block): void {
  const known = findBlock(block.kind) !== undefined;
  checked.diagnostics.push(
    diagnostic(
      'unknown-block',
      known
        ? `\`${block.kind}\` blocks cannot be nested inside \`${parent.kind}\`: move it to the top level of \`search\`.`
        : `Unknown block \`${block.kind}\` inside \`${parent.kind}\`: blocks cannot be nested, and \`${parent.kind}\` holds only attributes.`,
      rangeOf(block, 'kind'),
    ),
  );
}

function checkTopBlock(checked: CheckedFile, block: Block): void {
  const diags = checked.diagnostics;
  const schema = findBlock(block.kind);
  if (!schema) {
    if (TOP_LEVEL_ATTRIBUTES.some((a) => a.name === block.kind)) {
      diags.push(diagnostic('unknown-block', `\`${block.kind}\` is an attribute, not a block: write \`${block.kind} = [ … ]\`.`, rangeOf(block, 'kind')));
      return;
    }
    const guess = closestName(block.kind, BLOCK_KINDS);
    diags.push(
      diagnostic(
        'unknown-block',
        `Unknown block \`${block.kind}\` (blocks: ${BLOCK_KINDS.map((k) => `\`${k}\``).join(', ')}).${didYouMean(guess)}`,
        rangeOf(block, 'kind'),
        guess === undefined ? undefined : { suggestion: guess },
      ),
    );
    return;
  }
  const nameOk = checkBlockName(checked, block, schema);
  for (const m of block.members) if (isBlock(m)) checkNestedBlock(checked, m, block);
  const name = schema.naming === 'none' ? undefined : block.name;
  const attributes = checkAttributes(checked, block.members, schema.attributes, schema.kind, name);
  const entry: BlockEntry = { schema, node: block, name, attributes };
  if (!nameOk) return;
  if (schema.naming === 'free') {
    const first = checked.opBlocks.get(name!);
    if (first) {
      diags.push(
        diagnostic('duplicate-block', `\`${schema.kind} ${name}\` is defined twice (first on line ${lineOf(first.node)}): op names must be unique.`, rangeOf(block, 'name')),
      );
      return;
    }
    checked.opBlocks.set(name!, entry);
    return;
  }
  const key = blockKey(schema, name);
  const first = checked.blocks.get(key);
  if (first) {
    diags.push(
      diagnostic('duplicate-block', `\`${key}\` appears twice (first on line ${lineOf(first.node)}): merge the two blocks into one.`, rangeOf(block, 'kind')),
    );
    return;
  }
  checked.blocks.set(key, entry);
}

/** Checks the structure and values of a parsed file against the schema. */
export function checkStructure(file: SearchFile): CheckedFile {
  const checked: CheckedFile = { file, top: new Map(), blocks: new Map(), opBlocks: new Map(), diagnostics: [] };
  for (const member of file.members) if (isBlock(member) && member.kind !== undefined) checkTopBlock(checked, member);
  const top = checkAttributes(checked, file.members, TOP_LEVEL_ATTRIBUTES, undefined);
  for (const [k, v] of top) checked.top.set(k, v);
  return checked;
}

/**
 * Looks up an attribute value: the value written (when valid) or the default.
 *
 * @param key block key (`data`, `optimizer weights`, `op NAME`) or undefined for the top level.
 */
export function settingOf(checked: CheckedFile, key: string | undefined, attr: string): SchemaValue | undefined {
  const entry = attributeNode(checked, key, attr);
  if (entry?.value !== undefined) return entry.value;
  if (key === undefined) {
    const schema = TOP_LEVEL_ATTRIBUTES.find((a) => a.name === attr);
    return schema ? defaultValue(schema) : undefined;
  }
  const [kind, blockName] = key.split(' ');
  const schema = findBlock(kind)?.attributes.find((a) => a.name === attr);
  return schema ? defaultValue(schema, blockName) : undefined;
}

/**
 * The attribute as written, if it was written (for diagnostic ranges).
 *
 * @param key as for settingOf; blocks named freely (`op NAME`) are kept apart from the fixed ones, by name.
 */
export function attributeNode(checked: CheckedFile, key: string | undefined, attr: string): AttributeEntry | undefined {
  if (key === undefined) return checked.top.get(attr);
  const [kind, name] = key.split(' ');
  const block = findBlock(kind)?.naming === 'free' ? checked.opBlocks.get(name ?? '') : checked.blocks.get(key);
  return block?.attributes.get(attr);
}

/** True when the attribute was written with an invalid value (cross-checks skip it). */
export function isInvalid(checked: CheckedFile, key: string | undefined, attr: string): boolean {
  const e = attributeNode(checked, key, attr);
  return e !== undefined && e.value === undefined;
}
