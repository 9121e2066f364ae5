/**
 * Hover for `.bnas` documents: the schema's documentation, type, range and default for blocks
 * and attributes; what an enum value means; what a built-in op computes; how a custom op is
 * defined and where it is used. All text comes from the schema (`runtime/dsl/schema.ts`).
 */
import type { LangiumDocument } from 'langium';
import type { HoverProvider } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import { isBoolValue, isIdValue, isNumberValue, isSizeValue, isStringValue, type Block } from '../generated/ast.js';
import {
  attributeMarkdown,
  blockMarkdown,
  builtinOpMarkdown,
  defaultValue,
  describeDefault,
  describeType,
  enumValues,
  formatValue,
  isBuiltinOp,
  type AttributeSchema,
} from '../schema.js';
import type { OpIndex } from '../ops.js';
import { enclosingBlock, opIndexOf, targetAt, unquote, type Target } from './document-model.js';

/** Hover provider registered as `lsp.HoverProvider`. */
export class BnasHoverProvider implements HoverProvider {
  getHoverContent(document: LangiumDocument, params: HoverParams): Hover | undefined {
    const offset = document.textDocument.offsetAt(params.position);
    const target = targetAt(document, offset);
    if (!target) return undefined;
    const markdown = hoverMarkdown(target, () => opIndexOf(document));
    if (!markdown) return undefined;
    return { contents: { kind: 'markdown', value: markdown }, range: target.range };
  }
}

/** The hover text of a target, or undefined when there is nothing to say (unknown names). */
export function hoverMarkdown(target: Target, ops: () => OpIndex): string | undefined {
  switch (target.kind) {
    case 'search-keyword':
    case 'search-name':
      return [
        `**search ${target.file.name ?? ''}**`,
        '',
        'A search space: the data, the supernet, the candidate `ops`, binarization, sampling, pruning and training of one binary architecture search. Run it with **BNAS: Run Search** or `bnas search FILE --out DIR`.',
      ].join('\n');
    case 'block-kind':
      return target.schema ? blockMarkdown(target.schema) : undefined;
    case 'block-name': {
      const named = target.schema?.names?.find((n) => n.name === unquote(target.block.name ?? ''));
      if (!named || !target.schema) return undefined;
      return `**${target.schema.kind} ${named.name}**\n\n${named.doc}`;
    }
    case 'attribute-name':
      return target.schema ? attributeHover(target.blockKind, target.schema, blockNameOf(target.attribute.$container)) : undefined;
    case 'value':
      return target.schema ? valueHover(target, target.schema) : undefined;
    case 'op':
      return opHover(target.name, ops());
  }
}

function blockNameOf(container: unknown): string | undefined {
  const b = container as Block;
  return typeof b?.name === 'string' ? unquote(b.name) : undefined;
}

/** Attribute docs; inside a named block (`optimizer arch`) the default for that name is stated. */
function attributeHover(blockKind: string | undefined, attr: AttributeSchema, blockName: string | undefined): string {
  const md = attributeMarkdown(blockKind, attr);
  if (!attr.defaultByName || blockName === undefined || !(blockName in attr.defaultByName)) return md;
  const d = defaultValue(attr, blockName);
  return `${md}\n\nDefault in \`${blockKind} ${blockName}\`: ${d === undefined ? 'none' : `\`${formatValue(d)}\``}`;
}

function valueHover(target: Extract<Target, { kind: 'value' }>, attr: AttributeSchema): string | undefined {
  const where = target.blockKind === undefined ? attr.name : `${target.blockKind}.${attr.name}`;
  const v = target.value;
  if (isIdValue(v)) {
    const entry = enumValues(attr.type)?.find((e) => e.name === v.value);
    if (!entry) return undefined;
    const blockName = blockNameOf(enclosingBlock(target.attribute));
    const d = defaultValue(attr, blockName);
    const isDefault = d === entry.name || (Array.isArray(d) && d.includes(entry.name));
    return `**${entry.name}** (value of \`${where}\`${isDefault ? ', default' : ''})\n\n${entry.doc}`;
  }
  if (isNumberValue(v) || isSizeValue(v) || isBoolValue(v) || isStringValue(v)) {
    // A literal: remind what the attribute accepts, which is what one edits it against.
    return `**${where}**: ${describeType(attr.type)}\n\n${attr.doc}\n\nDefault: ${describeDefault(attr)}`;
  }
  return undefined;
}

/** A built-in op's definition, or a custom op's primitive and uses. */
export function opHover(name: string, ops: OpIndex): string | undefined {
  if (isBuiltinOp(name)) return builtinOpMarkdown(name);
  const def = ops.definitions.get(name);
  const uses = ops.usages.filter((u) => u.name === name).length;
  const usedIn = uses === 0 ? 'Not listed in `ops`: the search does not use it.' : 'Listed in `ops`: a candidate on every edge.';
  if (!def) return undefined;
  const attrs = def.block.members
    .map((m) => (m.$type === 'Attribute' ? `${m.name} = ${m.value?.$cstNode?.text ?? ''}` : undefined))
    .filter((s): s is string => s !== undefined);
  const body = attrs.length > 0 ? attrs.join(', ') : 'no attributes';
  return `**${name}** (custom op, line ${def.nameRange.start.line + 1})\n\n\`op ${name} { ${body} }\`\n\n${usedIn}`;
}
