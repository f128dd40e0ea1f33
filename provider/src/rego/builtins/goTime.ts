/**
 * Go time layouts (reference time `Mon Jan 2 15:04:05 MST 2006`) for time.parse_ns and time.format, IANA time
 * zones through Intl, and nanosecond arithmetic in BigInt (Rego numbers are doubles; results are converted last).
 */
import { fail } from './types.js';

export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006', UnixDate: 'Mon Jan _2 15:04:05 MST 2006', RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST', RFC822Z: '02 Jan 06 15:04 -0700', RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST', RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700', RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00', Kitchen: '3:04PM', Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000', StampMicro: 'Jan _2 15:04:05.000000', StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05', DateOnly: '2006-01-02', TimeOnly: '15:04:05',
};

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const TOKENS = ['January', 'Monday', 'Z07:00:00', '-07:00:00', 'Z07:00', '-07:00', 'Z0700', '-0700', 'Z07', '-07', '2006', 'Jan', 'Mon', 'MST',
  '.000000000', '.999999999', '.000000', '.999999', '.000', '.999', ',000', ',999', '_2', '01', '02', '03', '04', '05', '06', '15', 'PM', 'pm', '1', '2', '3', '4', '5'];

export const MIN_NS = -(2n ** 63n), MAX_NS = 2n ** 63n - 1n;

function tokenize(layout: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < layout.length) {
    let tok = TOKENS.find((t) => layout.startsWith(t, i));
    if (tok && /^[.,][09]+$/.test(tok)) {
      const m = /^[.,](0+|9+)/.exec(layout.slice(i));
      tok = m?.[0] ?? tok;
      if (/[0-9]/.test(layout[i + tok.length] ?? '')) tok = undefined;
    }
    if (tok) { out.push(tok); i += tok.length; } else { out.push(layout[i] as string); i++; }
  }
  return out;
}

export interface Parts { y: number; mo: number; d: number; h: number; mi: number; s: number; ns: number; offsetSec: number; zone: string }

/** Offset (seconds east of UTC) of IANA zone `tz` at the instant `ms`. */
export function zoneOffset(tz: string, ms: number): number {
  if (tz === 'UTC' || tz === '') return 0;
  let f: Intl.DateTimeFormat;
  try { f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }); } catch {
    return fail(`unknown time zone ${tz}`);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(Math.floor(ms / 1000) * 1000)).map((x) => [x.type, Number(x.value)]));
  const local = Date.UTC(p['year'] ?? 1970, (p['month'] ?? 1) - 1, p['day'] ?? 1, p['hour'] ?? 0, p['minute'] ?? 0, p['second'] ?? 0);
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 1000);
}

export function partsOf(ns: bigint, tz: string): Parts {
  const ms = Number(ns / 1000000n) - (ns % 1000000n < 0n ? 1 : 0);
  const off = zoneOffset(tz, ms);
  const d = new Date(Math.floor(ms / 1000) * 1000 + off * 1000);
  const frac = Number(((ns % 1000000000n) + 1000000000n) % 1000000000n);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), ns: frac, offsetSec: off, zone: tz === '' || tz === 'UTC' ? 'UTC' : tz };
}

export function toNs(p: Parts): bigint {
  const secs = BigInt(Math.floor(Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) / 1000) - (p.y < 100 && p.y >= 0 ? 0 : 0));
  const fix = p.y >= 0 && p.y < 100 ? BigInt(Math.floor(new Date(Date.UTC(2000, p.mo - 1, p.d, p.h, p.mi, p.s)).setUTCFullYear(p.y) / 1000)) : secs;
  return (fix - BigInt(p.offsetSec)) * 1000000000n + BigInt(p.ns);
}

const pad = (n: number, w: number): string => String(Math.abs(n)).padStart(w, '0');

