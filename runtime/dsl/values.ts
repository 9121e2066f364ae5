/**
 * Type checking of attribute values against the schema: turns a parsed value into a plain
 * `SchemaValue`, or reports what is wrong (`wrong-type`, `out-of-range`, `unknown-value`, ...)
 * on the offending text and returns undefined.
 */
import { GrammarUtils, type AstNode } from 'langium';
import {
  isBoolValue,
  isIdValue,
  isListValue,
  isMalformedValue,
  isNumberValue,
  isSizeValue,
  isStringValue,
  type Value,
} from './generated/ast.js';
import { diagnostic, type BnasDiagnostic, type DiagnosticData, type Range } from './diagnostics.js';
import { describeType, describeTypeWithArticle, type SchemaValue, type ValueType } from './schema.js';
import { closestName, didYouMean } from './suggest.js';

/** The range of an AST node (or of one of its properties) in the document. */
export function rangeOf(node: AstNode | undefined, property?: string): Range {
  const cst = node?.$cstNode;
  const own = property === undefined ? cst : GrammarUtils.findNodeForProperty(cst, property);
  if (own) return own.range;
  if (cst) return cst.range;
  // Nodes built by error recovery may lack text; fall back to the nearest ancestor with text.
  if (node?.$container) return rangeOf(node.$container);
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
}

/** The source text of a value (as written). */
export function valueText(value: Value): string {
  return value.$cstNode?.text ?? '';
}

/** How a found value is described in messages: `the name \`foo\``, `the list \`[1, 2]\``. */
export function describeFound(value: Value): string {
  const text = valueText(value);
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  if (isNumberValue(value)) return `the number \`${shown}\``;
  if (isIdValue(value)) return `the name \`${shown}\``;
  if (isStringValue(value)) return `the string \`${shown}\``;
  if (isSizeValue(value)) return `the size \`${shown}\``;
  if (isBoolValue(value)) return `\`${shown}\``;
  if (isListValue(value)) return `the list \`${shown}\``;
  return `\`${shown}\``;
}

/** Sink for diagnostics found while checking values. */
export interface ValueChecker {
  readonly diagnostics: BnasDiagnostic[];
}

function report(sink: ValueChecker, code: Parameters<typeof diagnostic>[0], message: string, range: Range, data?: DiagnosticData): undefined {
  sink.diagnostics.push(diagnostic(code, message, range, data));
  return undefined;
}

/** Reports a malformed value (a string without closing quote, `3x3x3`, `5abc`). */
function reportMalformed(sink: ValueChecker, value: Value): undefined {
  const text = valueText(value);
  if (text.startsWith('"') || text.startsWith("'")) {
    return report(sink, 'malformed-value', `This string has no closing \`${text[0]}\`: strings end on the line they start.`, rangeOf(value), {
      suggestion: `${text}${text[0]}`,
    });
  }
  return report(
    sink,
    'malformed-value',
    `\`${text}\` is not a value: write a number (\`3\`, \`-1\`, \`0.025\`, \`3e-4\`), a size (\`3x3\`), or a name that starts with a letter.`,
    rangeOf(value),
  );
}

function inRange(type: Extract<ValueType, { kind: 'int' | 'number' }>, n: number): boolean {
  const exMin = type.kind === 'number' && type.exclusiveMin;
  const exMax = type.kind === 'number' && type.exclusiveMax;
  if (type.min !== undefined && (exMin ? n <= type.min : n < type.min)) return false;
  if (type.max !== undefined && (exMax ? n >= type.max : n > type.max)) return false;
  return true;
}

function checkNumber(sink: ValueChecker, where: string, type: Extract<ValueType, { kind: 'int' | 'number' }>, value: Value): number | undefined {
  if (!isNumberValue(value)) {
    const data = isStringValue(value) && value.value.trim() !== '' && Number.isFinite(Number(value.value)) ? { suggestion: value.value.trim() } : undefined;
    return report(sink, 'wrong-type', `\`${where}\` must be ${describeTypeWithArticle(type)}, but found ${describeFound(value)}.`, rangeOf(value), data);
  }
  const n = value.value;
  if (!Number.isFinite(n)) return report(sink, 'out-of-range', `\`${where}\` must be a finite ${describeType(type)}.`, rangeOf(value));
  if (type.kind === 'int' && !Number.isInteger(n)) {
    return report(sink, 'wrong-type', `\`${where}\` must be ${describeTypeWithArticle(type)}, but found the fraction \`${valueText(value)}\`.`, rangeOf(value), {
      suggestion: String(Math.round(n)),
    });
  }
  if (!inRange(type, n)) {
    return report(sink, 'out-of-range', `\`${where} = ${valueText(value)}\` is out of range: it must be ${describeTypeWithArticle(type)}.`, rangeOf(value));
  }
  return n;
}

function checkEnum(sink: ValueChecker, where: string, type: Extract<ValueType, { kind: 'enum' }>, value: Value): string | undefined {
  const names = type.values.map((v) => v.name);
  const allowed = names.map((n) => `\`${n}\``).join(', ');
  if (isStringValue(value) && names.includes(value.value)) {
    return report(sink, 'wrong-type', `\`${where}\` takes a name without quotes: write \`${value.value}\`.`, rangeOf(value), { suggestion: value.value });
  }
  if (!isIdValue(value)) return report(sink, 'wrong-type', `\`${where}\` must be one of ${allowed}, but found ${describeFound(value)}.`, rangeOf(value));
  if (names.includes(value.value)) return value.value;
  const guess = closestName(value.value, names);
  return report(
    sink,
    'unknown-value',
    `\`${value.value}\` is not a valid \`${where}\`: allowed values are ${allowed}.${didYouMean(guess)}`,
    rangeOf(value),
    guess === undefined ? undefined : { suggestion: guess },
  );
}

