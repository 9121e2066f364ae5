/**
 * Dependency injection for the `.bnas` language: one place that assembles Langium services.
 *
 * - `createBnasServices(context, ...extraModules)`: the full (LSP) service set used by the
 *   language server; the server passes extra modules (its providers from `runtime/dsl/lsp/`) so
 *   it can add or replace services without editing this file.
 * - `getBnasCoreServices()`: a lazily created, shared, LSP-free service set used by
 *   `loadSearchSpace` (command line, runtime, tests). Creating Langium services builds the
 *   parser, which costs tens of milliseconds, so it is done once per process.
 */
import {
  EmptyFileSystem,
  Module,
  createDefaultCoreModule,
  createLangiumParser,
  createDefaultSharedCoreModule,
  inject,
  type LangiumCoreServices,
  type LangiumSharedCoreServices,
  type PartialLangiumCoreServices,
} from 'langium';
import {
  createDefaultModule,
  createDefaultSharedModule,
  type DefaultSharedModuleContext,
  type LangiumServices,
  type LangiumSharedServices,
  type PartialLangiumServices,
} from 'langium/lsp';
import { BnasGeneratedModule, BnasGeneratedSharedModule } from './generated/module.js';
import { BnasDocumentValidator } from './document-validator.js';
import { parsableText } from './nesting.js';

/** The services of the `.bnas` language inside a language server. */
export type BnasServices = LangiumServices;

/** The LSP-free services of the `.bnas` language (command line, runtime, tests). */
export type BnasCoreServices = LangiumCoreServices;

/**
 * Language-specific overrides shared by the core and the LSP service sets: the document
 * validator produces exactly the diagnostics `loadSearchSpace` returns (same codes, ranges,
 * messages), so the editor and `bnas validate` always agree.
 */
export const BnasModule: Module<LangiumCoreServices, PartialLangiumCoreServices> = {
  parser: {
    // The parser never sees pathologically deep nesting (it would overflow its stack); the
    // analysis reports the spot. Offsets are unchanged, so every range stays right.
    LangiumParser: (services) => {
      const parser = createLangiumParser(services);
      const parse = parser.parse.bind(parser);
      parser.parse = ((text: string, options?: Parameters<typeof parse>[1]) => parse(parsableText(text), options)) as typeof parser.parse;
      return parser;
    },
  },
  validation: {
    DocumentValidator: (services) => new BnasDocumentValidator(services),
  },
};

/** Merges any number of modules left to right (later modules override earlier ones). */
function mergeModules(modules: readonly Module<BnasServices, PartialLangiumServices>[]): Module<BnasServices, PartialLangiumServices> {
  let merged: Module<BnasServices, PartialLangiumServices> = {};
  for (const m of modules) merged = Module.merge(merged, m);
  return merged;
}

/**
 * Creates the full service set for a language server.
 *
 * @param context the connection and file system (`NodeFileSystem` from `langium/node` in a
 *   server, `EmptyFileSystem` in tests).
 * @param extraModules modules merged after the language module, e.g. LSP providers
 *   (completion, hover, formatter, ...) from `runtime/dsl/lsp/`. Later modules win.
 * @returns the shared services and the `.bnas` language services (registered with the shared
 *   service registry).
 */
export function createBnasServices(
  context: DefaultSharedModuleContext,
  ...extraModules: Module<BnasServices, PartialLangiumServices>[]
): { shared: LangiumSharedServices; Bnas: BnasServices } {
  const shared = inject(createDefaultSharedModule(context), BnasGeneratedSharedModule);
  const Bnas = inject(
    createDefaultModule({ shared }),
    BnasGeneratedModule,
    BnasModule as Module<BnasServices, PartialLangiumServices>,
    mergeModules(extraModules),
  );
  shared.ServiceRegistry.register(Bnas);
  return { shared, Bnas };
}

/**
 * Creates an LSP-free service set (no connection). Most callers want the shared instance from
 * {@link getBnasCoreServices}.
 */
export function createBnasCoreServices(): { shared: LangiumSharedCoreServices; Bnas: BnasCoreServices } {
  const shared = inject(createDefaultSharedCoreModule(EmptyFileSystem), BnasGeneratedSharedModule);
  const Bnas = inject(createDefaultCoreModule({ shared }), BnasGeneratedModule, BnasModule);
  shared.ServiceRegistry.register(Bnas);
  return { shared, Bnas };
}

let coreServices: BnasCoreServices | undefined;

/**
 * Drops the shared services so the next call builds a fresh parser. Called after the parser threw
 * (for example a stack overflow on pathologically deep nesting), which can leave its internal
 * state inconsistent.
 */
export function resetBnasCoreServices(): void {
  coreServices = undefined;
}

/** The process-wide LSP-free services, created on first use. */
export function getBnasCoreServices(): BnasCoreServices {
  coreServices ??= createBnasCoreServices().Bnas;
  return coreServices;
}
