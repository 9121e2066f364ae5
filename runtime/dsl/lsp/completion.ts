/**
 * Completion for `.bnas` documents, driven by the schema: block names (only blocks not yet
 * written), attribute names (only those valid in the enclosing block and not yet set, inserted
 * as `name = default`), enum values and booleans after `=`, op names in `ops` (built-ins and
 * `op` blocks, not yet listed), and a whole search space in an empty file. Every item carries
 * the schema's documentation and default.
 */
import { UriUtils, type FileSystemProvider, type LangiumDocument } from 'langium';
import type { CompletionProvider, CompletionProviderOptions } from 'langium/lsp';
import {
  CompletionItemKind,
  CompletionTriggerKind,
  InsertTextFormat,
  type CompletionItem,
  type CompletionList,
  type CompletionParams,
  type Range,
} from 'vscode-languageserver';
import {
  BLOCKS,
  BUILTIN_OP_DOCS,
  TOP_LEVEL_ATTRIBUTES,
  attributeMarkdown,
  blockMarkdown,
  defaultValue,
  describeDefault,
  describeType,
  findBlock,
  formatValue,
  type AttributeSchema,
  type BlockSchema,
  type EnumValue,
  type SchemaValue,
  type ValueType,
} from '../schema.js';
import { BUILTIN_OPS } from '../space.js';
import { cursorContext, type CursorContext, type Frame, type Slot } from './completion-context.js';
import { opHover } from './hover.js';
import type { OpIndex } from '../ops.js';
import { opIndexOf } from './document-model.js';

/** The kind of the file-level frame (the `search` block). */
const SEARCH = 'search';

/** Slots where typing a trigger character should open the list. */
const TRIGGERED_SLOTS = new Set(['value', 'list-item', 'block-label', 'string']);

/** Completion provider registered as `lsp.CompletionProvider`. */
export class BnasCompletionProvider implements CompletionProvider {
  readonly completionOptions: CompletionProviderOptions = { triggerCharacters: ['=', '[', ',', ' ', '"', '/'] };

  /** @param fs the file system, for folder names in `data.path` (absent: no folder completion). */
  constructor(private readonly fs?: FileSystemProvider) {}

  async getCompletion(document: LangiumDocument, params: CompletionParams): Promise<CompletionList | undefined> {
    const td = document.textDocument;
    const text = td.getText();
    const offset = td.offsetAt(params.position);
    const ctx = cursorContext(text, offset);
    // Typing a space or separator opens the list only where a value or op name goes next;
    // elsewhere a popup after every space would get in the way.
    const trigger = params.context?.triggerKind === CompletionTriggerKind.TriggerCharacter ? params.context.triggerCharacter : undefined;
    if (trigger !== undefined && !TRIGGERED_SLOTS.has(ctx.slot.kind)) return { isIncomplete: false, items: [] };
    if (ctx.slot.kind === 'string') {
      return { isIncomplete: false, items: await this.folderItems(document, ctx.slot, text, offset) };
    }
    if (trigger === '"' || trigger === '/') return { isIncomplete: false, items: [] };
    const range: Range = { start: td.positionAt(ctx.wordStart), end: td.positionAt(ctx.wordEnd) };
    const items = completionItems(ctx, range, () => opIndexOf(document));
    return { isIncomplete: false, items };
  }

  /** Sub-folders of the folder typed so far in `data { path = "…" }`, relative to the file. */
  private async folderItems(document: LangiumDocument, slot: Extract<Slot, { kind: 'string' }>, text: string, offset: number): Promise<CompletionItem[]> {
    const where = schemaBlockOf(slot.path);
    if (!this.fs || slot.attribute !== 'path' || where?.block?.kind !== 'data' || document.uri.scheme !== 'file') return [];
    const typed = text.slice(slot.contentStart, offset);
    const dir = typed.slice(0, typed.lastIndexOf('/') + 1);
    const base = UriUtils.resolvePath(UriUtils.dirname(document.uri), dir === '' ? '.' : dir);
    let entries;
    try {
      entries = await this.fs.readDirectory(base);
    } catch {
      return []; // the folder typed so far does not exist (yet): nothing to offer
    }
    const td = document.textDocument;
    const range: Range = { start: td.positionAt(slot.contentStart + dir.length), end: td.positionAt(offset) };
    const showHidden = typed.slice(dir.length).startsWith('.');
    return entries
      .filter((e) => e.isDirectory)
      .map((e) => UriUtils.basename(e.uri))
      .filter((name) => showHidden || !name.startsWith('.'))
      .sort()
      .map((name) => ({ label: `${name}/`, kind: CompletionItemKind.Folder, filterText: name, textEdit: { range, newText: name } }));
  }
}

