/**
 * The editor features of the `.bnas` language as one Langium module, injected into the
 * language's services: `createBnasServices(context, BnasLspModule)`.
 */
import type { Module } from 'langium';
import type { PartialLangiumServices } from 'langium/lsp';
import type { BnasServices } from '../module.js';
import { BnasHoverProvider } from './hover.js';
import { BnasFormatter } from './formatter.js';
import { BnasCompletionProvider } from './completion.js';

/** Completion, hover, formatting, symbols, semantic tokens, op navigation, quick fixes. */
export const BnasLspModule: Module<BnasServices, PartialLangiumServices> = {
  lsp: {
    HoverProvider: () => new BnasHoverProvider(),
    Formatter: () => new BnasFormatter(),
    CompletionProvider: () => new BnasCompletionProvider(),
  },
};
