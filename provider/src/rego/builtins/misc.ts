/** Units, bits, casts, hashes / HMAC, walk, graph reachability, semver, uuid, rand. */
import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { BuiltinError } from '../errors.js';
import type { Value } from '../value.js';
import { RObject, RSet, compare, typeName } from '../value.js';
import { type Builtin, anyOf, coll, fail, int, obj, str } from './types.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });

const DECIMAL: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15, e: 1e18 };
const BINARY: Readonly<Record<string, number>> = { ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40, pi: 2 ** 50, ei: 2 ** 60 };

function splitAmount(name: string, raw: string, what: string): [number, string] {
  const s = raw.replace(/"/g, '');
  if (s.includes(' ')) fail(`${name}: spaces not allowed in resource strings`);
  const i = s.search(/[^0-9.]/);
  const num = i < 0 ? s : s.slice(0, i);
  const unit = i < 0 ? '' : s.slice(i);
  if (num === '') fail(`${name}: no ${what} provided`);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) fail(`${name}: could not parse ${what} to a number`);
  return [Number(num), unit];
}

function parseUnits(a: readonly Value[]): Value {
  const [n, unit0] = splitAmount('units.parse', str('units.parse', a, 0), 'amount');
  const unit = unit0.length > 1 ? unit0[0] + unit0.slice(1).toLowerCase() : unit0;
  if (unit === 'm') return n / 1000;
  const lower = unit.toLowerCase();
  if (unit === 'M' || (lower !== 'm' && DECIMAL[lower] !== undefined && unit.length === 1)) return n * (DECIMAL[lower] as number);
  if (unit === '') return n;
  if (BINARY[lower] !== undefined) return n * (BINARY[lower] as number);
  return fail(`units.parse: unknown unit ${unit0}`);
}

function parseBytes(a: readonly Value[]): Value {
  const [n, unit0] = splitAmount('units.parse_bytes', str('units.parse_bytes', a, 0), 'byte amount');
  const u = unit0.toLowerCase().replace(/b$/, '');
  const f = DECIMAL[u] ?? BINARY[u];
  if (f === undefined) fail(`units.parse_bytes: byte unit ${unit0} not recognized`);
  return Math.floor(n * (f as number));
}

function bitsOp(name: string, f: (x: bigint, y: bigint) => bigint, unsignedRhs = false): Builtin {
  return b(2, (a) => {
    const x = int(name, a, 0), y = int(name, a, 1);
    if (unsignedRhs && y < 0) throw new BuiltinError('eval_type_error', `${name}: operand 2 must be an unsigned integer number but got a negative integer`);
    return Number(f(BigInt(x), BigInt(y)));
  });
}

function hash(alg: string): Builtin { return b(1, (a) => createHash(alg).update(str(`crypto.${alg}`, a, 0), 'utf8').digest('hex')); }
function hmac(alg: string): Builtin {
  return b(2, (a) => createHmac(alg, Buffer.from(str(`crypto.hmac.${alg}`, a, 1), 'utf8')).update(str(`crypto.hmac.${alg}`, a, 0), 'utf8').digest('hex'));
}

function walk(v: Value, path: Value[], out: Value[]): void {
  out.push([path.slice(), v]);
  if (Array.isArray(v)) (v as readonly Value[]).forEach((x, i) => walk(x, [...path, i], out));
  else if (v instanceof RObject) for (const [k, x] of v.sortedEntries()) walk(x, [...path, k], out);
  else if (v instanceof RSet) for (const x of v.sorted()) walk(x, [...path, x], out);
}

function edges(graph: RObject, node: Value): Value[] {
  const e = graph.get(node);
  if (e === undefined || e === null) return [];
  if (Array.isArray(e)) return [...(e as readonly Value[])];
  if (e instanceof RSet) return [...e.values()];
  return [];
}

function reachable(a: readonly Value[]): Value {
  const g = obj('graph.reachable', a, 0);
  const seen = new RSet();
  const stack = [...coll('graph.reachable', a, 1)];
  while (stack.length > 0) {
    const n = stack.pop() as Value;
    if (seen.has(n) || !g.has(n)) continue;
    seen.add(n);
    stack.push(...edges(g, n));
  }
  return seen;
}

