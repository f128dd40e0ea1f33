/** String builtins (OPA semantics: indexes and lengths count Unicode code points). */
import { BuiltinError } from '../errors.js';
import type { Value } from '../value.js';
import { RSet, typeName } from '../value.js';
import { type Builtin, anyOf, arr, coll, fail, int, num, obj, str } from './types.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });
const runes = (s: string): string[] => [...s];

function strings(name: string, a: readonly Value[], i: number): string[] {
  const v = a[i] as Value;
  if (typeof v === 'string') return [v];
  const kind = v instanceof RSet ? 'set' : 'array';
  return coll(name, a, i, 'one of {string, set, array}').map((x) => (typeof x === 'string' ? x : (() => {
    throw new BuiltinError('eval_type_error', `${name}: operand ${i + 1} must be ${kind} of strings but got ${kind} containing ${typeName(x)}`);
  })()));
}

function trimSet(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set(runes(cut));
  const r = runes(s);
  let i = 0, j = r.length;
  if (left) while (i < j && set.has(r[i] as string)) i++;
  if (right) while (j > i && set.has(r[j - 1] as string)) j--;
  return r.slice(i, j).join('');
}

function indexOf(s: string, sub: string, from = 0): number {
  const idx = s.indexOf(sub, from);
  return idx < 0 ? -1 : [...s.slice(0, idx)].length;
}

export const stringBuiltins: Readonly<Record<string, Builtin>> = {
  concat: b(2, (a) => {
    const d = str('concat', a, 0);
    const v = a[1] as Value;
    const items = v instanceof RSet ? v.sorted() : Array.isArray(v) ? (v as readonly Value[]) : anyOf('concat', a, 1, 'one of {array, set}');
    return items.map((x) => (typeof x === 'string' ? x : anyOf('concat', a, 1, 'one of {array, set}'))).join(d);
  }),
  contains: b(2, (a) => str('contains', a, 0).includes(str('contains', a, 1))),
  startswith: b(2, (a) => str('startswith', a, 0).startsWith(str('startswith', a, 1))),
  endswith: b(2, (a) => str('endswith', a, 0).endsWith(str('endswith', a, 1))),
  lower: b(1, (a) => str('lower', a, 0).toLowerCase()),
  upper: b(1, (a) => str('upper', a, 0).toUpperCase()),
  split: b(2, (a) => str('split', a, 0).split(str('split', a, 1))),
  replace: b(3, (a) => str('replace', a, 0).split(str('replace', a, 1)).join(str('replace', a, 2))),
  'strings.replace_n': b(2, (a) => {
    const pats = obj('strings.replace_n', a, 0);
    let s = str('strings.replace_n', a, 1);
    const pairs = pats.sortedEntries().map(([k, v]) => {
      if (typeof k !== 'string') throw new BuiltinError('eval_type_error', 'strings.replace_n: operand 1 non-string key found in pattern object');
      if (typeof v !== 'string') throw new BuiltinError('eval_type_error', 'strings.replace_n: operand 1 non-string value found in pattern object');
      return [k, v] as const;
    });
    let out = '';
    let i = 0;
    outer: while (i < s.length) {
      for (const [k, v] of pairs) if (k !== '' && s.startsWith(k, i)) { out += v; i += k.length; continue outer; }
      out += s[i];
      i++;
    }
    s = out;
    return s;
  }),
  'strings.reverse': b(1, (a) => runes(str('strings.reverse', a, 0)).reverse().join('')),
  'strings.any_prefix_match': b(2, (a) => {
    const ss = strings('strings.any_prefix_match', a, 0), ps = strings('strings.any_prefix_match', a, 1);
    return ss.some((s) => ps.some((p) => s.startsWith(p)));
  }),
  'strings.any_suffix_match': b(2, (a) => {
    const ss = strings('strings.any_suffix_match', a, 0), ps = strings('strings.any_suffix_match', a, 1);
    return ss.some((s) => ps.some((p) => s.endsWith(p)));
  }),
  'strings.count': b(2, (a) => {
    const s = str('strings.count', a, 0), sub = str('strings.count', a, 1);
    if (sub === '') return runes(s).length + 1;
    return s.split(sub).length - 1;
  }),
  substring: b(3, (a) => {
    const s = runes(str('substring', a, 0));
    const off = int('substring', a, 1), len = int('substring', a, 2);
    if (off < 0) fail('substring: negative offset');
    if (off >= s.length) return '';
    return (len < 0 ? s.slice(off) : s.slice(off, off + len)).join('');
  }),
  indexof: b(2, (a) => indexOf(str('indexof', a, 0), str('indexof', a, 1))),
  indexof_n: b(2, (a) => {
    const s = str('indexof_n', a, 0), sub = str('indexof_n', a, 1);
    const out: number[] = [];
    if (sub === '') return out;
    for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) out.push([...s.slice(0, i)].length);
    return out;
  }),
  trim: b(2, (a) => trimSet(str('trim', a, 0), str('trim', a, 1), true, true)),
  trim_left: b(2, (a) => trimSet(str('trim_left', a, 0), str('trim_left', a, 1), true, false)),
  trim_right: b(2, (a) => trimSet(str('trim_right', a, 0), str('trim_right', a, 1), false, true)),
  trim_prefix: b(2, (a) => { const s = str('trim_prefix', a, 0), p = str('trim_prefix', a, 1); return s.startsWith(p) ? s.slice(p.length) : s; }),
  trim_suffix: b(2, (a) => { const s = str('trim_suffix', a, 0), p = str('trim_suffix', a, 1); return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s; }),
  trim_space: b(1, (a) => str('trim_space', a, 0).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, '')),
  format_int: b(2, (a) => {
    const n = num('format_int', a, 0), base = num('format_int', a, 1);
    if (![2, 8, 10, 16].includes(base)) throw new BuiltinError('eval_type_error', 'format_int: operand 2 must be one of {2, 8, 10, 16}');
    const t = Math.trunc(n);
    return (t < 0 ? '-' : '') + BigInt(Math.abs(t)).toString(base);
  }),
  'strings.render_template': b(2, (a) => {
    const tpl = str('strings.render_template', a, 0);
    const vars = obj('strings.render_template', a, 1);
    return tpl.replace(/\{\{\s*\.([A-Za-z0-9_]+)\s*\}\}/g, (_m, k: string) => {
      const v = vars.get(k);
      return v === undefined ? '<no value>' : typeof v === 'string' ? v : JSON.stringify(v);
    });
  }),
  'array.concat': b(2, (a) => [...arr('array.concat', a, 0), ...arr('array.concat', a, 1)]),
  'array.slice': b(3, (a) => {
    const xs = arr('array.slice', a, 0);
    let s = int('array.slice', a, 1), e = int('array.slice', a, 2);
    if (s < 0) s = 0;
    if (e > xs.length) e = xs.length;
    return s >= e ? [] : xs.slice(s, e);
  }),
  'array.reverse': b(1, (a) => [...arr('array.reverse', a, 0)].reverse()),
};
