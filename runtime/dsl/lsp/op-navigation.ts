/**
 * Op names as cross-references: go to definition (from a name in `ops` to its `op` block), find
 * references and highlights (the block's name and every use in `ops`), and rename (a custom op
 * and all its uses at once; built-in ops cannot be renamed, and the new name must be a valid,
 * free op name).
 */
import type { LangiumDocument } from 'langium';
import type { DefinitionProvider, DocumentHighlightProvider, ReferencesProvider, RenameProvider } from 'langium/lsp';
import {
  DocumentHighlightKind,
  ErrorCodes,
  ResponseError,
  type DefinitionParams,
  type DocumentHighlight,
  type DocumentHighlightParams,
  type Location,
  type LocationLink,
  type Range,
  type ReferenceParams,
  type RenameParams,
  type TextDocumentPositionParams,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { isBuiltinOp } from '../schema.js';
import { opReferences, type OpIndex } from '../ops.js';
import { opIndexOf, opOccurrences, targetAt } from './document-model.js';

/** What an op name must look like (the grammar's ID terminal, whole). */
const OP_NAME = /^[A-Za-z][\w-]*$/;
/** Words the grammar reserves: an op called `true` could not be listed in `ops`. */
const RESERVED = new Set(['search', 'true', 'false']);

interface OpAtCursor {
  readonly name: string;
  readonly range: Range;
  readonly declaration: boolean;
  readonly index: OpIndex;
}

function opAt(document: LangiumDocument, position: TextDocumentPositionParams['position']): OpAtCursor | undefined {
  const target = targetAt(document, document.textDocument.offsetAt(position));
  if (target?.kind !== 'op') return undefined;
  return { name: target.name, range: target.range, declaration: target.declaration, index: opIndexOf(document) };
}

/** Definition provider registered as `lsp.DefinitionProvider`. */
export class BnasDefinitionProvider implements DefinitionProvider {
  getDefinition(document: LangiumDocument, params: DefinitionParams): LocationLink[] | undefined {
    const op = opAt(document, params.position);
    const def = op && op.index.definitions.get(op.name);
    if (!op || !def) return undefined;
    return [
      {
        originSelectionRange: op.range,
        targetUri: document.textDocument.uri,
        targetRange: def.blockRange,
        targetSelectionRange: def.nameRange,
      },
    ];
  }
}

/** References provider registered as `lsp.ReferencesProvider`. */
export class BnasReferencesProvider implements ReferencesProvider {
  findReferences(document: LangiumDocument, params: ReferenceParams): Location[] {
    const op = opAt(document, params.position);
    if (!op) return [];
    const uri = document.textDocument.uri;
    return opOccurrences(op.index, op.name, params.context.includeDeclaration).map((range) => ({ uri, range }));
  }
}

/** Highlights every occurrence of the op under the cursor (the definition as a write). */
export class BnasDocumentHighlightProvider implements DocumentHighlightProvider {
  getDocumentHighlight(document: LangiumDocument, params: DocumentHighlightParams): DocumentHighlight[] | undefined {
    const op = opAt(document, params.position);
    if (!op) return undefined;
    const refs = opReferences(op.index, op.name);
    const read = refs.usages.map((range) => ({ range, kind: DocumentHighlightKind.Read }));
    return refs.definition ? [{ range: refs.definition, kind: DocumentHighlightKind.Write }, ...read] : read;
  }
}

/** Rename provider registered as `lsp.RenameProvider`. */
export class BnasRenameProvider implements RenameProvider {
  prepareRename(document: LangiumDocument, params: TextDocumentPositionParams): Range | undefined {
    return this.renamable(document, params.position).range;
  }

  rename(document: LangiumDocument, params: RenameParams): WorkspaceEdit | undefined {
    const op = this.renamable(document, params.position);
    const newName = params.newName.trim();
    if (newName === op.name) return { changes: {} };
    if (!OP_NAME.test(newName) || RESERVED.has(newName)) {
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        `\`${newName}\` is not a valid op name: use a letter followed by letters, digits, \`_\` or \`-\` (and not \`search\`, \`true\` or \`false\`).`,
      );
    }
    if (isBuiltinOp(newName)) {
      throw new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is a built-in op; choose a name that is not one of the built-in ops.`);
    }
    if (op.index.definitions.has(newName)) {
      throw new ResponseError(ErrorCodes.InvalidParams, `An op named \`${newName}\` already exists; choose another name.`);
    }
    const edits = opOccurrences(op.index, op.name).map((range) => ({ range, newText: newName }));
    return { changes: { [document.textDocument.uri]: edits } };
  }

  /** The op under the cursor if it can be renamed; otherwise a clear error for the user. */
  private renamable(document: LangiumDocument, position: TextDocumentPositionParams['position']): OpAtCursor {
    const op = opAt(document, position);
    if (!op) throw new ResponseError(ErrorCodes.InvalidRequest, 'Only op names can be renamed: put the cursor on a custom op in `ops` or on the name of an `op` block.');
    if (!op.declaration && isBuiltinOp(op.name)) {
      throw new ResponseError(
        ErrorCodes.InvalidRequest,
        `\`${op.name}\` is a built-in op and cannot be renamed. To use a variant under another name, define \`op my_name { kind = ... }\` and list it in \`ops\`.`,
      );
    }
    if (!op.index.definitions.has(op.name)) {
      throw new ResponseError(ErrorCodes.InvalidRequest, `\`${op.name}\` is not defined by an \`op\` block in this file, so there is nothing to rename.`);
    }
    return op;
  }
}
