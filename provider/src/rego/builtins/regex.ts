/**
 * Regex and glob builtins. OPA uses Go's RE2; JavaScript's engine is the closest available. Translation:
 * `(?P<name>` -> `(?<name>`, leading `(?i)`/`(?s)`/`(?m)` flags -> JS flags, `\A` -> `^`, `\z` -> `$`.
 * Differences that remain: JS allows backreferences and lookaround (RE2 rejects them; we reject them too),
 * RE2 character classes like `[[:alpha:]]` are translated, `\C` and `\Q..\E` are unsupported. Patterns are compiled
 * once per evaluation (cache) and must be at most 64 KiB.
 */
import type { Value } from '../value.js';
import { type Builtin, type BuiltinContext, arr, fail, int, str } from './types.js';
import { globsIntersect } from './globIntersect.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });
const POSIX: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s', word: '\\w', xdigit: '0-9A-Fa-f', punct: '!-\\/:-@\\[-`{-~',
};

export function compileRegex(pattern: string, ctx: BuiltinContext | undefined, name: string): RegExp {
  const ck = 're\u0000' + pattern;
  const hit = ctx?.cache.get(ck);
  if (hit instanceof RegExp) { hit.lastIndex = 0; return hit; }
  if (pattern.length > 65536) fail(`${name}: pattern longer than 65536 characters`);
  if (/\\[1-9]|\(\?[=!]|\(\?<[=!]/.test(pattern)) fail(`${name}: error parsing regexp: invalid or unsupported Perl syntax`);
  const open = /(^|[^\\])\[(?![^\]]*\])/.exec(pattern);
  if (open) fail(`${name}: error parsing regexp: missing closing ]: \`${pattern.slice(open.index + open[1]!.length)}\``);
  let src = pattern;
  let flags = 'u';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) { src = src.slice(m[0].length); for (const f of m[1] ?? '') if ('ims'.includes(f) && !flags.includes(f)) flags += f; }
  src = src.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$').replace(/\[:(\^?)([a-z]+):\]/g, (all, neg: string, cls: string) => (POSIX[cls] && !neg ? POSIX[cls] : all));
  let re: RegExp;
  try { re = new RegExp(src, flags); } catch {
    try { re = new RegExp(src, flags.replace('u', '')); } catch (e) { return fail(`${name}: error parsing regexp: ${(e as Error).message}`); }
  }
  ctx?.cache.set(ck, re);
  return re;
}

function global(re: RegExp): RegExp { return new RegExp(re.source, re.flags + 'g'); }