function checkKernel(sink: ValueChecker, where: string, value: Value): number | undefined {
  let k: number;
  if (isSizeValue(value)) {
    const [h, w] = value.value.split('x').map(Number) as [number, number];
    if (h !== w) {
      return report(sink, 'non-square-kernel', `\`${where} = ${value.value}\` is not square: kernels are square, write \`${h}x${h}\` or \`${h}\`.`, rangeOf(value), {
        suggestion: `${h}x${h}`,
      });
    }
    k = h;
  } else if (isNumberValue(value) && Number.isInteger(value.value)) {
    k = value.value;
  } else {
    return report(sink, 'wrong-type', `\`${where}\` must be ${describeTypeWithArticle({ kind: 'kernel' })}, but found ${describeFound(value)}.`, rangeOf(value));
  }
  if (k < 1) return report(sink, 'out-of-range', `\`${where}\` must be at least 1, but found \`${valueText(value)}\`.`, rangeOf(value));
  if (k % 2 === 0) {
    return report(sink, 'even-kernel', `\`${where} = ${valueText(value)}\` is even: kernel sizes must be odd (1, 3, 5, 7, ...) so "same" padding keeps the image size.`, rangeOf(value), {
      suggestion: isSizeValue(value) ? `${k + 1}x${k + 1}` : String(k + 1),
    });
  }
  return k;
}

function checkList(sink: ValueChecker, where: string, type: Extract<ValueType, { kind: 'list' }>, value: Value): SchemaValue[] | undefined {
  if (!isListValue(value)) {
    const inner = checkScalarQuietly(type.of, value);
    return report(sink, 'wrong-type', `\`${where}\` must be ${describeTypeWithArticle(type)} in brackets, but found ${describeFound(value)}.`, rangeOf(value), inner ? { suggestion: `[${valueText(value)}]` } : undefined);
  }
  if (type.length !== undefined && value.items.length !== type.length) {
    return report(sink, 'wrong-type', `\`${where}\` must be a list of exactly ${type.length} values (${describeType(type.of)}), but it has ${value.items.length}.`, rangeOf(value));
  }
  const out: SchemaValue[] = [];
  let ok = true;
  const seen = new Set<string>();
  for (const item of value.items) {
    const v = checkValue(sink, where, type.of, item);
    if (v === undefined) {
      ok = false;
      continue;
    }
    const key = JSON.stringify(v);
    if (type.unique && seen.has(key)) {
      report(sink, 'duplicate-value', `\`${valueText(item)}\` is listed twice in \`${where}\`: each value may appear once.`, rangeOf(item));
      ok = false;
      continue;
    }
    seen.add(key);
    out.push(v);
  }
  return ok ? out : undefined;
}

/** Whether a value would pass a scalar type (used to offer `[x]` for a missing list). */
function checkScalarQuietly(type: ValueType, value: Value): boolean {
  const quiet: ValueChecker = { diagnostics: [] };
  return checkValue(quiet, '', type, value) !== undefined;
}

/**
 * Checks `value` against `type`, reporting problems into `sink`.
 *
 * @param where the attribute as users write it (`data.train`), for messages.
 * @returns the plain value, or undefined when it is invalid (a diagnostic was reported).
 *   `ops` lists are returned as the list of names; op names are resolved later.
 */
export function checkValue(sink: ValueChecker, where: string, type: ValueType, value: Value): SchemaValue | undefined {
  if (isMalformedValue(value)) return reportMalformed(sink, value);
  if (isListValue(value)) {
    for (const item of value.items) if (isListValue(item) && type.kind !== 'list') return report(sink, 'wrong-type', `Lists cannot be nested in \`${where}\`.`, rangeOf(item));
  }
  switch (type.kind) {
    case 'int':
    case 'number':
      return checkNumber(sink, where, type, value);
    case 'bool':
      if (isBoolValue(value)) return value.value === 'true';
      return report(sink, 'wrong-type', `\`${where}\` must be \`true\` or \`false\`, but found ${describeFound(value)}.`, rangeOf(value));
    case 'string':
      if (isStringValue(value)) return value.value;
      return report(sink, 'wrong-type', `\`${where}\` must be a string in quotes, but found ${describeFound(value)}.`, rangeOf(value), {
        suggestion: JSON.stringify(valueText(value)),
      });
    case 'enum':
      return checkEnum(sink, where, type, value);
    case 'kernel':
      return checkKernel(sink, where, value);
    case 'list':
      return checkList(sink, where, type, value);
    case 'ops':
      if (!isListValue(value)) {
        return report(sink, 'wrong-type', `\`${where}\` must be a list of op names in brackets, like \`[sep_conv_3x3, skip_connect]\`, but found ${describeFound(value)}.`, rangeOf(value), isIdValue(value) ? { suggestion: `[${value.value}]` } : undefined);
      }
      return value.items.map((item) => (isIdValue(item) ? item.value : ''));
  }
}
