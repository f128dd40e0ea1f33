/** Comparison, arithmetic, set operators, membership, aggregates and type checks. */
import { BuiltinError } from '../errors.js';
import type { Value } from '../value.js';
import { RBig, RObject, RSet, compare, equal, typeName } from '../value.js';
import { type Builtin, anyOf, coll, fail, num } from './types.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });
const cmp = (f: (c: number) => boolean): Builtin => b(2, (a) => f(compare(a[0] as Value, a[1] as Value)));

function arith(name: string, f: (x: number, y: number) => number): Builtin {
  return b(2, (a) => {
    const x = num(name, a, 0), y = num(name, a, 1);
    const r = f(x, y);
    if (!Number.isFinite(r)) fail(`${name}: arithmetic result is not finite`);
    return r;
  });
}

function setOp(name: string, f: (x: RSet, y: RSet) => RSet): Builtin {
  return b(2, (a) => {
    const [x, y] = a as [Value, Value];
    if (!(x instanceof RSet)) return anyOf(name, a, 0, 'set');
    if (!(y instanceof RSet)) return anyOf(name, a, 1, 'set');
    return f(x, y);
  });
}

const union = (x: RSet, y: RSet): RSet => new RSet([...x.values(), ...y.values()]);
const inter = (x: RSet, y: RSet): RSet => new RSet([...x.values()].filter((v) => y.has(v)));
const diff = (x: RSet, y: RSet): RSet => new RSet([...x.values()].filter((v) => !y.has(v)));

function member(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return (coll as readonly Value[]).some((e) => equal(e, x));
  if (coll instanceof RSet) return coll.has(x);
  if (coll instanceof RObject) { for (const [, v] of coll.entries()) if (equal(v, x)) return true; }
  return false;
}

function numbers(name: string, a: readonly Value[]): number[] {
  return coll(name, a, 0, 'one of {array, set}').map((v) => (typeof v === 'number' ? v : anyOf(name, a, 0, 'one of {array, set}')));
}

function count(a: readonly Value[]): Value {
  const v = a[0] as Value;
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof RObject || v instanceof RSet) return v.size;
  return anyOf('count', a, 0, 'one of {array, object, set, string}');
}

function minus(a: readonly Value[]): Value {
  const [x, y] = a as [Value, Value];
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (x instanceof RSet && y instanceof RSet) return diff(x, y);
  if (typeof x === 'number' || x instanceof RSet) {
    throw new BuiltinError('eval_type_error', `minus: operand 2 must be ${typeof x === 'number' ? 'number' : 'set'} but got ${typeName(y)}`);
  }
  return anyOf('minus', a, 0, 'one of {number, set}');
}

function rem(a: readonly Value[]): Value {
  const x = num('rem', a, 0), y = num('rem', a, 1);
  if (!Number.isInteger(x) || !Number.isInteger(y)) fail('rem: modulo on floating-point number');
  if (y === 0) fail('rem: modulo by zero');
  return x % y;
}

function div(a: readonly Value[]): Value {
  const x = num('div', a, 0), y = num('div', a, 1);
  if (y === 0) fail('div: divide by zero');
  return x / y;
}

function round(x: number): number { return x < 0 ? -Math.round(-x) : Math.round(x); }

const HTTP_KEYS = ['method', 'url', 'body', 'enable_redirect', 'force_json_decode', 'force_yaml_decode', 'headers', 'raw_body', 'tls_use_system_certs',
  'tls_ca_cert', 'tls_ca_cert_file', 'tls_ca_cert_env_variable', 'tls_client_cert', 'tls_client_cert_file', 'tls_client_cert_env_variable', 'tls_client_key',
  'tls_client_key_file', 'tls_client_key_env_variable', 'tls_insecure_skip_verify', 'tls_server_name', 'timeout', 'cache', 'force_cache',
  'force_cache_duration_seconds', 'raise_error', 'caching_mode', 'max_retry_attempts', 'cache_ignored_headers'];

/** Validates the request like OPA, then refuses: network access is not offered (policies mock it with `with`). */
function httpSend(a: readonly Value[]): Value {
  const req = a[0] as Value;
  if (!(req instanceof RObject)) return anyOf('http.send', a, 0, 'object');
  const bad = req.keys().filter((k) => typeof k !== 'string' || !HTTP_KEYS.includes(k));
  if (bad.length > 0) throw new BuiltinError('eval_type_error', `http.send: invalid request parameters(s): {${bad.map((k) => JSON.stringify(k)).join(', ')}}`);
  const missing = ['method', 'url'].filter((k) => !req.has(k));
  if (missing.length > 0) throw new BuiltinError('eval_type_error', `http.send: missing required request parameters(s): {${missing.map((k) => JSON.stringify(k)).join(', ')}}`);
  return fail('http.send: network access is not offered by this engine; mock it with `with http.send as ...`');
}

