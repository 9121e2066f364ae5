/**
 * Semantic highlighting: what the TextMate grammar cannot know because it needs the schema or
 * the whole file. Known block kinds are keywords and unknown ones are not; attribute names are
 * properties only where the schema knows them; enum values are enum members only for their own
 * attribute; op names in `ops` are functions (built-ins with `defaultLibrary`, custom ops linked
 * to their `op` block, whose name is a `declaration`).
 */
import type { AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import {
  isAttribute,
  isBlock,
  isBoolValue,
  isIdValue,
  isNumberValue,
  isSearchFile,
  isSizeValue,
  isStringValue,
} from '../generated/ast.js';
import { enumValues, findBlock, isBuiltinOp } from '../schema.js';
import { OP_BLOCK, attributeSchemaOf, enclosingBlock, isOpsList, owningAttribute, unquote } from './document-model.js';

/** Semantic token provider registered as `lsp.SemanticTokenProvider`. */
export class BnasSemanticTokenProvider extends AbstractSemanticTokenProvider {
  protected override highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
    if (isSearchFile(node)) {
      acceptor({ node, keyword: 'search', type: SemanticTokenTypes.keyword });
      if (node.name !== undefined) acceptor({ node, property: 'name', type: SemanticTokenTypes.type, modifier: SemanticTokenModifiers.declaration });
      return;
    }
    if (isBlock(node)) {
      const known = !enclosingBlock(node) && findBlock(node.kind) !== undefined;
      if (known) acceptor({ node, property: 'kind', type: SemanticTokenTypes.keyword });
      if (node.name !== undefined && known) {
        if (node.kind === OP_BLOCK) {
          acceptor({ node, property: 'name', type: SemanticTokenTypes.function, modifier: SemanticTokenModifiers.declaration });
        } else {
          acceptor({ node, property: 'name', type: SemanticTokenTypes.namespace });
        }
      }
      return;
    }
    if (isAttribute(node)) {
      if (attributeSchemaOf(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.property });
      return;
    }
    if (isNumberValue(node) || isSizeValue(node)) {
      acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
      return;
    }
    if (isStringValue(node)) {
      acceptor({ node, property: 'value', type: SemanticTokenTypes.string });
      return;
    }
    if (isBoolValue(node)) {
      acceptor({ node, property: 'value', type: SemanticTokenTypes.keyword });
      return;
    }
    if (isIdValue(node)) {
      const attribute = owningAttribute(node);
      if (!attribute) return;
      if (isOpsList(attribute)) {
        const builtin = isBuiltinOp(node.value);
        acceptor({
          node,
          property: 'value',
          type: SemanticTokenTypes.function,
          modifier: builtin ? SemanticTokenModifiers.defaultLibrary : [],
        });
        return;
      }
      const schema = attributeSchemaOf(attribute);
      const allowed = schema ? enumValues(schema.type) : undefined;
      if (allowed?.some((v) => v.name === unquote(node.value))) {
        acceptor({ node, property: 'value', type: SemanticTokenTypes.enumMember });
      }
    }
  }
}
