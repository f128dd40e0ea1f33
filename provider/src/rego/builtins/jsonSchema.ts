/**
 * json.verify_schema / json.match_schema: a JSON Schema (draft 4-7 core keywords) validator whose messages follow
 * gojsonschema, which OPA uses (type, required, enum, const, properties, additionalProperties, items, min/max
 * bounds, pattern, allOf / anyOf / oneOf / not). `$ref` other than `#` roots and formats are not checked.
 */
import type { Value } from '../value.js';
import { RObject, fromJSON, toJSON, type JSONValue } from '../value.js';
import { type Builtin, anyOf, fail } from './types.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];
type J = JSONValue;
const isObj = (x: J | undefined): x is { [k: string]: J } => typeof x === 'object' && x !== null && !Array.isArray(x);

function loadJSON(v: Value, name: string, pos: number): J {
  if (typeof v === 'string') { try { return JSON.parse(v) as J; } catch (e) { return fail(`${name}: ${(e as Error).message}`); } }
  if (v instanceof RObject || typeof v === 'boolean') return toJSON(v);
  const args: Value[] = [];
  args[pos - 1] = v;
  return anyOf(name, args, pos - 1, 'one of {string, object, boolean}');
}

function checkSchema(s: J, where = ''): string | undefined {
  if (typeof s === 'boolean') return undefined;
  if (!isObj(s)) return `jsonschema: ${where || 'schema'} must be an object or boolean`;
  const t = s['type'];
  for (const x of Array.isArray(t) ? t : t === undefined ? [] : [t]) {
    if (typeof x !== 'string' || !TYPES.includes(x)) return `jsonschema: has a primitive type that is NOT VALID -- given: /${String(x)}/ Expected valid values are:[${TYPES.join(' ')}]`;
  }
  for (const k of ['properties', 'patternProperties', 'definitions']) {
    const p = s[k];
    if (isObj(p)) for (const [n, sub] of Object.entries(p)) { const e = checkSchema(sub, `${k}.${n}`); if (e) return e; }
  }
  for (const k of ['items', 'additionalProperties', 'not']) { const sub = s[k]; if (sub !== undefined && !Array.isArray(sub)) { const e = checkSchema(sub, k); if (e) return e; } }
  for (const k of ['allOf', 'anyOf', 'oneOf']) { const list = s[k]; if (Array.isArray(list)) for (const sub of list) { const e = checkSchema(sub, k); if (e) return e; } }
  return undefined;
}

interface Err { field: string; type: string; desc: string }