/** The items for a cursor context; `range` is replaced by the chosen item. */
export function completionItems(ctx: CursorContext, range: Range, ops: () => OpIndex): CompletionItem[] {
  const slot = ctx.slot;
  switch (slot.kind) {
    case 'file':
      return [searchSkeletonItem(range)];
    case 'member':
      return memberItems(slot, ctx, range);
    case 'block-label':
      return blockLabelItems(slot.blockKind, slot.block, range);
    case 'value': {
      const attr = attributeAt(slot.path, slot.attribute);
      return attr ? valueItems(attr, blockLabel(slot.path), range) : [];
    }
    case 'list-item': {
      const attr = attributeAt(slot.path.filter((f) => f.type === 'block'), slot.attribute);
      if (!attr) return [];
      const present = new Set(slot.list.items.filter((i) => i !== ctx.word));
      if (attr.type.kind === 'ops') return opItems(slot.block, present, range, ops());
      const values = attr.type.kind === 'list' && attr.type.of.kind === 'enum' ? attr.type.of.values : [];
      return namedItems(values.filter((v) => !present.has(v.name)), range);
    }
    case 'string':
    case 'none':
      return [];
  }
}

/** The schema block a frame path is in: `search` → undefined (top level), `data` → data. */
function schemaBlockOf(path: readonly Frame[]): { top: boolean; block?: BlockSchema } | undefined {
  const blocks = path.filter((f) => f.type === 'block');
  if (blocks.length === 1 && blocks[0]!.name === SEARCH) return { top: true };
  if (blocks.length === 2 && blocks[0]!.name === SEARCH) {
    const block = findBlock(blocks[1]!.name ?? '');
    return block ? { top: false, block } : undefined;
  }
  return undefined;
}

function attributeAt(path: readonly Frame[], name: string): AttributeSchema | undefined {
  const where = schemaBlockOf(path);
  if (!where) return undefined;
  const list = where.top ? TOP_LEVEL_ATTRIBUTES : where.block!.attributes;
  return list.find((a) => a.name === name);
}

function blockLabel(path: readonly Frame[]): string | undefined {
  return [...path].reverse().find((f) => f.type === 'block')?.label;
}

function memberItems(slot: Extract<Slot, { kind: 'member' }>, ctx: CursorContext, range: Range): CompletionItem[] {
  const where = schemaBlockOf(slot.path);
  if (!where) return [];
  const typed = ctx.word;
  const set = new Set([...slot.block.attributes].filter((a) => a !== typed));
  const attrs = where.top ? TOP_LEVEL_ATTRIBUTES : where.block!.attributes;
  const label = slot.block.label;
  const items = attrs
    .filter((a) => !set.has(a.name))
    .map((a, i) => attributeItem(a, where.block?.kind, label, ctx.followedByEquals, range, i));
  if (where.top && !ctx.followedByEquals) items.push(...blockItems(slot.block, range));
  return items;
}

function attributeItem(
  attr: AttributeSchema,
  blockKind: string | undefined,
  blockName: string | undefined,
  nameOnly: boolean,
  range: Range,
  order: number,
): CompletionItem {
  const d = defaultValue(attr, blockName);
  const defaultText = attr.defaultByName && blockName !== undefined ? (d === undefined ? 'none' : formatValue(d)) : describeDefault(attr);
  return {
    label: attr.name,
    kind: CompletionItemKind.Property,
    detail: defaultText === '—' ? describeType(attr.type) : `${describeType(attr.type)} · default ${defaultText}`,
    documentation: { kind: 'markdown', value: attributeMarkdown(blockKind, attr) },
    sortText: `0${pad(order)}`,
    insertTextFormat: nameOnly ? InsertTextFormat.PlainText : InsertTextFormat.Snippet,
    textEdit: { range, newText: nameOnly ? attr.name : `${attr.name} = ${valueSnippet(attr.type, d, 1)}` },
  };
}

