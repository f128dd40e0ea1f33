/**
 * Readers for the untrusted JSON value of a trust policy. They mirror what notation's Go JSON decoding accepts:
 * unknown fields are ignored and `null` means "absent". Two deliberate differences, both failing closed with a
 * clear message: a field spelled like a known one in another case (Go would read `Version` as `version`) is
 * rejected, and a wrongly typed value names its field instead of "malformed trust policy".
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

/**
 * Checks the field names of an object: bounded in number, and none a case variant of a known field. Unknown
 * fields are otherwise ignored, as notation ignores them.
 */
export function checkFieldNames(obj: JsonObject, known: readonly string[], where: string): void {
  const keys = Object.keys(obj);
  if (keys.length > LIMITS.fieldsPerObject) {
    throw policyError(`${where} has ${keys.length} fields, more than the ${LIMITS.fieldsPerObject} allowed; remove the unknown fields`);
  }
  for (const key of keys) {
    if (known.includes(key)) continue;
    const meant = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (meant !== undefined) {
      throw policyError(`${where} has field ${quote(key)}; spell it exactly ${quote(meant)} (field names are case-sensitive here)`);
    }
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
