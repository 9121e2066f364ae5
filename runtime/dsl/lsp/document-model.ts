/**
 * What the editor features need to know about a parsed `.bnas` document: which syntax element
 * is under the cursor (with its schema entry), and where each op name is defined and used.
 * Hover, definition, references, rename, highlights and semantic tokens all start here.
 */
import { CstUtils, GrammarUtils, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import type { Range } from 'vscode-languageserver';
import {
  isAttribute,
  isBlock,
  isIdValue,
  isListValue,
  isSearchFile,
  type Attribute,
  type Block,
  type SearchFile,
  type Value,
} from '../generated/ast.js';
import { indexOps, opReferences, type OpIndex } from '../ops.js';
import { findAttribute, findBlock, type AttributeSchema, type BlockSchema } from '../schema.js';

/** The name of the top-level attribute that lists candidate ops. */
export const OPS_ATTRIBUTE = 'ops';
/** The block kind that declares a custom op. */
export const OP_BLOCK = 'op';

/** The syntax element at a position, classified for the editor features. */
export type Target =
  | { readonly kind: 'search-keyword'; readonly file: SearchFile; readonly range: Range }
  | { readonly kind: 'search-name'; readonly file: SearchFile; readonly range: Range }
  | { readonly kind: 'block-kind'; readonly block: Block; readonly schema?: BlockSchema; readonly range: Range }
  | { readonly kind: 'block-name'; readonly block: Block; readonly schema?: BlockSchema; readonly range: Range }
  | {
      readonly kind: 'attribute-name';
      readonly attribute: Attribute;
      /** Kind of the enclosing block; undefined at the top level of `search`. */
      readonly blockKind: string | undefined;
      readonly schema?: AttributeSchema;
      readonly range: Range;
    }
  | {
      readonly kind: 'value';
      readonly value: Value;
      readonly attribute: Attribute;
      readonly blockKind: string | undefined;
      readonly schema?: AttributeSchema;
      readonly range: Range;
    }
  | {
      /** An op name: an item of the top-level `ops` list, or the name of an `op` block. */
      readonly kind: 'op';
      readonly name: string;
      readonly declaration: boolean;
      readonly range: Range;
    };

/** The root of a parsed document, when it parsed into a `search` file at all. */
export function searchFileOf(document: LangiumDocument): SearchFile | undefined {
  const root = document.parseResult?.value;
  return isSearchFile(root) ? root : undefined;
}

/** The range of a property's text (e.g. a block's `kind`), or undefined when recovery lost it. */
export function propertyRange(node: AstNode, property: string): Range | undefined {
  return GrammarUtils.findNodeForProperty(node.$cstNode, property)?.range;
}

/** The block an attribute or block is written in; undefined for the top level of `search`. */
export function enclosingBlock(node: Attribute | Block): Block | undefined {
  const c = node.$container;
  return isBlock(c) ? c : undefined;
}

/** The schema entry of an attribute where it is written (undefined when unknown there). */
export function attributeSchemaOf(attribute: Attribute): AttributeSchema | undefined {
  const block = enclosingBlock(attribute);
  if (block && (enclosingBlock(block) || !findBlock(block.kind))) return undefined;
  return findAttribute(block?.kind, attribute.name);
}

/** The attribute a value belongs to (through any nesting of lists). */
export function owningAttribute(value: AstNode): Attribute | undefined {
  let n: AstNode | undefined = value.$container;
  while (n && !isAttribute(n)) n = isListValue(n) ? n.$container : undefined;
  return n;
}

/** The syntax element at `offset` (the character right of the cursor, or left of it at a word end). */
export function targetAt(document: LangiumDocument, offset: number): Target | undefined {
  const root = document.parseResult?.value.$cstNode;
  if (!root) return undefined;
  const leaf = leafNear(root, offset);
  if (!leaf || leaf.hidden) return undefined;
  return classify(leaf);
}

function leafNear(root: CstNode, offset: number): CstNode | undefined {
  const at = CstUtils.findLeafNodeAtOffset(root, offset);
  if (at && !at.hidden && /\w/.test(at.text)) return at;
  // At the end of a word (`epochs|`), the word is left of the cursor.
  if (offset > 0) {
    const before = CstUtils.findLeafNodeAtOffset(root, offset - 1);
    if (before && !before.hidden && before.end === offset && /\w/.test(before.text)) return before;
  }
  return at;
}

function classify(leaf: CstNode): Target | undefined {
  const node = leaf.astNode;
  const range = leaf.range;
  const isProperty = (prop: string): boolean => GrammarUtils.findNodeForProperty(node.$cstNode, prop) === leaf;

  if (isSearchFile(node)) {
    if (isProperty('name')) return { kind: 'search-name', file: node, range };
    if (leaf.text === 'search') return { kind: 'search-keyword', file: node, range };
    return undefined;
  }
  if (isBlock(node)) {
    const schema = enclosingBlock(node) ? undefined : findBlock(node.kind);
    if (isProperty('kind')) return { kind: 'block-kind', block: node, schema, range };
    if (isProperty('name')) {
      if (node.kind === OP_BLOCK && node.name !== undefined && !enclosingBlock(node)) {
        return { kind: 'op', name: unquote(node.name), declaration: true, range };
      }
      return { kind: 'block-name', block: node, schema, range };
    }
    return undefined;
  }
  if (isAttribute(node)) {
    if (!isProperty('name')) return undefined;
    return { kind: 'attribute-name', attribute: node, blockKind: enclosingBlock(node)?.kind, schema: attributeSchemaOf(node), range };
  }
  // A value (leaf of NumberValue, IdValue, ...): find its attribute.
  const attribute = owningAttribute(node);
  if (!attribute) return undefined;
  if (isIdValue(node) && isOpsList(attribute)) {
    return { kind: 'op', name: node.value, declaration: false, range };
  }
  return {
    kind: 'value',
    value: node as Value,
    attribute,
    blockKind: enclosingBlock(attribute)?.kind,
    schema: attributeSchemaOf(attribute),
    range,
  };
}

/** Whether an attribute is the top-level `ops` list. */
export function isOpsList(attribute: Attribute): boolean {
  return attribute.name === OPS_ATTRIBUTE && isSearchFile(attribute.$container);
}

/** Removes the quotes of a STRING token (block names may be written `"name"`). */
export function unquote(text: string): string {
  return /^(["']).*\1$/s.test(text) ? text.slice(1, -1) : text;
}

/** Where each op name is defined and used in a document (empty when it did not parse). */
export function opIndexOf(document: LangiumDocument): OpIndex {
  const file = searchFileOf(document);
  return file ? indexOps(file) : { definitions: new Map(), usages: [] };
}

/** The ranges where `name` occurs as an op: its definition first (if any), then its uses. */
export function opOccurrences(index: OpIndex, name: string, includeDeclaration = true): Range[] {
  const refs = opReferences(index, name);
  return refs.definition && includeDeclaration ? [refs.definition, ...refs.usages] : refs.usages;
}
