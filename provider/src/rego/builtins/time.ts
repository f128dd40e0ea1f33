/** Time builtins (time.*): nanoseconds since the epoch, Go layouts, IANA zones. */
import type { Value } from '../value.js';
import { RBig } from '../value.js';
import { type Builtin, anyOf, arr, fail, int, num, str } from './types.js';
import { DAYS, MAX_NS, MIN_NS, format, parseDuration, parseLayout, partsOf, toNs } from './goTime.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });
const out = (ns: bigint, name: string): number => {
  if (ns < MIN_NS || ns > MAX_NS) fail(`${name}: time outside of valid range`);
  return Number(ns);
};

/** `ns` or `[ns, tz]` or `[ns, tz, layout]`. */
function instant(name: string, a: readonly Value[]): { ns: bigint; tz: string; layout: string | undefined } {
  const v = a[0] as Value;
  let nsv: Value;
  let tz = 'UTC';
  let layout: string | undefined;
  if (Array.isArray(v)) {
    const xs = arr(name, a, 0);
    nsv = xs[0] as Value;
    if (typeof xs[1] === 'string') tz = xs[1] === '' ? 'UTC' : xs[1];
    if (typeof xs[2] === 'string') layout = xs[2];
  } else nsv = v;
  if (nsv instanceof RBig) nsv = nsv.toNumber();
  if (typeof nsv !== 'number') return anyOf(name, a, 0, 'one of {number, array}');
  if (!Number.isFinite(nsv) || Math.abs(nsv) > 9.3e18) fail(`${name}: timestamp too big`);
  return { ns: BigInt(Math.trunc(nsv)), tz: tz === 'Local' ? 'UTC' : tz, layout };
}

function parseRFC3339(s: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return fail(`time.parse_rfc3339_ns: parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  const off = m[8] === 'Z' || m[8] === 'z' ? 0 : (m[8]?.startsWith('-') ? -1 : 1) * (Number(m[8]?.slice(1, 3)) * 3600 + Number(m[8]?.slice(4, 6)) * 60);
  const ns = toNs({ y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]), h: Number(m[4]), mi: Number(m[5]), s: Number(m[6]), ns: Number((m[7] ?? '').padEnd(9, '0')), offsetSec: off, zone: 'UTC' });
  if (ns < MIN_NS || ns > MAX_NS) fail('time.parse_rfc3339_ns: time outside of valid range');
  return ns;
}

function diff(a: readonly Value[]): Value {
  const x = instant('time.diff', [a[0] as Value]), y = instant('time.diff', [a[1] as Value]);
  let p1 = partsOf(x.ns, x.tz), p2 = partsOf(y.ns, x.tz);
  if (x.ns > y.ns) [p1, p2] = [p2, p1];
  let ys = p2.y - p1.y, mo = p2.mo - p1.mo, d = p2.d - p1.d, h = p2.h - p1.h, mi = p2.mi - p1.mi, s = p2.s - p1.s;
  if (s < 0) { s += 60; mi--; }
  if (mi < 0) { mi += 60; h--; }
  if (h < 0) { h += 24; d--; }
  if (d < 0) { d += new Date(Date.UTC(p1.y, p1.mo, 0)).getUTCDate(); mo--; }
  if (mo < 0) { mo += 12; ys--; }
  return [ys, mo, d, h, mi, s];
}

export const timeBuiltins: Readonly<Record<string, Builtin>> = {
  'time.parse_ns': b(2, (a) => out(parseLayout(str('time.parse_ns', a, 0), str('time.parse_ns', a, 1), 'time.parse_ns'), 'time.parse_ns')),
  'time.parse_rfc3339_ns': b(1, (a) => out(parseRFC3339(str('time.parse_rfc3339_ns', a, 0)), 'time.parse_rfc3339_ns')),
  'time.parse_duration_ns': b(1, (a) => Number(parseDuration(str('time.parse_duration_ns', a, 0), 'time.parse_duration_ns'))),
  'time.date': b(1, (a) => { const { ns, tz } = instant('time.date', a); const p = partsOf(ns, tz); return [p.y, p.mo, p.d]; }),
  'time.clock': b(1, (a) => { const { ns, tz } = instant('time.clock', a); const p = partsOf(ns, tz); return [p.h, p.mi, p.s]; }),
  'time.weekday': b(1, (a) => {
    const { ns, tz } = instant('time.weekday', a);
    const p = partsOf(ns, tz);
    return DAYS[new Date(new Date(Date.UTC(2000, p.mo - 1, p.d)).setUTCFullYear(p.y)).getUTCDay()] as string;
  }),
  'time.add_date': b(4, (a) => {
    const ns = BigInt(Math.trunc(num('time.add_date', a, 0)));
    const p = partsOf(ns, 'UTC');
    const d = new Date(Date.UTC(2000, p.mo - 1 + int('time.add_date', a, 2), p.d + int('time.add_date', a, 3), p.h, p.mi, p.s));
    d.setUTCFullYear(d.getUTCFullYear() - 2000 + p.y + int('time.add_date', a, 1));
    const secs = BigInt(Math.floor(d.getTime() / 1000));
    return out(secs * 1000000000n + BigInt(p.ns), 'time.add_date');
  }),
  'time.diff': b(2, diff),
  'time.format': b(1, (a) => {
    const { ns, tz, layout } = instant('time.format', a);
    return format(partsOf(ns, tz), layout ?? 'RFC3339Nano');
  }),
};