function reachablePaths(a: readonly Value[]): Value {
  const g = obj('graph.reachable_paths', a, 0);
  const out = new RSet();
  const visit = (n: Value, path: Value[]): void => {
    if (!g.has(n)) { if (path.length > 0) out.add(path); return; }
    const next = [...path, n];
    const succ = edges(g, n).filter((s) => !next.some((p) => compare(p, s) === 0));
    if (succ.length === 0) { out.add(next); return; }
    for (const s of succ) visit(s, next);
  };
  for (const n of coll('graph.reachable_paths', a, 1)) visit(n, []);
  return out;
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

function semverCompare(x: string, y: string): number {
  const mx = SEMVER.exec(x), my = SEMVER.exec(y);
  if (!mx) fail(`semver.compare: operand 1: string ${JSON.stringify(x)} is not a valid SemVer`);
  if (!my) fail(`semver.compare: operand 2: string ${JSON.stringify(y)} is not a valid SemVer`);
  const px = mx as RegExpExecArray, py = my as RegExpExecArray;
  for (let i = 1; i <= 3; i++) { const d = Number(px[i]) - Number(py[i]); if (d !== 0) return Math.sign(d); }
  const ax = px[4], ay = py[4];
  if (ax === undefined || ay === undefined) return ax === ay ? 0 : ax === undefined ? 1 : -1;
  const sx = ax.split('.'), sy = ay.split('.');
  for (let i = 0; i < Math.min(sx.length, sy.length); i++) {
    const a = sx[i] as string, c = sy[i] as string;
    const na = /^\d+$/.test(a), nc = /^\d+$/.test(c);
    if (na && nc) { const d = Number(a) - Number(c); if (d !== 0) return Math.sign(d); }
    else if (na !== nc) return na ? -1 : 1;
    else if (a !== c) return a < c ? -1 : 1;
  }
  return Math.sign(sx.length - sy.length);
}

function uuidParse(a: readonly Value[]): Value | undefined {
  const s = str('uuid.parse', a, 0);
  const m = /^(?:urn:uuid:)?\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/.exec(s);
  if (!m) return undefined;
  const hex = m.slice(1).join('').toLowerCase();
  const bytes = Buffer.from(hex, 'hex');
  const version = (bytes[6] as number) >> 4;
  const v8 = bytes[8] as number;
  const variant = (v8 & 0x80) === 0 ? 'Reserved, NCS backward compatibility' : (v8 & 0xc0) === 0x80 ? 'RFC4122' : (v8 & 0xe0) === 0xc0 ? 'Reserved, Microsoft Corporation backward compatibility' : 'Reserved, reserved for future definition';
  const out = new RObject([['version', version], ['variant', variant]]);
  if (variant === 'RFC4122' && (version === 1 || version === 2)) {
    const timeHex = hex.slice(13, 16) + hex.slice(8, 12) + hex.slice(0, 8);
    const t = BigInt('0x' + timeHex);
    out.set('time', Number((t - 122192928000000000n) * 100n));
    out.set('clocksequence', ((v8 & 0x3f) << 8) | (bytes[9] as number));
    out.set('nodeid', hex.slice(20).match(/../g)?.join('-') ?? '');
    out.set('macvariables', ((bytes[10] as number) & 1) === 1 ? 'local:multicast' : ((bytes[10] as number) & 2) === 2 ? 'local:unicast' : 'global:unicast');
    if (version === 2) { out.set('id', bytes.readUInt32BE(0)); out.set('domain', ['Person', 'Group', 'Org'][bytes[9] as number] ?? 'Unknown'); }
  }
  return out;
}

export const miscBuiltins: Readonly<Record<string, Builtin>> = {
  'units.parse': b(1, parseUnits),
  'units.parse_bytes': b(1, parseBytes),
  'bits.and': bitsOp('bits.and', (x, y) => x & y),
  'bits.or': bitsOp('bits.or', (x, y) => x | y),
  'bits.xor': bitsOp('bits.xor', (x, y) => x ^ y),
  'bits.lsh': bitsOp('bits.lsh', (x, y) => x << y, true),
  'bits.rsh': bitsOp('bits.rsh', (x, y) => x >> y, true),
  'bits.negate': b(1, (a) => Number(~BigInt(int('bits.negate', a, 0)))),
  'crypto.md5': hash('md5'), 'crypto.sha1': hash('sha1'), 'crypto.sha256': hash('sha256'),
  'crypto.hmac.md5': hmac('md5'), 'crypto.hmac.sha1': hmac('sha1'), 'crypto.hmac.sha256': hmac('sha256'), 'crypto.hmac.sha512': hmac('sha512'),
  'crypto.hmac.equal': b(2, (a) => {
    const x = Buffer.from(str('crypto.hmac.equal', a, 0)), y = Buffer.from(str('crypto.hmac.equal', a, 1));
    return x.length === y.length && timingSafeEqual(x, y);
  }),
  walk: { arity: 1, multi: true, fn: (a) => { const out: Value[] = []; walk(a[0] as Value, [], out); return out; } },
  'graph.reachable': b(2, reachable),
  'graph.reachable_paths': b(2, reachablePaths),
  'semver.is_valid': b(1, (a) => typeof a[0] === 'string' && SEMVER.test(a[0]) && !a[0].startsWith('v')),
  'semver.compare': b(2, (a) => semverCompare(str('semver.compare', a, 0), str('semver.compare', a, 1))),
  'uuid.parse': b(1, uuidParse),
  'rand.intn': b(2, (a, c) => {
    str('rand.intn', a, 0);
    const n = int('rand.intn', a, 1);
    const key = 'rand\u0000' + JSON.stringify([a[0], n]);
    const hit = c.cache.get(key);
    if (typeof hit === 'number') return hit;
    const v = n === 0 ? 0 : randomInt(Math.abs(n));
    c.cache.set(key, v);
    return v;
  }),
  'test.sleep': b(1, () => null),
  to_set: b(1, (a) => new RSet(coll('to_set', a, 0))),
  cast_set: b(1, (a) => new RSet(coll('cast_set', a, 0))),
  cast_array: b(1, (a) => [...coll('cast_array', a, 0)]),
  cast_string: b(1, (a) => str('cast_string', a, 0)),
  cast_boolean: b(1, (a) => (typeof a[0] === 'boolean' ? a[0] : anyOf('cast_boolean', a, 0, 'boolean'))),
  cast_null: b(1, (a) => (a[0] === null ? null : anyOf('cast_null', a, 0, 'null'))),
  cast_object: b(1, (a) => obj('cast_object', a, 0)),
  type_of: b(1, (a) => typeName(a[0] as Value)),
};
