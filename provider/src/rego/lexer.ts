/** Rego tokenizer: identifiers, numbers, strings (JSON escapes and raw back-quoted), operators, comments. */
import { RegoError } from './errors.js';

export type TokKind = 'ident' | 'number' | 'string' | 'op' | 'eof';

export interface Token {
  readonly kind: TokKind;
  readonly text: string;
  /** Decoded value for strings. */
  readonly str?: string;
  readonly row: number;
  readonly col: number;
  /** A newline separates this token from the previous one. */
  readonly nl: boolean;
  readonly pos: number;
  readonly end: number;
}

const OPS3: readonly string[] = [];
const OPS2 = [':=', '==', '!=', '<=', '>='];
const OPS1 = '[]{}().,;:=<>+-*/%&|!';
export const MAX_SOURCE = 8 * 1024 * 1024;

export function tokenize(src: string, file: string): Token[] {
  if (src.length > MAX_SOURCE) throw new RegoError('rego_parse_error', `module is larger than ${MAX_SOURCE} bytes`, { file, row: 1, col: 1 });
  const toks: Token[] = [];
  let i = 0, row = 1, lineStart = 0, nl = false;
  const err = (msg: string, at: number): never => {
    throw new RegoError('rego_parse_error', msg, { file, row, col: at - lineStart + 1 });
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '\n') { i++; row++; lineStart = i; nl = true; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const start = i, col = i - lineStart + 1, startRow = row;
    const push = (kind: TokKind, text: string, str?: string): void => {
      toks.push({ kind, text, ...(str !== undefined ? { str } : {}), row: startRow, col, nl, pos: start, end: i });
      nl = false;
    };
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i] as string)) i++;
      push('ident', src.slice(start, i));
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:0|[1-9][0-9]*)?(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 400));
      const text = m?.[0] ?? '';
      if (text === '') err('illegal number', i);
      i += text.length;
      if (/[A-Za-z_0-9]/.test(src[i] ?? '')) err(`illegal number format: ${text}${src[i] ?? ''}`, start);
      push('number', text);
      continue;
    }
    if (c === '"') {
      i++;
      let out = '';
      for (;;) {
        if (i >= src.length || src[i] === '\n') err('non-terminated string', start);
        const d = src[i] as string;
        if (d === '"') { i++; break; }
        if (d === '\\') {
          const e = src[i + 1];
          const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e !== undefined && simple[e] !== undefined) { out += simple[e]; i += 2; continue; }
          if (e === 'u') {
            const hex = src.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) err('illegal escape sequence in string', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            continue;
          }
          err('illegal escape sequence in string', i);
        }
        out += d;
        i++;
      }
      push('string', src.slice(start, i), out);
      continue;
    }
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) err('non-terminated raw string', start);
      const raw = src.slice(i + 1, close);
      for (const ch of raw) if (ch === '\n') { row++; }
      if (raw.includes('\n')) lineStart = start + 1 + raw.lastIndexOf('\n') + 1;
      i = close + 1;
      push('string', src.slice(start, i), raw);
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS3.includes(src.slice(i, i + 3))) { i += 3; push('op', src.slice(start, i)); continue; }
    if (OPS2.includes(two)) { i += 2; push('op', two); continue; }
    if (OPS1.includes(c)) { i++; push('op', c); continue; }
    err(`illegal token '${c}'`, i);
  }
  toks.push({ kind: 'eof', text: '', row, col: i - lineStart + 1, nl: true, pos: i, end: i });
  return toks;
}
