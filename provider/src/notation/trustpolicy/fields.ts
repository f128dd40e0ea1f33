/**
 * Readers for the untrusted JSON value of a trust policy. They mirror what notation's Go JSON decoding accepts:
 * unknown fields are ignored and `null` means "absent". Two deliberate differences, both failing closed with a
 * clear message: a field spelled like a known one in another case (Go would read `Version` as `version`) or a few
 * letters off (`trustedIdentity`) is rejected with the name meant, and a wrongly typed value names its field instead
 * of "malformed trust policy".
 */
import { LIMITS, policyError, quote } from './types.js';

export type JsonObject = Readonly<Record<string, unknown>>;

/** A plain object as JSON.parse makes it: not null, not an array, prototype Object.prototype or null. */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Edit distance (insert, delete, substitute, swap two neighbours) between `a` and `b`, or `limit + 1` once above `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      current.push(d);
    }
    if (Math.min(...current) > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known field an unknown `key` is most likely a misspelling of: a few edits away, in any case. */
function misspelledField(key: string, known: readonly string[]): string | undefined {
  let best: { readonly name: string; readonly distance: number } | undefined;
  for (const name of known) {
    const limit = Math.max(1, Math.floor(name.length / 4));
    const distance = editDistance(key.toLowerCase(), name.toLowerCase(), limit);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/**
 * Checks the field names of an object: bounded in number, and none a misspelling of a known field (another case, or
 * a few letters off: `trustedIdentity` for `trustedIdentities`), which would otherwise be dropped without a word.
 * Other unknown fields are ignored, as notation ignores them.
 */
export function checkFieldNames(obj: JsonObject, known: readonly string[], where: string): void {
  const keys = Object.keys(obj);
  if (keys.length > LIMITS.fieldsPerObject) {
    throw policyError(`${where} has ${keys.length} fields, more than the ${LIMITS.fieldsPerObject} allowed; remove the unknown fields`);
  }
  for (const key of keys) {
    if (known.includes(key)) continue;
    const meant = misspelledField(key, known);
    if (meant === undefined) continue;
    if (meant.toLowerCase() === key.toLowerCase()) {
      throw policyError(`${where} has field ${quote(key)}; spell it exactly ${quote(meant)} (field names are case-sensitive here)`);
    }
    throw policyError(`${where} has unknown field ${quote(key)}; did you mean ${quote(meant)}? (known fields: ${known.join(', ')})`);
  }
}

/** The own data property `key` of `obj`; `undefined` when absent or null. Accessors are refused. */
export function field(obj: JsonObject, key: string, where: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(obj, key);
  if (descriptor === undefined) return undefined;
  if (!('value' in descriptor)) throw policyError(`${where}: field ${quote(key)} is not a plain JSON value`);
  return descriptor.value === null ? undefined : descriptor.value;
}

export function optionalString(obj: JsonObject, key: string, where: string, maxLength: number): string | undefined {
  const value = field(obj, key, where);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw policyError(`${where} is malformed: ${quote(key)} must be a string, got ${describe(value)}`);
  }
  if (value.length > maxLength) {
    throw policyError(`${where}: ${quote(key)} is ${value.length} characters long, more than the ${maxLength} allowed`);
  }
  return value;
}

export function optionalStringArray(
  obj: JsonObject,
  key: string,
  where: string,
  bounds: { readonly items: number; readonly length: number },
): readonly string[] | undefined {
  const value = field(obj, key, where);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw policyError(`${where} is malformed: ${quote(key)} must be an array of strings, got ${describe(value)}`);
  }
  if (value.length > bounds.items) {
    throw policyError(`${where}: ${quote(key)} has ${value.length} entries, more than the ${bounds.items} allowed`);
  }
  const out: string[] = [];
  for (const [i, item] of (value as readonly unknown[]).entries()) {
    if (typeof item !== 'string') {
      throw policyError(`${where} is malformed: ${key}[${i}] must be a string, got ${describe(item)}`);
    }
    if (item.length > bounds.length) {
      throw policyError(`${where}: ${key}[${i}] is ${item.length} characters long, more than the ${bounds.length} allowed`);
    }
    out.push(item);
  }
  return out;
}

/** A nested object field; `undefined` when absent or null. */
export function optionalObject(obj: JsonObject, key: string, where: string): JsonObject | undefined {
  const value = field(obj, key, where);
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    throw policyError(`${where} is malformed: ${quote(key)} must be an object, got ${describe(value)}`);
  }
  return value;
}
