/**
 * Document symbols (the outline and breadcrumbs): `search NAME` → blocks → attributes. `op`
 * blocks appear under their own name (as functions), named blocks as `optimizer weights`, and
 * each attribute shows its value as detail.
 */
import type { LangiumDocument } from 'langium';
import type { DocumentSymbolProvider } from 'langium/lsp';
import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams } from 'vscode-languageserver';
import { isAttribute, isBlock, isListValue, type Attribute, type Block, type Member } from '../generated/ast.js';
import { OP_BLOCK, propertyRange, searchFileOf, unquote } from './document-model.js';

/** Longest value text shown as an attribute's detail. */
const MAX_DETAIL = 60;

/** Symbol provider registered as `lsp.DocumentSymbolProvider`. */
export class BnasDocumentSymbolProvider implements DocumentSymbolProvider {
  getSymbols(document: LangiumDocument, _params: DocumentSymbolParams): DocumentSymbol[] {
    const file = searchFileOf(document);
    if (!file?.$cstNode) return [];
    const name = file.name !== undefined ? unquote(file.name) : 'search';
    return [
      {
        name,
        detail: 'search',
        kind: SymbolKind.Namespace,
        range: file.$cstNode.range,
        selectionRange: propertyRange(file, 'name') ?? file.$cstNode.range,
        children: memberSymbols(file.members),
      },
    ];
  }
}

function memberSymbols(members: readonly Member[]): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const m of members) {
    const s = isBlock(m) ? blockSymbol(m) : isAttribute(m) ? attributeSymbol(m) : undefined;
    if (s) out.push(s);
  }
  return out;
}

function blockSymbol(block: Block): DocumentSymbol | undefined {
  const range = block.$cstNode?.range;
  if (!range || !block.kind) return undefined;
  const label = block.name !== undefined ? unquote(block.name) : undefined;
  const isOp = block.kind === OP_BLOCK && label !== undefined;
  const selectionRange = (isOp ? propertyRange(block, 'name') : undefined) ?? propertyRange(block, 'kind') ?? range;
  const kindAttr = block.members.find((m): m is Attribute => isAttribute(m) && m.name === 'kind');
  return {
    name: isOp ? label : label !== undefined ? `${block.kind} ${label}` : block.kind,
    detail: isOp ? `op${kindAttr?.value?.$cstNode ? ` · ${kindAttr.value.$cstNode.text}` : ''}` : undefined,
    kind: isOp ? SymbolKind.Function : SymbolKind.Struct,
    range,
    selectionRange,
    children: memberSymbols(block.members),
  };
}

function attributeSymbol(attr: Attribute): DocumentSymbol | undefined {
  const range = attr.$cstNode?.range;
  if (!range || !attr.name) return undefined;
  const text = attr.value?.$cstNode?.text.replace(/\s+/g, ' ') ?? '';
  return {
    name: attr.name,
    detail: text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text,
    kind: isListValue(attr.value) ? SymbolKind.Array : SymbolKind.Property,
    range,
    selectionRange: propertyRange(attr, 'name') ?? range,
  };
}