function typeOf(v: J): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(s: J, v: J, field: string, errs: Err[], root: J): void {
  if (s === true) return;
  if (s === false) { errs.push({ field, type: 'false', desc: 'False always fails validation' }); return; }
  if (!isObj(s)) return;
  if (s['$ref'] === '#') { validate(root, v, field, errs, root); return; }
  const t = s['type'];
  if (t !== undefined) {
    const allowed = Array.isArray(t) ? (t as string[]) : [t as string];
    const actual = typeOf(v);
    if (!allowed.some((a) => a === actual || (a === 'number' && actual === 'integer'))) {
      errs.push({ field, type: 'invalid_type', desc: `Invalid type. Expected: ${allowed.join(', ')}, given: ${actual}` });
      return;
    }
  }
  if (Array.isArray(s['enum']) && !s['enum'].some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push({ field, type: 'enum', desc: `${field} must be one of the following: ${s['enum'].map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if ('const' in s && JSON.stringify(s['const']) !== JSON.stringify(v)) errs.push({ field, type: 'const', desc: `${field} does not match: ${JSON.stringify(s['const'])}` });
  if (typeof v === 'number') {
    if (typeof s['minimum'] === 'number' && v < s['minimum']) errs.push({ field, type: 'number_gte', desc: `Must be greater than or equal to ${s['minimum']}` });
    if (typeof s['maximum'] === 'number' && v > s['maximum']) errs.push({ field, type: 'number_lte', desc: `Must be less than or equal to ${s['maximum']}` });
  }
  if (typeof v === 'string') {
    const n = [...v].length;
    if (typeof s['minLength'] === 'number' && n < s['minLength']) errs.push({ field, type: 'string_gte', desc: `String length must be greater than or equal to ${s['minLength']}` });
    if (typeof s['maxLength'] === 'number' && n > s['maxLength']) errs.push({ field, type: 'string_lte', desc: `String length must be less than or equal to ${s['maxLength']}` });
    if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern'], 'u').test(v)) errs.push({ field, type: 'pattern', desc: `Does not match pattern '${s['pattern']}'` });
  }
  if (Array.isArray(v)) {
    if (typeof s['minItems'] === 'number' && v.length < s['minItems']) errs.push({ field, type: 'array_min_items', desc: `Array must have at least ${s['minItems']} items` });
    if (typeof s['maxItems'] === 'number' && v.length > s['maxItems']) errs.push({ field, type: 'array_max_items', desc: `Array must have at most ${s['maxItems']} items` });
    const items = s['items'];
    v.forEach((x, i) => {
      const sub = Array.isArray(items) ? items[i] : items;
      if (sub !== undefined) validate(sub, x, `${field}.${i}`, errs, root);
    });
  }
  if (isObj(v)) {
    const req = Array.isArray(s['required']) ? s['required'] : [];
    for (const r of req) if (typeof r === 'string' && !(r in v)) errs.push({ field, type: 'required', desc: `${r} is required` });
    const props = isObj(s['properties']) ? s['properties'] : {};
    for (const [k, x] of Object.entries(v)) {
      const child = field === '(root)' ? k : `${field}.${k}`;
      if (props[k] !== undefined) validate(props[k] as J, x, child, errs, root);
      else if (s['additionalProperties'] === false) errs.push({ field, type: 'additional_property_not_allowed', desc: `Additional property ${k} is not allowed` });
      else if (isObj(s['additionalProperties'])) validate(s['additionalProperties'], x, child, errs, root);
    }
  }
  const sub = (x: J): Err[] => { const e: Err[] = []; validate(x, v, field, e, root); return e; };
  if (Array.isArray(s['allOf'])) for (const x of s['allOf']) errs.push(...sub(x));
  if (Array.isArray(s['anyOf']) && !s['anyOf'].some((x) => sub(x).length === 0)) errs.push({ field, type: 'number_any_of', desc: 'Must validate at least one schema (anyOf)' });
  if (Array.isArray(s['oneOf']) && s['oneOf'].filter((x) => sub(x).length === 0).length !== 1) errs.push({ field, type: 'number_one_of', desc: 'Must validate one and only one schema (oneOf)' });
  if (s['not'] !== undefined && sub(s['not']).length === 0) errs.push({ field, type: 'number_not', desc: 'Must not validate the schema (not)' });
}

export const jsonSchemaBuiltins: Readonly<Record<string, Builtin>> = {
  'json.verify_schema': {
    arity: 1,
    fn: (a) => { const e = checkSchema(loadJSON(a[0] as Value, 'json.verify_schema', 1)); return [e === undefined, e ?? null]; },
  },
  'json.match_schema': {
    arity: 2,
    fn: (a) => {
      const doc = loadJSON(a[0] as Value, 'json.match_schema', 1);
      const schema = loadJSON(a[1] as Value, 'json.match_schema', 2);
      const bad = checkSchema(schema);
      if (bad) fail(`json.match_schema: ${bad.replace(/^jsonschema: /, '')}`);
      const errs: Err[] = [];
      validate(schema, doc, '(root)', errs, schema);
      return [errs.length === 0, errs.map((e) => fromJSON({ desc: e.desc, error: `${e.field}: ${e.desc}`, field: e.field, type: e.type }))];
    },
  },
};