export const regexBuiltins: Readonly<Record<string, Builtin>> = {
  'regex.match': b(2, (a, c) => compileRegex(str('regex.match', a, 0), c, 'regex.match').test(str('regex.match', a, 1))),
  re_match: b(2, (a, c) => compileRegex(str('re_match', a, 0), c, 're_match').test(str('re_match', a, 1))),
  'regex.is_valid': b(1, (a) => { if (typeof a[0] !== 'string') return false; try { compileRegex(a[0], undefined, 'regex.is_valid'); return true; } catch { return false; } }),
  'regex.split': b(2, (a, c) => str('regex.split', a, 1).split(compileRegex(str('regex.split', a, 0), c, 'regex.split'))),
  'regex.replace': b(3, (a, c) => {
    const re = global(compileRegex(str('regex.replace', a, 1), c, 'regex.replace'));
    const repl = str('regex.replace', a, 2).replace(/\$(\d+|\{\w+\})/g, (_x, g: string) => '$' + (g.startsWith('{') ? (/^\{\d+\}$/.test(g) ? g.slice(1, -1) : `<${g.slice(1, -1)}>`) : g));
    return str('regex.replace', a, 0).replace(re, repl);
  }),
  'regex.find_n': b(3, (a, c) => {
    const re = global(compileRegex(str('regex.find_n', a, 0), c, 'regex.find_n'));
    const n = int('regex.find_n', a, 2);
    const all = [...str('regex.find_n', a, 1).matchAll(re)].map((m) => m[0]);
    return n < 0 ? all : all.slice(0, n);
  }),
  'regex.find_all_string_submatch_n': b(3, (a, c) => {
    const re = global(compileRegex(str('regex.find_all_string_submatch_n', a, 0), c, 'regex.find_all_string_submatch_n'));
    const n = int('regex.find_all_string_submatch_n', a, 2);
    const all: Value[] = [...str('regex.find_all_string_submatch_n', a, 1).matchAll(re)].map((m) => [...m].map((g) => g ?? ''));
    return n < 0 ? all : all.slice(0, n);
  }),
  'regex.template_match': b(4, (a, c) => {
    const tpl = str('regex.template_match', a, 0), s = str('regex.template_match', a, 1);
    const open = str('regex.template_match', a, 2), close = str('regex.template_match', a, 3);
    let src = '';
    let i = 0;
    while (i < tpl.length) {
      const o = tpl.indexOf(open, i);
      if (o < 0) { src += escapeRe(tpl.slice(i)); break; }
      const e = tpl.indexOf(close, o + open.length);
      if (e < 0) fail('regex.template_match: unbalanced delimiters');
      src += escapeRe(tpl.slice(i, o)) + '(?:' + tpl.slice(o + open.length, e) + ')';
      i = e + close.length;
    }
    return compileRegex('^' + src + '$', c, 'regex.template_match').test(s);
  }),
  'regex.globs_match': b(2, (a) => globsIntersect(str('regex.globs_match', a, 0), str('regex.globs_match', a, 1), 'regex.globs_match')),
  'glob.quote_meta': b(1, (a) => str('glob.quote_meta', a, 0).replace(/[*?\\[\]{}]/g, '\\$&')),
  'glob.match': b(3, (a, c) => {
    const pat = str('glob.match', a, 0);
    const d = a[1] as Value;
    // null: no delimiters; an empty array: the default delimiter ".".
    const list = d === null ? [] : arr('glob.match', a, 1).map((x) => (typeof x === 'string' ? x : fail('glob.match: delimiters must be strings')));
    const delims = d !== null && list.length === 0 ? ['.'] : list;
    const ck = 'glob\u0000' + pat + '\u0000' + delims.join('\u0001');
    let re = c.cache.get(ck);
    if (!(re instanceof RegExp)) { re = globToRegex(pat, delims); c.cache.set(ck, re); }
    return (re as RegExp).test(str('glob.match', a, 2));
  }),
};

function escapeRe(s: string): string { return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'); }

/** gobwas/glob syntax: `*` (not crossing delimiters), `**` (any), `?`, `[abc]`, `[!a-z]`, `{a,b}`, `\` escapes. */
export function globToRegex(pat: string, delims: readonly string[]): RegExp {
  const notDelim = delims.length === 0 ? '[\\s\\S]' : `[^${delims.map((x) => escapeRe(x)).join('')}]`;
  let out = '';
  let depth = 0;
  for (let i = 0; i < pat.length; i++) {
    const ch = pat[i] as string;
    if (ch === '\\') { i++; out += escapeRe(pat[i] ?? '\\'); continue; }
    if (ch === '*') { if (pat[i + 1] === '*') { out += '[\\s\\S]*'; i++; } else out += `${notDelim}*`; continue; }
    if (ch === '?') { out += notDelim; continue; }
    if (ch === '[') {
      const end = pat.indexOf(']', i + 1);
      if (end < 0) fail('glob.match: unexpected end of input');
      let body = pat.slice(i + 1, end);
      const neg = body.startsWith('!');
      if (neg) body = body.slice(1);
      out += `[${neg ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = end;
      continue;
    }
    if (ch === '{') { depth++; out += '(?:'; continue; }
    if (ch === '}' && depth > 0) { depth--; out += ')'; continue; }
    if (ch === ',' && depth > 0) { out += '|'; continue; }
    out += escapeRe(ch);
  }
  if (depth !== 0) fail('glob.match: unexpected end of input');
  return new RegExp(`^${out}$`, 'u');
}
