/** net.cidr_* builtins: IPv4 and IPv6 prefixes as BigInt ranges. */
import type { Value } from '../value.js';
import { RSet, RObject } from '../value.js';
import { type Builtin, anyOf, fail, str } from './types.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });

interface Prefix { readonly v6: boolean; readonly addr: bigint; readonly bits: number }
const width = (p: { v6: boolean }): number => (p.v6 ? 128 : 32);

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseIPv6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const x = parseIPv4(v4[1] as string);
    if (x === undefined) return undefined;
    tail = [x >> 16n, x & 0xffffn];
    text = text.slice(0, -(v4[1] as string).length) + (text.endsWith('::' + v4[1]) ? '' : '0');
    if (text.endsWith(':0') && !s.endsWith('::' + v4[1])) text = text.slice(0, -2);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const grp = (h: string): bigint[] | undefined => (h === '' ? [] : h.split(':').every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? h.split(':').map((g) => BigInt('0x' + g)) : undefined);
  const head = grp(halves[0] as string), rest = halves.length === 2 ? grp(halves[1] as string) : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<bigint>(8 - total).fill(0n), ...rest, ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function parseAddr(s: string): { v6: boolean; addr: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { v6: false, addr: v4 };
  const v6 = s.includes(':') ? parseIPv6(s) : undefined;
  return v6 === undefined ? undefined : { v6: true, addr: v6 };
}

export function parseCIDR(s: string, name: string): Prefix {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const a = m ? parseAddr(m[1] as string) : undefined;
  const bits = Number(m?.[2]);
  if (!a || bits > width(a)) return fail(`${name}: invalid CIDR address: ${s}`);
  return { ...a, bits };
}

/** A CIDR or a bare address (as a full-length prefix). */
function parseEither(s: string, name: string): Prefix {
  if (s.includes('/')) return parseCIDR(s, name);
  const a = parseAddr(s);
  if (!a) return fail(`${name}: invalid IP address: ${s}`);
  return { ...a, bits: width(a) };
}

const first = (p: Prefix): bigint => (p.addr >> BigInt(width(p) - p.bits)) << BigInt(width(p) - p.bits);
const last = (p: Prefix): bigint => first(p) + (1n << BigInt(width(p) - p.bits)) - 1n;
const contains = (x: Prefix, y: Prefix): boolean => x.v6 === y.v6 && first(x) <= first(y) && last(y) <= last(x);
const intersects = (x: Prefix, y: Prefix): boolean => x.v6 === y.v6 && first(x) <= last(y) && first(y) <= last(x);

function formatAddr(v6: boolean, a: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((a >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((a >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const formatPrefix = (p: Prefix): string => `${formatAddr(p.v6, first(p))}/${p.bits}`;

/** Entries of an array / set / object operand as [key, cidr string]; arrays of [cidr, ...] tuples allowed. */
function entries(name: string, a: readonly Value[], i: number): [Value, string][] {
  const v = a[i] as Value;
  const pick = (key: Value, x: Value): [Value, string] => {
    if (typeof x === 'string') return [key, x];
    if (Array.isArray(x) && typeof x[0] === 'string') return [key, x[0]];
    return fail(`${name}: operand ${i + 1}: element must be string or non-empty array`);
  };
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return (v as readonly Value[]).map((x, n) => pick(n, x));
  if (v instanceof RSet) return [...v.values()].map((x) => pick(x, x));
  if (v instanceof RObject) return [...v.entries()].map(([k, x]) => pick(k, x));
  return anyOf(name, a, i, 'one of {string, array, set, object}');
}

function merge(a: readonly Value[]): Value {
  const v = a[0] as Value;
  const items = Array.isArray(v) ? (v as readonly Value[]) : v instanceof RSet ? [...v.values()] : anyOf('net.cidr_merge', a, 0, 'one of {array, set}');
  const ps: Prefix[] = items.map((x) => {
    if (typeof x !== 'string') return anyOf('net.cidr_merge', a, 0, 'one of {array, set}');
    if (!x.includes('/')) {
      const ad = parseAddr(x);
      if (!ad) return fail(`net.cidr_merge: IPv4 invalid: ${x}`);
      if (ad.v6) return fail('net.cidr_merge: IPv6 invalid: needs prefix length');
      // Go's net.IP.DefaultMask: the classful mask of the address.
      const top = Number(ad.addr >> 24n);
      return { ...ad, bits: top < 128 ? 8 : top < 192 ? 16 : top < 224 ? 24 : 32 };
    }
    return parseCIDR(x, 'net.cidr_merge');
  });
  const out: string[] = [];
  for (const v6 of [false, true]) {
    let ranges = ps.filter((p) => p.v6 === v6).map((p) => [first(p), last(p)] as [bigint, bigint]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const merged: [bigint, bigint][] = [];
    for (const r of ranges) {
      const top = merged[merged.length - 1];
      if (top && r[0] <= top[1] + 1n) { if (r[1] > top[1]) top[1] = r[1]; } else merged.push([r[0], r[1]]);
    }
    ranges = merged;
    const w = v6 ? 128 : 32;
    for (const [lo0, hi] of ranges) {
      let lo = lo0;
      while (lo <= hi) {
        let bits = w;
        while (bits > 0) {
          const size = 1n << BigInt(w - bits + 1);
          if (lo % size !== 0n || lo + size - 1n > hi) break;
          bits--;
        }
        out.push(formatPrefix({ v6, addr: lo, bits }));
        lo += 1n << BigInt(w - bits);
      }
    }
  }
  return new RSet(out);
}

export const netBuiltins: Readonly<Record<string, Builtin>> = {
  'net.cidr_contains': b(2, (a) => contains(parseCIDR(str('net.cidr_contains', a, 0), 'net.cidr_contains'), parseEither(str('net.cidr_contains', a, 1), 'net.cidr_contains'))),
  'net.cidr_intersects': b(2, (a) => intersects(parseCIDR(str('net.cidr_intersects', a, 0), 'net.cidr_intersects'), parseCIDR(str('net.cidr_intersects', a, 1), 'net.cidr_intersects'))),
  'net.cidr_overlap': b(2, (a) => contains(parseCIDR(str('net.cidr_overlap', a, 0), 'net.cidr_overlap'), parseEither(str('net.cidr_overlap', a, 1), 'net.cidr_overlap'))),
  'net.cidr_is_valid': b(1, (a) => { if (typeof a[0] !== 'string') return false; try { parseCIDR(a[0], 'net.cidr_is_valid'); return true; } catch { return false; } }),
  'net.cidr_expand': b(1, (a) => {
    const p = parseCIDR(str('net.cidr_expand', a, 0), 'net.cidr_expand');
    const n = last(p) - first(p);
    if (n > 65536n) fail('net.cidr_expand: CIDR too large to expand');
    const out = new RSet();
    for (let x = first(p); x <= last(p); x++) out.add(formatAddr(p.v6, x));
    return out;
  }),
  'net.cidr_contains_matches': b(2, (a) => {
    const xs = entries('net.cidr_contains_matches', a, 0), ys = entries('net.cidr_contains_matches', a, 1);
    const out = new RSet();
    for (const [kx, cx] of xs) {
      const px = parseCIDR(cx, 'net.cidr_contains_matches');
      for (const [ky, cy] of ys) if (contains(px, parseEither(cy, 'net.cidr_contains_matches'))) out.add([kx, ky]);
    }
    return out;
  }),
  'net.cidr_merge': b(1, merge),
};
