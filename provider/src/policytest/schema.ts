/**
 * Constraint parameters against the template's openAPIV3Schema, the checks the Constraint CRD's structural schema
 * makes on the API server: types, enums, items, properties, pattern, maxLength, maxItems (unknown fields are pruned
 * there, so allowed here).
 */
import { type Json, type JsonObject, isObj } from './yamlFiles.js';

export function validateParameters(schema: Json | undefined, value: Json | undefined, path = 'spec.parameters', depth = 0): string[] {
  if (!isObj(schema) || value === undefined || depth > 64) return [];
  if (value === null) return schema['nullable'] === true || schema['type'] === undefined ? [] : [`${path}: must not be null`];
  const errs: string[] = [];
  const t = schema['type'];
  const actual = Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
  const typeOk = t === undefined || schema['x-kubernetes-int-or-string'] === true
    || (t === 'integer' ? typeof value === 'number' && Number.isInteger(value) : t === 'number' ? typeof value === 'number' : t === actual);
  if (!typeOk) return [`${path}: Invalid value: "${actual}": ${path} in body must be of type ${String(t)}: "${actual}"`];
  if (Array.isArray(schema['enum']) && !schema['enum'].some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errs.push(`${path}: Unsupported value: ${JSON.stringify(value)}: supported values: ${schema['enum'].map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof value === 'string') errs.push(...stringProblems(schema, value, path));
  if (Array.isArray(value) && typeof schema['maxItems'] === 'number' && value.length > schema['maxItems']) {
    errs.push(`${path}: Too many: ${value.length}: must have at most ${schema['maxItems']} items`);
  }
  if (Array.isArray(value) && isObj(schema['items'])) {
    value.forEach((v, i) => errs.push(...validateParameters(schema['items'], v, `${path}[${i}]`, depth + 1)));
  }
  if (isObj(value) && !Array.isArray(value)) {
    const props = isObj(schema['properties']) ? schema['properties'] : {};
    for (const [k, v] of Object.entries(value)) {
      if (props[k] !== undefined) errs.push(...validateParameters(props[k], v, `${path}.${k}`, depth + 1));
      else if (isObj(schema['additionalProperties'])) errs.push(...validateParameters(schema['additionalProperties'], v, `${path}.${k}`, depth + 1));
    }
    if (Array.isArray(schema['required'])) for (const r of schema['required']) if (typeof r === 'string' && !(r in value)) errs.push(`${path}.${r}: Required value`);
  }
  return errs;
}

/** `pattern` (unanchored, as the API server applies it) and `maxLength` (in characters). */
function stringProblems(schema: JsonObject, value: string, path: string): string[] {
  const errs: string[] = [];
  const max = schema['maxLength'];
  if (typeof max === 'number' && [...value].length > max) errs.push(`${path}: Too long: may not be longer than ${max}`);
  const pattern = schema['pattern'];
  if (typeof pattern === 'string') {
    const re = compilePattern(pattern);
    if (typeof re === 'string') return [...errs, `${path}: the template's schema pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${re}`];
    if (!re.test(value)) errs.push(`${path}: Invalid value: ${JSON.stringify(value)}: ${path} in body should match '${pattern}'`);
  }
  return errs;
}

/** A schema pattern (RE2 syntax on the API server) as a JavaScript RegExp: unicode mode, else legacy mode, else why not. */
function compilePattern(pattern: string): RegExp | string {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch (e) {
      return (e as Error).message;
    }
  }
}
