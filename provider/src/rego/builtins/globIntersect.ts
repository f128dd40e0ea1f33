/**
 * regex.globs_match: whether two "glob-like regexes" (literals, `.`, `[...]` classes, `*` and `+`) can match a
 * common string — the emptiness test of the product of their automata (as the glob-intersection library OPA uses).
 */
import { fail } from './types.js';

type Tok = { readonly kind: 'any' } | { readonly kind: 'lit'; readonly ch: string } | { readonly kind: 'class'; readonly neg: boolean; readonly ranges: readonly (readonly [string, string])[] };
interface Item { readonly tok: Tok; readonly quant: '' | '*' | '+' }

function parse(p: string, name: string): Item[] {
  const items: Item[] = [];
  const chars = [...p];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    let tok: Tok;
    if (c === '\\') { i++; tok = { kind: 'lit', ch: chars[i] ?? '\\' }; }
    else if (c === '.') tok = { kind: 'any' };
    else if (c === '[') {
      const ranges: [string, string][] = [];
      let j = i + 1;
      const neg = chars[j] === '^';
      if (neg) j++;
      for (; j < chars.length && chars[j] !== ']'; j++) {
        let lo = chars[j] as string;
        if (lo === '\\') lo = chars[++j] ?? '\\';
        if (chars[j + 1] === '-' && chars[j + 2] !== undefined && chars[j + 2] !== ']') { ranges.push([lo, chars[j + 2] as string]); j += 2; }
        else ranges.push([lo, lo]);
      }
      if (j >= chars.length) fail(`${name}: input:${p}, pos:${i + 1}, set-open '[' with no closing ']': the input provided is invalid`);
      i = j;
      tok = { kind: 'class', neg, ranges };
    } else if (c === ']') {
      return fail(`${name}: input:${p}, pos:${i + 1}, set-close ']' with no preceding '[': the input provided is invalid`);
    } else if (c === '*' || c === '+') {
      return fail(`${name}: input:${p}, pos:${i + 1}, quantifier without a preceding token: the input provided is invalid`);
    } else tok = { kind: 'lit', ch: c };
    const q = chars[i + 1];
    const quant = q === '*' || q === '+' ? q : '';
    if (quant) i++;
    items.push({ tok, quant });
  }
  return items;
}

function matches(t: Tok, ch: string): boolean {
  if (t.kind === 'any') return true;
  if (t.kind === 'lit') return t.ch === ch;
  return t.ranges.some(([lo, hi]) => lo <= ch && ch <= hi) !== t.neg;
}

function candidates(t: Tok): string[] {
  if (t.kind === 'lit') return [t.ch];
  if (t.kind === 'class') return t.ranges.flatMap(([lo, hi]) => [lo, hi]).concat(['a', '0', '~', '\u00ff']);
  return ['a', '0', '~', '\u00ff'];
}

function overlap(a: Tok, b: Tok): boolean {
  return [...candidates(a), ...candidates(b)].some((ch) => matches(a, ch) && matches(b, ch));
}

/** States are item indexes; from state i, epsilon moves skip `*` items. */
function closure(items: readonly Item[], i: number): number[] {
  const out = [i];
  while (i < items.length && items[i]?.quant === '*') out.push(++i);
  return out;
}

export function globsIntersect(x: string, y: string, name: string): boolean {
  const a = parse(x, name), b = parse(y, name);
  const seen = new Set<string>();
  const queue: [number, number][] = [];
  const push = (i: number, j: number): void => {
    for (const ci of closure(a, i)) for (const cj of closure(b, j)) {
      const k = `${ci},${cj}`;
      if (!seen.has(k)) { seen.add(k); queue.push([ci, cj]); }
    }
  };
  push(0, 0);
  while (queue.length > 0) {
    const [i, j] = queue.shift() as [number, number];
    if (i === a.length && j === b.length) return true;
    const ia = a[i], jb = b[j];
    if (!ia || !jb || !overlap(ia.tok, jb.tok)) continue;
    const nextA = ia.quant === '' ? [i + 1] : [i, i + 1];
    const nextB = jb.quant === '' ? [j + 1] : [j, j + 1];
    for (const ni of nextA) for (const nj of nextB) push(ni, nj);
  }
  return false;
}