function offsetText(sec: number, colon: boolean, withSeconds: boolean, short: boolean): string {
  const sign = sec < 0 ? '-' : '+';
  const a = Math.abs(sec);
  const hh = pad(Math.floor(a / 3600), 2), mm = pad(Math.floor((a % 3600) / 60), 2), ss = pad(a % 60, 2);
  if (short) return sign + hh;
  return sign + hh + (colon ? ':' : '') + mm + (withSeconds ? (colon ? ':' : '') + ss : '');
}

export function format(p: Parts, layout: string): string {
  let out = '';
  const dow = new Date(Date.UTC(2000, p.mo - 1, p.d)).setUTCFullYear(p.y);
  const weekday = DAYS[new Date(dow).getUTCDay()] as string;
  for (const t of tokenize(NAMED_LAYOUTS[layout] ?? layout)) {
    switch (t) {
      case '2006': out += pad(p.y, 4); break;
      case '06': out += pad(p.y % 100, 2); break;
      case 'January': out += MONTHS[p.mo - 1]; break;
      case 'Jan': out += (MONTHS[p.mo - 1] as string).slice(0, 3); break;
      case '01': out += pad(p.mo, 2); break;
      case '1': out += String(p.mo); break;
      case 'Monday': out += weekday; break;
      case 'Mon': out += weekday.slice(0, 3); break;
      case '02': out += pad(p.d, 2); break;
      case '_2': out += String(p.d).padStart(2, ' '); break;
      case '2': out += String(p.d); break;
      case '15': out += pad(p.h, 2); break;
      case '03': out += pad(p.h % 12 === 0 ? 12 : p.h % 12, 2); break;
      case '3': out += String(p.h % 12 === 0 ? 12 : p.h % 12); break;
      case '04': out += pad(p.mi, 2); break;
      case '4': out += String(p.mi); break;
      case '05': out += pad(p.s, 2); break;
      case '5': out += String(p.s); break;
      case 'PM': out += p.h >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += p.h >= 12 ? 'pm' : 'am'; break;
      case 'MST': out += p.offsetSec === 0 && p.zone === 'UTC' ? 'UTC' : shortZone(p); break;
      case 'Z07:00': case 'Z0700': case 'Z07': case 'Z07:00:00':
        out += p.offsetSec === 0 ? 'Z' : offsetText(p.offsetSec, t.includes(':'), t.length > 7, t === 'Z07'); break;
      case '-07:00': case '-0700': case '-07': case '-07:00:00':
        out += offsetText(p.offsetSec, t.includes(':'), t.length > 6, t === '-07'); break;
      default:
        if (/^[.,][09]+$/.test(t)) {
          const digits = pad(p.ns, 9).slice(0, t.length - 1);
          out += t[1] === '9' ? (digits.replace(/0+$/, '') === '' ? '' : t[0] + digits.replace(/0+$/, '')) : t[0] + digits;
        } else out += t;
    }
  }
  return out;
}

function shortZone(p: Parts): string {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: p.zone, timeZoneName: 'short' }).formatToParts(new Date(Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi) - p.offsetSec * 1000)).find((x) => x.type === 'timeZoneName')?.value;
    if (name && !/^GMT[+-]/.test(name)) return name;
  } catch { /* fall through */ }
  return offsetText(p.offsetSec, false, false, false).replace(/00$/, '');
}

