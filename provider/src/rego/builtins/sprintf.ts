/**
 * `sprintf` with Go fmt semantics for the verbs policies use (%v %s %d %f %e %g %x %X %o %b %q %t %c %%), flags,
 * width and precision; composite values print in Rego syntax (OPA passes them as ast values whose String() is used).
 */
import type { Value } from '../value.js';
import { RBig, RObject, RSet } from '../value.js';
import { type Builtin, arr, str } from './types.js';

/** Go's strconv.Quote for the printable-ASCII-and-Unicode common case. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029').replace(/[\u007f]/g, '\\x7f');
}

/** Go %v of a float64 (shortest repr; exponent when exp < -4 or >= 21). */
export function goFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '');
    return `${m}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
  }
  return String(n);
}

export function numberRepr(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? String(n) : goFloat(n);
}

/** Rego's text form of a value (ast.Value String()). */
export function regoRepr(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return numberRepr(v);
  if (v instanceof RBig) return v.value.toString();
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `[${(v as readonly Value[]).map(regoRepr).join(', ')}]`;
  if (v instanceof RSet) return v.size === 0 ? 'set()' : `{${v.sorted().map(regoRepr).join(', ')}}`;
  return `{${(v as RObject).sortedEntries().map(([k, x]) => `${regoRepr(k)}: ${regoRepr(x)}`).join(', ')}}`;
}

function pad(s: string, width: number | undefined, flags: string, numeric: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (flags.includes('-')) return s + ' '.repeat(width - s.length);
  if (flags.includes('0') && numeric) {
    const sign = /^[+-]/.test(s) ? (s[0] as string) : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

function typeTag(v: Value): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return '<nil>';
  return Array.isArray(v) ? 'ast.Array' : v instanceof RSet ? 'ast.Set' : 'ast.Object';
}

function bad(verb: string, v: Value): string {
  if (v === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeTag(v)}=${typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : regoRepr(v)})`;
}

function formatOne(verb: string, flags: string, width: number | undefined, prec: number | undefined, v: Value): string {
  if (v instanceof RBig && 'vsd'.includes(verb)) return pad(v.value.toString(), width, flags, true);
  const plus = flags.includes('+') ? '+' : '';
  const withSign = (s: string, n: number): string => (n >= 0 && !s.startsWith('-') ? plus + s : s);
  switch (verb) {
    case 'v':
      if (typeof v === 'string') return pad(v, width, flags, false);
      if (typeof v === 'number') return pad(withSign(numberRepr(v), v), width, flags, true);
      return pad(regoRepr(v), width, flags, false);
    case 's':
      if (typeof v === 'string') return pad(prec !== undefined ? [...v].slice(0, prec).join('') : v, width, flags, false);
      if (typeof v === 'number') return bad('s', v);
      return pad(regoRepr(v), width, flags, false);
    case 'q':
      return typeof v === 'string' ? pad(goQuote(v), width, flags, false) : bad('q', v);
    case 't':
      return typeof v === 'boolean' ? pad(String(v), width, flags, false) : bad('t', v);
    case 'd':
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad('d', v);
      return pad(withSign(BigInt(v).toString(), v), width, flags, true);
    case 'x': case 'X': case 'o': case 'b': {
      const base = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
      if (typeof v === 'string' && base === 16) {
        const hex = Buffer.from(v, 'utf8').toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, width, flags, false);
      }
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad(verb, v);
      const s = (v < 0 ? '-' : '') + BigInt(Math.abs(v)).toString(base);
      return pad(verb === 'X' ? s.toUpperCase() : s, width, flags, true);
    }
    case 'c':
      return typeof v === 'number' && Number.isInteger(v) ? String.fromCodePoint(v) : bad('c', v);
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      let s: string;
      if (verb === 'f' || verb === 'F') s = v.toFixed(prec ?? 6);
      else if (verb === 'e' || verb === 'E') {
        s = v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        if (verb === 'E') s = s.toUpperCase();
      } else s = prec !== undefined ? String(Number(v.toPrecision(prec))) : goFloat(v);
      return pad(withSign(s, v), width, flags, true);
    }
    default:
      return `%!${verb}(${typeTag(v)}=${typeof v === 'string' ? v : regoRepr(v)})`;
  }
}

export function sprintf(format: string, args: readonly Value[]): string {
  let out = '';
  let ai = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', w, p, verb = ''] = m;
    if (verb === '%') { out += '%'; continue; }
    let width = w === undefined ? undefined : w === '*' ? Number(args[ai++]) : Number(w);
    const prec = m[0].includes('.') ? (p === undefined ? 0 : p === '*' ? Number(args[ai++]) : Number(p)) : undefined;
    if (width !== undefined && Number.isNaN(width)) width = undefined;
    if (ai >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    out += formatOne(verb, flags, width, prec, args[ai++] as Value);
  }
  out += format.slice(last);
  if (ai < args.length) {
    out += '%!(EXTRA ' + args.slice(ai).map((v) => `${typeTag(v)}=${typeof v === 'string' ? v : regoRepr(v)}`).join(', ') + ')';
  }
  return out;
}

export const sprintfBuiltins: Readonly<Record<string, Builtin>> = {
  sprintf: { arity: 2, fn: (a) => sprintf(str('sprintf', a, 0), arr('sprintf', a, 1)) },
};
