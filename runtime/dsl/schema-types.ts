/**
 * The types of the `.bnas` schema (runtime/dsl/schema.ts holds the table itself) and the facts
 * about data sources that the table and the estimates share.
 */

/** Language version of this schema (the `since` of everything added later is greater). */
export const LANGUAGE_VERSION = '1';

/** One allowed value of an enum attribute. */
export interface EnumValue {
  readonly name: string;
  readonly doc: string;
}

/** The type of an attribute value. Ranges are inclusive unless `exclusive…` says otherwise. */
export type ValueType =
  | { readonly kind: 'int'; readonly min?: number; readonly max?: number }
  | {
      readonly kind: 'number';
      readonly min?: number;
      readonly max?: number;
      readonly exclusiveMin?: boolean;
      readonly exclusiveMax?: boolean;
    }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' }
  | { readonly kind: 'enum'; readonly values: readonly EnumValue[] }
  /** An odd kernel size: an integer (`3`) or a square SIZE (`3x3`). */
  | { readonly kind: 'kernel' }
  /** Names of candidate ops: built-ins or `op` blocks. */
  | { readonly kind: 'ops' }
  /** A list; `unique` lists are sets (a repeated item is an error); `length` fixes the size. */
  | { readonly kind: 'list'; readonly of: ValueType; readonly unique?: boolean; readonly length?: number };

/** A value as written in a file, after type checking. */
export type SchemaValue = number | string | boolean | readonly SchemaValue[];

/** One attribute of a block. */
export interface AttributeSchema {
  readonly name: string;
  readonly type: ValueType;
  /** Default when the attribute is absent (undefined: no default, see `defaultText`). */
  readonly default?: SchemaValue;
  /** Defaults that depend on the block's name (`optimizer weights` vs `optimizer arch`). */
  readonly defaultByName?: Readonly<Record<string, SchemaValue | undefined>>;
  /** How the default is described when it is computed or absent (`⌊L/3⌋, ⌊2L/3⌋`, `the source's size`). */
  readonly defaultText?: string;
  /** When the attribute must be written (documentation; the validator enforces it). */
  readonly requiredWhen?: string;
  /** A sentence or two a user learns from. */
  readonly doc: string;
  readonly since: string;
}

/** One block kind. */
export interface BlockSchema {
  /** The word that opens the block (`data`, `op`, `optimizer`). */
  readonly kind: string;
  /**
   * Whether the block takes a name after its kind: `none` (`data { }`), `free` (`op NAME { }`,
   * any new name, the block may repeat with distinct names), or `fixed` (one of `names`, each
   * at most once).
   */
  readonly naming: 'none' | 'free' | 'fixed';
  /** Allowed names for `fixed` naming, with docs. */
  readonly names?: readonly EnumValue[];
  /** Placeholder shown in docs and snippets for the name (`NAME`). */
  readonly namePlaceholder?: string;
  readonly doc: string;
  readonly attributes: readonly AttributeSchema[];
  readonly since: string;
}

/** An enum's values from [name, doc] pairs. */
export function values(...pairs: [string, string][]): EnumValue[] {
  return pairs.map(([name, doc]) => ({ name, doc }));
}

/** Classes of each data source (runtime/data's readers); IDX files carry their own labels. */
export const SOURCE_CLASSES: Readonly<Record<string, number | undefined>> = {
  synthetic: 6,
  mnist: 10,
  'fashion-mnist': 10,
  cifar10: 10,
  idx: undefined,
};

/** Default image size of each data source (used when `image` is absent). */
export const SOURCE_IMAGE_SIZE: Readonly<Record<string, number | undefined>> = {
  synthetic: 16,
  mnist: 28,
  'fashion-mnist': 28,
  cifar10: 32,
  // IDX files carry their own size; the estimate assumes MNIST-sized images until they are read.
  idx: undefined,
};

/** Sources that read files from `data.path`. */
export const SOURCES_WITH_PATH: readonly string[] = ['idx', 'cifar10'];