/** A snippet for a value of `type`, starting at tab stop `stop`, pre-filled with the default. */
function valueSnippet(type: ValueType, d: SchemaValue | undefined, stop: number): string {
  switch (type.kind) {
    case 'enum':
      return choice(stop, type.values.map((v) => v.name), d);
    case 'bool':
      return choice(stop, ['true', 'false'], d);
    case 'string':
      return `"\${${stop}}"`;
    case 'ops':
    case 'list':
      return `[\${${stop}${Array.isArray(d) && d.length > 0 ? `:${escapeSnippet(d.map(String).join(', '))}` : ''}}]`;
    case 'int':
    case 'number':
    case 'kernel':
      return d === undefined ? `\${${stop}}` : `\${${stop}:${escapeSnippet(formatValue(d))}}`;
  }
}

function choice(stop: number, options: readonly string[], d: SchemaValue | undefined): string {
  const first = typeof d === 'string' || typeof d === 'boolean' ? String(d) : undefined;
  const ordered = first !== undefined && options.includes(first) ? [first, ...options.filter((o) => o !== first)] : options;
  return `\${${stop}|${ordered.map((o) => o.replace(/[|,\\$}]/g, '\\$&')).join(',')}|}`;
}

function escapeSnippet(s: string): string {
  return s.replace(/[\\$}]/g, '\\$&');
}

/** Block items for the top level: blocks not yet written; `op` always; each free optimizer name. */
function blockItems(search: Frame, range: Range): CompletionItem[] {
  const items: CompletionItem[] = [];
  BLOCKS.forEach((b, i) => {
    const written = search.blocks.filter((x) => x.kind === b.kind);
    const doc = { kind: 'markdown' as const, value: blockMarkdown(b) };
    const base = { kind: CompletionItemKind.Module, documentation: doc, sortText: `1${pad(i)}`, insertTextFormat: InsertTextFormat.Snippet };
    if (b.naming === 'none') {
      if (written.length === 0) items.push({ ...base, label: b.kind, detail: 'block', textEdit: { range, newText: blockSnippet(b, undefined) } });
    } else if (b.naming === 'fixed') {
      for (const n of b.names ?? []) {
        if (written.some((w) => w.label === n.name)) continue;
        items.push({
          ...base,
          label: `${b.kind} ${n.name}`,
          filterText: b.kind,
          detail: n.doc,
          textEdit: { range, newText: blockSnippet(b, n.name) },
        });
      }
    } else {
      items.push({ ...base, label: b.kind, detail: `${b.kind} ${b.namePlaceholder ?? 'NAME'} { … }`, textEdit: { range, newText: blockSnippet(b, undefined) } });
    }
  });
  return items;
}

/** `kind [name] {` with required attributes pre-filled, the cursor inside. */
function blockSnippet(b: BlockSchema, fixedName: string | undefined): string {
  let stop = 1;
  const name = b.naming === 'free' ? ` \${${stop++}:${(b.namePlaceholder ?? 'name').toLowerCase()}}` : fixedName !== undefined ? ` ${fixedName}` : '';
  const required = b.attributes.filter((a) => a.requiredWhen === 'always');
  const lines = required.map((a) => `\t${a.name} = ${valueSnippet(a.type, defaultValue(a, fixedName), stop++)}`);
  if (lines.length === 0) lines.push('\t$0');
  return `${b.kind}${name} {\n${lines.join('\n')}\n}`;
}

function blockLabelItems(kind: string, search: Frame, range: Range): CompletionItem[] {
  const b = findBlock(kind);
  if (!b || b.naming !== 'fixed') return [];
  const written = new Set(search.blocks.filter((x) => x.kind === kind).map((x) => x.label));
  return namedItems((b.names ?? []).filter((n) => !written.has(n.name)), range);
}

