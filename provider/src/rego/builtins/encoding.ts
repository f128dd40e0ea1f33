/** Encoding builtins: json, yaml, base64, base64url, hex, urlquery. */
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import type { Value } from '../value.js';
import { RObject, RSet, fromJSON, toJSON } from '../value.js';
import { type Builtin, anyOf, fail, obj, str } from './types.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });

/** Go encoding/json output for a Rego value: object keys sorted, sets as arrays, no HTML escaping of `<>&`. */
export function jsonMarshal(v: Value): string {
  return JSON.stringify(toJSON(v));
}

function jsonUnmarshal(s: string, name: string): Value {
  try { return fromJSON(JSON.parse(s)); } catch (e) { return fail(`${name}: ${(e as Error).message}`); }
}

function b64decode(s: string, url: boolean, name: string): string {
  const re = url ? /^[A-Za-z0-9_-]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  if (!re.test(s) || (!url && s.length % 4 !== 0)) fail(`${name}: illegal base64 data at input byte ${Math.max(0, s.search(/[^A-Za-z0-9+/_=-]/))}`);
  return Buffer.from(s, url ? 'base64url' : 'base64').toString('utf8');
}

function urlEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function urlDecode(s: string, name: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return fail(`${name}: invalid URL escape`); }
}

export const encodingBuiltins: Readonly<Record<string, Builtin>> = {
  'json.marshal': b(1, (a) => jsonMarshal(a[0] as Value)),
  'json.marshal_with_options': b(2, (a) => {
    const opts = obj('json.marshal_with_options', a, 1);
    const indent = opts.get('indent'), prefix = opts.get('prefix');
    const pretty = opts.get('pretty') === true || indent !== undefined || prefix !== undefined;
    if (!pretty) return jsonMarshal(a[0] as Value);
    const ind = typeof indent === 'string' ? indent : '\t';
    const pre = typeof prefix === 'string' ? prefix : '';
    return JSON.stringify(toJSON(a[0] as Value), null, ind).split('\n').map((l) => pre + l).join('\n');
  }),
  'json.unmarshal': b(1, (a) => jsonUnmarshal(str('json.unmarshal', a, 0), 'json.unmarshal')),
  'json.is_valid': b(1, (a) => { if (typeof a[0] !== 'string') return false; try { JSON.parse(a[0]); return true; } catch { return false; } }),
  'yaml.marshal': b(1, (a) => yamlStringify(toJSON(a[0] as Value))),
  'yaml.unmarshal': b(1, (a) => {
    try { return fromJSON(yamlParse(str('yaml.unmarshal', a, 0), { maxAliasCount: 100 }) ?? null); } catch (e) { return fail(`yaml.unmarshal: ${(e as Error).message}`); }
  }),
  'yaml.is_valid': b(1, (a) => { if (typeof a[0] !== 'string') return false; try { yamlParse(a[0]); return true; } catch { return false; } }),
  'base64.encode': b(1, (a) => Buffer.from(str('base64.encode', a, 0), 'utf8').toString('base64')),
  'base64.decode': b(1, (a) => b64decode(str('base64.decode', a, 0), false, 'base64.decode')),
  'base64.is_valid': b(1, (a) => typeof a[0] === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(a[0]) && a[0].length % 4 === 0),
  'base64url.encode': b(1, (a) => { const s = Buffer.from(str('base64url.encode', a, 0), 'utf8').toString('base64url'); return s + '='.repeat((4 - (s.length % 4)) % 4); }),
  'base64url.encode_no_pad': b(1, (a) => Buffer.from(str('base64url.encode_no_pad', a, 0), 'utf8').toString('base64url')),
  'base64url.decode': b(1, (a) => b64decode(str('base64url.decode', a, 0), true, 'base64url.decode')),
  'hex.encode': b(1, (a) => Buffer.from(str('hex.encode', a, 0), 'utf8').toString('hex')),
  'hex.decode': b(1, (a) => {
    const s = str('hex.decode', a, 0);
    const bad = [...s].find((ch) => !/[0-9a-fA-F]/.test(ch));
    if (bad !== undefined) fail(`hex.decode: encoding/hex: invalid byte: U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} '${bad}'`);
    if (s.length % 2 !== 0) fail('hex.decode: encoding/hex: odd length hex string');
    return Buffer.from(s, 'hex').toString('utf8');
  }),
  'urlquery.encode': b(1, (a) => urlEncode(str('urlquery.encode', a, 0))),
  'urlquery.decode': b(1, (a) => urlDecode(str('urlquery.decode', a, 0), 'urlquery.decode')),
  'urlquery.encode_object': b(1, (a) => {
    const o = obj('urlquery.encode_object', a, 0);
    const parts: string[] = [];
    for (const [k, v] of o.sortedEntries()) {
      if (typeof k !== 'string') return anyOf('urlquery.encode_object', a, 0, 'object');
      const vals = typeof v === 'string' ? [v] : Array.isArray(v) ? (v as readonly Value[]) : v instanceof RSet ? v.sorted() : fail('urlquery.encode_object: values must be strings, arrays or sets');
      for (const x of vals) parts.push(`${urlEncode(k)}=${urlEncode(typeof x === 'string' ? x : fail('urlquery.encode_object: values must be strings'))}`);
    }
    return parts.join('&');
  }),
  'urlquery.decode_object': b(1, (a) => {
    const out = new Map<string, string[]>();
    for (const part of str('urlquery.decode_object', a, 0).split(/[&;]/)) {
      if (part === '') continue;
      const [k = '', v = ''] = part.split(/=(.*)/s);
      const key = urlDecode(k, 'urlquery.decode_object');
      out.set(key, [...(out.get(key) ?? []), urlDecode(v, 'urlquery.decode_object')]);
    }
    return new RObject([...out].map(([k, v]) => [k, v] as const));
  }),
};