/** Parses `value` with a Go layout; returns nanoseconds since the epoch. */
export function parseLayout(layout: string, value: string, name: string): bigint {
  const toks = tokenize(NAMED_LAYOUTS[layout] ?? layout);
  const p: Parts = { y: 1, mo: 1, d: 1, h: 0, mi: 0, s: 0, ns: 0, offsetSec: 0, zone: 'UTC' };
  let pm: boolean | undefined;
  let i = 0;
  const bad = (): never => fail(`${name}: parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse`);
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(value.slice(i));
    if (!m) return bad();
    i += m[0].length;
    return Number(m[0]);
  };
  const word = (list: readonly string[], len?: number): number => {
    const idx = list.findIndex((w) => value.slice(i, i + (len ?? w.length)).toLowerCase() === (len ? w.slice(0, len) : w).toLowerCase());
    if (idx < 0) return bad();
    i += len ?? (list[idx] as string).length;
    return idx;
  };
  for (const t of toks) {
    switch (t) {
      case '2006': p.y = num(4, 4); break;
      case '06': { const y = num(2, 2); p.y = y >= 69 ? 1900 + y : 2000 + y; break; }
      case 'January': p.mo = word(MONTHS) + 1; break;
      case 'Jan': p.mo = word(MONTHS, 3) + 1; break;
      case '01': p.mo = num(2, 2); break;
      case '1': p.mo = num(1, 2); break;
      case 'Monday': word(DAYS); break;
      case 'Mon': word(DAYS, 3); break;
      case '02': p.d = num(2, 2); break;
      case '_2': if (value[i] === ' ') i++; p.d = num(1, 2); break;
      case '2': p.d = num(1, 2); break;
      case '15': p.h = num(1, 2); break;
      case '03': case '3': p.h = num(t.length, 2); break;
      case '04': case '4': p.mi = num(t.length, 2); break;
      case '05': case '5': {
        p.s = num(t.length, 2);
        const m = /^[.,](\d+)/.exec(value.slice(i));
        if (m && !toks.some((x) => /^[.,][09]+$/.test(x))) { p.ns = Number((m[1] as string).padEnd(9, '0').slice(0, 9)); i += m[0].length; }
        break;
      }
      case 'PM': case 'pm': { const s = value.slice(i, i + 2).toUpperCase(); if (s !== 'AM' && s !== 'PM') bad(); pm = s === 'PM'; i += 2; break; }
      case 'MST': { const m = /^[A-Z]{3,5}|^[+-]\d\d/.exec(value.slice(i)); if (!m) bad(); i += (m as RegExpExecArray)[0].length; break; }
      default:
        if (/^[Z-]07/.test(t)) {
          if (t.startsWith('Z') && value[i] === 'Z') { i++; break; }
          const m = /^([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?/.exec(value.slice(i));
          if (!m) bad();
          const mm = m as RegExpExecArray;
          p.offsetSec = (mm[1] === '-' ? -1 : 1) * (Number(mm[2]) * 3600 + Number(mm[3] ?? 0) * 60 + Number(mm[4] ?? 0));
          i += mm[0].length;
        } else if (/^[.,][09]+$/.test(t)) {
          const m = /^[.,](\d+)/.exec(value.slice(i));
          if (m) { p.ns = Number((m[1] as string).padEnd(9, '0').slice(0, 9)); i += m[0].length; } else if (t[1] === '0') bad();
        } else {
          if (value[i] !== t) bad();
          i++;
        }
    }
  }
  if (i !== value.length) fail(`${name}: parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(value.slice(i))}`);
  if (pm !== undefined) { if (p.h === 12) p.h = 0; if (pm) p.h += 12; }
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31 || p.h > 23 || p.mi > 59 || p.s > 59) fail(`${name}: parsing time ${JSON.stringify(value)}: value out of range`);
  const ns = toNs(p);
  if (ns < MIN_NS || ns > MAX_NS) fail(`${name}: time outside of valid range`);
  return ns;
}

/** Go's time.ParseDuration. */
export function parseDuration(s: string, name: string): bigint {
  const units: Readonly<Record<string, bigint>> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1000000n, s: 1000000000n, m: 60000000000n, h: 3600000000000n };
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) { neg = rest[0] === '-'; rest = rest.slice(1); }
  if (rest === '0') return 0n;
  if (rest === '') fail(`${name}: time: invalid duration ${JSON.stringify(s)}`);
  let total = 0n;
  while (rest.length > 0) {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return fail(`${name}: time: invalid duration ${JSON.stringify(s)}`);
    const unit = units[m[3] as string] as bigint;
    const frac = m[2] ?? '';
    total += BigInt(m[1] || '0') * unit + (frac === '' ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length));
    rest = rest.slice(m[0].length);
  }
  return neg ? -total : total;
}