/** Enum-member items for documented names, in schema order. */
function namedItems(values: readonly EnumValue[], range: Range): CompletionItem[] {
  return values.map((v, i) => ({
    label: v.name,
    kind: CompletionItemKind.EnumMember,
    documentation: { kind: 'markdown', value: v.doc },
    sortText: pad(i),
    textEdit: { range, newText: v.name },
  }));
}

function valueItems(attr: AttributeSchema, blockName: string | undefined, range: Range): CompletionItem[] {
  const d = defaultValue(attr, blockName);
  const type = attr.type;
  const mark = (name: string): Partial<CompletionItem> =>
    d === name || (typeof d === 'boolean' && String(d) === name) ? { detail: 'default', preselect: true } : {};
  if (type.kind === 'enum') {
    return type.values.map((v, i) => ({
      label: v.name,
      kind: CompletionItemKind.EnumMember,
      documentation: { kind: 'markdown', value: v.doc },
      sortText: pad(i),
      textEdit: { range, newText: v.name },
      ...mark(v.name),
    }));
  }
  if (type.kind === 'bool') {
    return ['true', 'false'].map((v, i) => ({
      label: v,
      kind: CompletionItemKind.Value,
      sortText: pad(i),
      textEdit: { range, newText: v },
      ...mark(v),
    }));
  }
  if (d === undefined) return [];
  // Numbers, lists: offer the default, so the user sees it and can start from it.
  const text = formatValue(d);
  return [
    {
      label: text,
      kind: CompletionItemKind.Value,
      detail: 'default',
      documentation: { kind: 'markdown', value: `${describeType(type)}\n\n${attr.doc}` },
      textEdit: { range, newText: text },
    },
  ];
}

/** Op names for `ops`: built-ins and `op` blocks, minus those already listed. */
function opItems(search: Frame, present: ReadonlySet<string>, range: Range, ops: OpIndex): CompletionItem[] {
  const items: CompletionItem[] = [];
  const custom = search.blocks.filter((b) => b.kind === 'op' && b.label !== undefined).map((b) => b.label!);
  for (const name of custom) {
    if (present.has(name)) continue;
    const doc = opHover(name, ops);
    items.push({
      label: name,
      kind: CompletionItemKind.Function,
      detail: 'custom op',
      ...(doc ? { documentation: { kind: 'markdown' as const, value: doc } } : {}),
      sortText: `0${name}`,
      textEdit: { range, newText: name },
    });
  }
  BUILTIN_OPS.forEach((name, i) => {
    if (present.has(name) || custom.includes(name)) return;
    items.push({
      label: name,
      kind: CompletionItemKind.Function,
      detail: 'built-in op',
      documentation: { kind: 'markdown', value: BUILTIN_OP_DOCS[name] },
      sortText: `1${pad(i)}`,
      textEdit: { range, newText: name },
    });
  });
  return items;
}

function searchSkeletonItem(range: Range): CompletionItem {
  const body = [
    'search "${1:my-search}" {',
    '\tdata { source = ${2|synthetic,mnist,fashion-mnist,idx,cifar10|}, train = ${3:2000}, test = ${4:1000} }',
    '\tsupernet { cells = ${5:5}, channels = ${6:8}, nodes = ${7:4} }',
    '\tops = [${8:sep_conv_3x3, dil_conv_3x3, max_pool_3x3, avg_pool_3x3, skip_connect, none}]',
    '\ttrain { epochs = ${9:8}, batch = ${10:32} }',
    '\t$0',
    '}',
  ].join('\n');
  return {
    label: 'search',
    kind: CompletionItemKind.Snippet,
    detail: 'a new search space',
    documentation: { kind: 'markdown', value: 'A complete search space with the common blocks; every value can be changed later.' },
    insertTextFormat: InsertTextFormat.Snippet,
    textEdit: { range, newText: body },
  };
}

function pad(i: number): string {
  return String(i).padStart(3, '0');
}
