/** Object and JSON-document builtins: object.get / remove / union / filter / subset, json.filter / remove / patch. */
import type { Value } from '../value.js';
import { BuiltinError } from '../errors.js';
import { RObject, RSet, equal, index, isObject, typeName } from '../value.js';
import { type Builtin, anyOf, arr, coll, fail, obj } from './types.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });

function keysOf(name: string, a: readonly Value[], i: number): Value[] {
  const v = a[i] as Value;
  if (v instanceof RObject) return v.keys();
  return [...coll(name, a, i, 'one of {object, set, array}')];
}

function mergeUnion(x: Value, y: Value): Value {
  if (!(x instanceof RObject) || !(y instanceof RObject)) return y;
  const out = new RObject(x.entries());
  for (const [k, v] of y.entries()) { const cur = out.get(k); out.set(k, cur === undefined ? v : mergeUnion(cur, v)); }
  return out;
}

/** Parses `a/b/c` or `["a","b"]` paths (json.filter / json.remove). */
function parsePaths(name: string, a: readonly Value[], i: number): Value[][] {
  return coll(name, a, i, 'one of {set, array}').map((p) => {
    if (typeof p === 'string') return p.replace(/^\//, '').split('/').filter((s, n, all) => !(s === '' && n === all.length - 1)).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (Array.isArray(p)) return [...(p as readonly Value[])];
    throw new BuiltinError('eval_type_error', `${name}: operand ${i + 1} must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`);
  });
}

interface PathTree { readonly kids: Map<string, { key: Value; tree: PathTree }>; leaf: boolean }
function buildTree(paths: readonly Value[][]): PathTree {
  const root: PathTree = { kids: new Map(), leaf: false };
  for (const p of paths) {
    let t = root;
    for (const seg of p) {
      const k = JSON.stringify(seg);
      let n = t.kids.get(k);
      if (!n) { n = { key: seg, tree: { kids: new Map(), leaf: false } }; t.kids.set(k, n); }
      t = n.tree;
    }
    t.leaf = true;
  }
  return root;
}

function keyMatch(container: Value, seg: Value, k: Value): boolean {
  if (Array.isArray(container)) return String(seg) === String(k);
  return equal(seg, k);
}

function filterDoc(v: Value, t: PathTree): Value | undefined {
  if (t.leaf) return v;
  if (isObject(v)) {
    const out = new RObject();
    for (const [k, x] of v.entries()) for (const { key, tree } of t.kids.values()) if (keyMatch(v, key, k)) { const f = filterDoc(x, tree); if (f !== undefined) out.set(k, f); }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    (v as readonly Value[]).forEach((x, n) => { for (const { key, tree } of t.kids.values()) if (keyMatch(v, key, n)) { const f = filterDoc(x, tree); if (f !== undefined) out.push(f); } });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.values()) for (const { key, tree } of t.kids.values()) if (equal(key, x)) { const f = filterDoc(x, tree); if (f !== undefined) out.add(f); }
    return out;
  }
  return undefined;
}

function removeDoc(v: Value, t: PathTree): Value | undefined {
  if (t.leaf) return undefined;
  const find = (k: Value): PathTree | undefined => { for (const { key, tree } of t.kids.values()) if (keyMatch(v, key, k)) return tree; return undefined; };
  if (isObject(v)) {
    const out = new RObject();
    for (const [k, x] of v.entries()) { const sub = find(k); const r = sub ? removeDoc(x, sub) : x; if (r !== undefined) out.set(k, r); }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    (v as readonly Value[]).forEach((x, n) => { const sub = find(n); const r = sub ? removeDoc(x, sub) : x; if (r !== undefined) out.push(r); });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.values()) { const sub = find(x); const r = sub ? removeDoc(x, sub) : x; if (r !== undefined) out.add(r); }
    return out;
  }
  return v;
}

function subset(sup: Value, sub: Value): boolean {
  if (isObject(sup) && isObject(sub)) {
    for (const [k, v] of sub.entries()) { const s = sup.get(k); if (s === undefined || !subset(s, v)) return false; }
    return true;
  }
  if (sup instanceof RSet && sub instanceof RSet) { for (const v of sub.values()) if (!sup.has(v)) return false; return true; }
  if (Array.isArray(sup) && Array.isArray(sub)) {
    const a = sup as readonly Value[], s = sub as readonly Value[];
    if (s.length === 0) return true;
    for (let i = 0; i + s.length <= a.length; i++) if (s.every((x, j) => equal(a[i + j] as Value, x))) return true;
    return false;
  }
  if (Array.isArray(sup) && sub instanceof RSet) { for (const v of sub.values()) if (!(sup as readonly Value[]).some((x) => equal(x, v))) return false; return true; }
  return equal(sup, sub);
}

export const objectBuiltins: Readonly<Record<string, Builtin>> = {
  'object.get': b(3, (a) => {
    const o = a[0] as Value, key = a[1] as Value, def = a[2] as Value;
    if (!(o instanceof RObject)) return anyOf('object.get', a, 0, 'object');
    if (Array.isArray(key)) {
      let cur: Value | undefined = o;
      for (const k of key as readonly Value[]) { cur = cur === undefined ? undefined : index(cur, k); if (cur === undefined) return def; }
      return cur ?? def;
    }
    return o.get(key) ?? def;
  }),
  'object.keys': b(1, (a) => new RSet(obj('object.keys', a, 0).keys())),
  'object.remove': b(2, (a) => {
    const o = obj('object.remove', a, 0);
    const ks = new RSet(keysOf('object.remove', a, 1));
    return new RObject([...o.entries()].filter(([k]) => !ks.has(k)));
  }),
  'object.filter': b(2, (a) => {
    const o = obj('object.filter', a, 0);
    const ks = new RSet(keysOf('object.filter', a, 1));
    return new RObject([...o.entries()].filter(([k]) => ks.has(k)));
  }),
  'object.union': b(2, (a) => mergeUnion(obj('object.union', a, 0), obj('object.union', a, 1))),
  'object.union_n': b(1, (a) => arr('object.union_n', a, 0).reduce<Value>((acc, x) => (x instanceof RObject ? mergeUnion(acc, x) : anyOf('object.union_n', a, 0, 'array')), new RObject())),
  'object.subset': b(2, (a) => {
    const [x, y] = a as [Value, Value];
    const ok = (v: Value): boolean => v instanceof RObject || v instanceof RSet || Array.isArray(v);
    if (!ok(x)) return anyOf('object.subset', a, 0, 'one of {array, object, set}');
    if (!ok(y)) return anyOf('object.subset', a, 1, 'one of {array, object, set}');
    if (x instanceof RObject !== y instanceof RObject) fail('object.subset: both arguments must be objects');
    return subset(x, y);
  }),
  'json.filter': b(2, (a) => filterDoc(obj('json.filter', a, 0), buildTree(parsePaths('json.filter', a, 1))) ?? new RObject()),
  'json.remove': b(2, (a) => removeDoc(obj('json.remove', a, 0), buildTree(parsePaths('json.remove', a, 1))) ?? new RObject()),
};