export const coreBuiltins: Readonly<Record<string, Builtin>> = {
  equal: b(2, (a) => equal(a[0] as Value, a[1] as Value)),
  neq: b(2, (a) => !equal(a[0] as Value, a[1] as Value)),
  lt: cmp((c) => c < 0), gt: cmp((c) => c > 0), lte: cmp((c) => c <= 0), gte: cmp((c) => c >= 0),
  plus: arith('plus', (x, y) => x + y),
  mul: arith('mul', (x, y) => x * y),
  minus: b(2, minus),
  div: b(2, div),
  rem: b(2, rem),
  abs: b(1, (a) => Math.abs(num('abs', a, 0))),
  round: b(1, (a) => round(num('round', a, 0))),
  ceil: b(1, (a) => Math.ceil(num('ceil', a, 0))),
  floor: b(1, (a) => Math.floor(num('floor', a, 0))),
  and: setOp('and', inter),
  or: setOp('or', union),
  intersection: b(1, (a) => {
    const sets = coll('intersection', a, 0, 'set').map((s) => (s instanceof RSet ? s : anyOf('intersection', a, 0, 'set')));
    if (sets.length === 0) return new RSet();
    return sets.slice(1).reduce(inter, sets[0] as RSet);
  }),
  union: b(1, (a) => coll('union', a, 0, 'set').reduce<RSet>((acc, s) => (s instanceof RSet ? union(acc, s) : anyOf('union', a, 0, 'set')), new RSet())),
  set_diff: setOp('set_diff', diff),
  'internal.member_2': b(2, (a) => member(a[0] as Value, a[1] as Value)),
  'internal.member_3': b(3, (a) => {
    const [k, v, c] = a as [Value, Value, Value];
    if (Array.isArray(c)) { const e = typeof k === 'number' && Number.isInteger(k) ? (c as readonly Value[])[k] : undefined; return e !== undefined && equal(e, v); }
    if (c instanceof RObject) { const e = c.get(k); return e !== undefined && equal(e, v); }
    if (c instanceof RSet) return equal(k, v) && c.has(k);
    return false;
  }),
  count: b(1, count),
  sum: b(1, (a) => numbers('sum', a).reduce((x, y) => x + y, 0)),
  product: b(1, (a) => numbers('product', a).reduce((x, y) => x * y, 1)),
  max: b(1, (a) => { const xs = coll('max', a, 0); return xs.length === 0 ? undefined : xs.reduce((x, y) => (compare(x, y) >= 0 ? x : y)); }),
  min: b(1, (a) => { const xs = coll('min', a, 0); return xs.length === 0 ? undefined : xs.reduce((x, y) => (compare(x, y) <= 0 ? x : y)); }),
  sort: b(1, (a) => [...coll('sort', a, 0)].sort(compare)),
  all: b(1, (a) => coll('all', a, 0).every((v) => v === true)),
  any: b(1, (a) => coll('any', a, 0).some((v) => v === true)),
  type_name: b(1, (a) => typeName(a[0] as Value)),
  is_number: b(1, (a) => typeof a[0] === 'number' || a[0] instanceof RBig),
  is_string: b(1, (a) => typeof a[0] === 'string'),
  is_boolean: b(1, (a) => typeof a[0] === 'boolean'),
  is_array: b(1, (a) => Array.isArray(a[0])),
  is_set: b(1, (a) => a[0] instanceof RSet),
  is_object: b(1, (a) => a[0] instanceof RObject),
  is_null: b(1, (a) => a[0] === null),
  to_number: b(1, (a) => {
    const v = a[0] as Value;
    if (v === null) return 0;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) || v.trim() !== v) fail(`to_number: invalid syntax: strconv.ParseFloat: parsing ${JSON.stringify(v)}`);
      return Number(v);
    }
    return anyOf('to_number', a, 0, 'one of {boolean, null, number, string}');
  }),
  'numbers.range': b(2, (a) => {
    const x = num('numbers.range', a, 0), y = num('numbers.range', a, 1);
    if (!Number.isInteger(x) || !Number.isInteger(y)) throw new BuiltinError('eval_type_error', `numbers.range: operand ${Number.isInteger(x) ? 2 : 1} must be integer number but got floating-point number`);
    const out: number[] = [];
    if (x <= y) for (let i = x; i <= y; i++) out.push(i); else for (let i = x; i >= y; i--) out.push(i);
    return out;
  }),
  'numbers.range_step': b(3, (a) => {
    const x = num('numbers.range_step', a, 0), y = num('numbers.range_step', a, 1), s = num('numbers.range_step', a, 2);
    if (![x, y, s].every(Number.isInteger)) fail('numbers.range_step: operands must be integers');
    if (s <= 0) fail('numbers.range_step: step must be a positive number above zero');
    const out: number[] = [];
    if (x <= y) for (let i = x; i <= y; i += s) out.push(i); else for (let i = x; i >= y; i -= s) out.push(i);
    return out;
  }),
  print: { arity: -1, fn: () => true },
  'time.now_ns': b(0, (_a, c) => c.nowNs()),
  'opa.runtime': b(0, () => new RObject()),
  // Declared so that policies can mock it with `with http.send as ...`; real network access is not offered.
  'http.send': b(1, httpSend),
};
