/** json.patch: RFC 6902 operations on Rego values, with sets addressed by their elements (like OPA). */
import type { Value } from '../value.js';
import { RObject, RSet, equal, index } from '../value.js';
import { type Builtin, arr, obj } from './types.js';

class PatchFailed extends Error {}
const no = (): never => { throw new PatchFailed(); };
const need = (v: Value | undefined): Value => (v === undefined ? no() : v);

function parsePath(p: Value | undefined): Value[] {
  if (Array.isArray(p)) return [...(p as readonly Value[])];
  if (typeof p !== 'string') return no();
  if (p === '') return [];
  return p.replace(/^\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(seg: Value, len: number, allowEnd: boolean): number {
  if (seg === '-' && allowEnd) return len;
  const n = typeof seg === 'number' ? seg : typeof seg === 'string' && /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > (allowEnd ? len : len - 1)) return no();
  return n;
}

function child(v: Value, seg: Value): Value {
  if (Array.isArray(v)) return v[arrayIndex(seg, v.length, false)] as Value;
  const c = index(v, seg);
  return c === undefined ? no() : c;
}

function get(doc: Value, path: readonly Value[]): Value {
  return path.reduce<Value>((v, seg) => child(v, seg), doc);
}

/** Rebuilds `doc` with `f` applied to the parent of the last path segment. */
function update(doc: Value, path: readonly Value[], f: (parent: Value, last: Value) => Value): Value {
  if (path.length === 1) return f(doc, path[0] as Value);
  const [seg, ...rest] = path as [Value, ...Value[]];
  const next = update(child(doc, seg), rest, f);
  if (Array.isArray(doc)) { const i = arrayIndex(seg, doc.length, false); const c = [...(doc as readonly Value[])]; c[i] = next; return c; }
  if (doc instanceof RObject) { const c = new RObject(doc.entries()); c.set(seg, next); return c; }
  if (doc instanceof RSet) { const c = new RSet([...doc.values()].filter((x) => !equal(x, seg))); c.add(next); return c; }
  return no();
}

function add(doc: Value, path: readonly Value[], value: Value): Value {
  if (path.length === 0) return value;
  return update(doc, path, (p, last) => {
    if (Array.isArray(p)) { const i = arrayIndex(last, p.length, true); const c = [...(p as readonly Value[])]; c.splice(i, 0, value); return c; }
    if (p instanceof RObject) { const c = new RObject(p.entries()); c.set(last, value); return c; }
    if (p instanceof RSet) { if (!equal(last, value)) no(); const c = new RSet(p.values()); c.add(value); return c; }
    return no();
  });
}

function remove(doc: Value, path: readonly Value[]): Value {
  if (path.length === 0) return no();
  return update(doc, path, (p, last) => {
    if (Array.isArray(p)) { const i = arrayIndex(last, p.length, false); return (p as readonly Value[]).filter((_, n) => n !== i); }
    if (p instanceof RObject) { if (!p.has(last)) no(); return new RObject([...p.entries()].filter(([k]) => !equal(k, last))); }
    if (p instanceof RSet) { if (!p.has(last)) no(); return new RSet([...p.values()].filter((x) => !equal(x, last))); }
    return no();
  });
}

function apply(doc: Value, op: Value): Value {
  if (!(op instanceof RObject)) return no();
  const path = parsePath(op.get('path'));
  const value = op.has('value') ? (op.get('value') as Value) : undefined;
  switch (op.get('op')) {
    case 'add': return add(doc, path, need(value));
    case 'remove': return remove(doc, path);
    case 'replace': get(doc, path); return path.length === 0 ? need(value) : add(remove(doc, path), path, need(value));
    case 'move': {
      const from = parsePath(op.get('from'));
      if (from.length < path.length && from.every((s, i) => equal(s, path[i] as Value))) no();
      const v = get(doc, from);
      return add(remove(doc, from), path, v);
    }
    case 'copy': return add(doc, path, get(doc, parsePath(op.get('from'))));
    case 'test': return equal(get(doc, path), need(value)) ? doc : no();
    default: return no();
  }
}

export const jsonPatchBuiltins: Readonly<Record<string, Builtin>> = {
  'json.patch': {
    arity: 2,
    fn: (a) => {
      const patches = arr('json.patch', a, 1);
      for (const p of patches) obj('json.patch', [p], 0);
      try { return patches.reduce<Value>(apply, a[0] as Value); } catch (e) {
        if (e instanceof PatchFailed) return undefined;
        throw e;
      }
    },
  },
};
