/**
 * Op cross-references: every name in `ops` resolves to a built-in op or an `op NAME { … }` block.
 * The index below serves validation (unknown, duplicate and unused ops) and the editor
 * (go to definition, find references, rename, completion of op names).
 */
import { isAttribute, isBlock, isIdValue, isListValue, type Block, type SearchFile } from './generated/ast.js';
import { diagnostic, type BnasDiagnostic, type Position, type Range } from './diagnostics.js';
import { isBuiltinOp } from './schema.js';
import { BUILTIN_OPS } from './space.js';
import { closestName, didYouMean } from './suggest.js';
import { rangeOf } from './values.js';

/** A user-defined op: an `op NAME { … }` block. */
export interface OpDefinition {
  readonly name: string;
  /** Range of NAME in `op NAME {`. */
  readonly nameRange: Range;
  /** Range of the whole block. */
  readonly blockRange: Range;
  readonly block: Block;
}

/** One use of an op name inside an `ops = [ … ]` list. */
export interface OpUsage {
  readonly name: string;
  readonly range: Range;
  /** Position in the list (0-based). */
  readonly index: number;
}

/** All op definitions and usages of one file. */
export interface OpIndex {
  /** Definitions by name (the first block wins when a name is defined twice). */
  readonly definitions: ReadonlyMap<string, OpDefinition>;
  /** Every usage, in document order. */
  readonly usages: readonly OpUsage[];
}

/** What an op name refers to. */
export type OpTarget =
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'custom'; readonly definition: OpDefinition };

/** Collects op definitions and usages from a parsed file (also from files with errors). */
export function indexOps(file: SearchFile): OpIndex {
  const definitions = new Map<string, OpDefinition>();
  const usages: OpUsage[] = [];
  for (const member of file.members ?? []) {
    if (isBlock(member) && member.kind === 'op' && member.name !== undefined && !definitions.has(member.name)) {
      definitions.set(member.name, { name: member.name, nameRange: rangeOf(member, 'name'), blockRange: rangeOf(member), block: member });
    } else if (isAttribute(member) && member.name === 'ops' && isListValue(member.value)) {
      member.value.items.forEach((item, index) => {
        if (isIdValue(item) && item.value !== undefined) usages.push({ name: item.value, range: rangeOf(item), index });
      });
    }
  }
  return { definitions, usages };
}

/** Resolves an op name: a custom op block shadows nothing (built-in names cannot be redefined). */
export function resolveOp(index: OpIndex, name: string): OpTarget | undefined {
  if (isBuiltinOp(name)) return { kind: 'builtin', name };
  const definition = index.definitions.get(name);
  return definition ? { kind: 'custom', definition } : undefined;
}

/** Every op name usable in `ops` in this file: built-ins, then custom ops. */
export function availableOpNames(index: OpIndex): string[] {
  return [...BUILTIN_OPS, ...[...index.definitions.keys()].filter((n) => !isBuiltinOp(n))];
}

/**
 * Where an op name is defined and used, for find-references and rename.
 *
 * @returns `definition` (the NAME of the op block; absent for built-ins) and every usage range.
 */
export function opReferences(index: OpIndex, name: string): { definition?: Range; usages: Range[] } {
  const def = isBuiltinOp(name) ? undefined : index.definitions.get(name);
  const usages = index.usages.filter((u) => u.name === name).map((u) => u.range);
  return def ? { definition: def.nameRange, usages } : { usages };
}

function contains(range: Range, p: Position): boolean {
  const afterStart = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const beforeEnd = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return afterStart && beforeEnd;
}

/**
 * The op name at a position (in `ops` or the NAME of an op block), for go-to-definition,
 * references and rename.
 */
export function opAt(index: OpIndex, position: Position): { name: string; range: Range; isDefinition: boolean } | undefined {
  for (const u of index.usages) if (contains(u.range, position)) return { name: u.name, range: u.range, isDefinition: false };
  for (const d of index.definitions.values()) if (contains(d.nameRange, position)) return { name: d.name, range: d.nameRange, isDefinition: true };
  return undefined;
}

/** Checks op names: unknown and duplicate names in `ops`, empty lists, shadowed and unused op blocks. */
export function checkOps(file: SearchFile, opsAttributeIsValid: boolean): BnasDiagnostic[] {
  const diags: BnasDiagnostic[] = [];
  const index = indexOps(file);
  const names = availableOpNames(index);
  for (const def of index.definitions.values()) {
    if (isBuiltinOp(def.name)) {
      diags.push(diagnostic('op-redefines-builtin', `\`${def.name}\` is a built-in op: give the custom op another name (for example \`my_${def.name}\`).`, def.nameRange, { suggestion: `my_${def.name}` }));
    }
  }
  const opsAttr = file.members.find((m) => isAttribute(m) && m.name === 'ops');
  if (opsAttr && isAttribute(opsAttr) && isListValue(opsAttr.value) && opsAttributeIsValid) {
    const seen = new Map<string, OpUsage>();
    for (const item of opsAttr.value.items) {
      if (!isIdValue(item)) {
        diags.push(diagnostic('wrong-type', '`ops` holds op names (built-in ops or names of `op` blocks), not numbers, strings or lists.', rangeOf(item)));
      }
    }
    const usages = index.usages.filter((u) => contains(rangeOf(opsAttr), u.range.start));
    for (const u of usages) {
      if (!resolveOp(index, u.name)) {
        const guess = closestName(u.name, names);
        diags.push(
          diagnostic(
            'unknown-op',
            `Unknown op \`${u.name}\`: use a built-in op (${BUILTIN_OPS.join(', ')}) or define it with \`op ${u.name} { kind = … }\`.${didYouMean(guess)}`,
            u.range,
            guess === undefined ? undefined : { suggestion: guess },
          ),
        );
      }
      const first = seen.get(u.name);
      if (first) diags.push(diagnostic('duplicate-op', `\`${u.name}\` is listed twice in \`ops\` (first at position ${first.index + 1}): each op may appear once.`, u.range));
      else seen.set(u.name, u);
    }
    const real = usages.filter((u) => u.name !== 'none');
    if (opsAttr.value.items.length === 0 || (real.length === 0 && usages.length === opsAttr.value.items.length)) {
      diags.push(
        diagnostic(
          'empty-ops',
          opsAttr.value.items.length === 0
            ? '`ops` is empty: list at least one candidate op other than `none`, for example `[sep_conv_3x3, skip_connect]`.'
            : '`ops` holds only `none`: add at least one op that computes something, for example `sep_conv_3x3`.',
          rangeOf(opsAttr.value),
        ),
      );
    }
  }
  const used = new Set(index.usages.map((u) => u.name));
  for (const def of index.definitions.values()) {
    if (!used.has(def.name) && !isBuiltinOp(def.name)) {
      const hint = opsAttr ? `add it to \`ops\`` : `\`ops\` is not set, so the 8 DARTS ops are searched; list \`${def.name}\` in \`ops = [ … ]\``;
      diags.push(diagnostic('unused-op', `Op \`${def.name}\` is never used: ${hint} or remove the block.`, def.nameRange));
    }
  }
  return diags;
}
