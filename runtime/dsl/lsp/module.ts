/**
 * The editor features of the `.bnas` language as one Langium module, injected into the
 * language's services: `createBnasServices(context, BnasLspModule)`.
 */
import type { Module } from 'langium';
import type { PartialLangiumServices } from 'langium/lsp';
import type { BnasServices } from '../module.js';
import { BnasCodeActionProvider } from './code-actions.js';
import { BnasCompletionProvider } from './completion.js';
import { BnasFoldingRangeProvider } from './folding.js';
import { BnasFormatter } from './formatter.js';
import { BnasHoverProvider } from './hover.js';
import { BnasDefinitionProvider, BnasDocumentHighlightProvider, BnasReferencesProvider, BnasRenameProvider } from './op-navigation.js';
import { BnasSemanticTokenProvider } from './semantic-tokens.js';
import { BnasDocumentSymbolProvider } from './symbols.js';

/**
 * Completion, hover, formatting, outline, semantic tokens, op navigation (definition,
 * references, highlights, rename), quick fixes and folding.
 */
export const BnasLspModule: Module<BnasServices, PartialLangiumServices> = {
  lsp: {
    CompletionProvider: (services) => new BnasCompletionProvider(services.shared.workspace.FileSystemProvider),
    HoverProvider: () => new BnasHoverProvider(),
    Formatter: () => new BnasFormatter(),
    DocumentSymbolProvider: () => new BnasDocumentSymbolProvider(),
    SemanticTokenProvider: (services) => new BnasSemanticTokenProvider(services),
    DefinitionProvider: () => new BnasDefinitionProvider(),
    ReferencesProvider: () => new BnasReferencesProvider(),
    DocumentHighlightProvider: () => new BnasDocumentHighlightProvider(),
    RenameProvider: () => new BnasRenameProvider(),
    CodeActionProvider: () => new BnasCodeActionProvider(),
    FoldingRangeProvider: () => new BnasFoldingRangeProvider(),
  },
};
