/**
 * Safety: reorders each body so that every expression runs once the variables it needs are bound (like OPA's
 * reorderBodyForSafety), recursing into comprehensions and `every`, and reports `rego_unsafe_var_error` otherwise.
 */
import { RegoError } from './errors.js';
import type { Body, Expr, Term } from './ast.js';

interface Info { readonly pattern: Set<string>; readonly needed: Set<string>; readonly produced: Set<string> }
const info = (): Info => ({ pattern: new Set(), needed: new Set(), produced: new Set() });
type Mode = 'pattern' | 'needed' | 'produced';

export type ArityOf = (op: string) => number | undefined;

export const displayName = (v: string): string => v.replace(/\$\d+$/, '');

export class Safety {
  constructor(private readonly arityOf: ArityOf) {}

  /** Orders `body` given the vars bound before it and the vars visible from enclosing scopes. */
  order(body: Body, bound0: ReadonlySet<string>, outerVisible: ReadonlySet<string>): { body: Expr[]; bound: Set<string> } {
    const visible = new Set(outerVisible);
    for (const e of body) for (const v of exprVars(e, false)) visible.add(v);
    const exprs = body.map((e) => this.nested(e, visible));
    const bound = new Set(bound0);
    const out: Expr[] = [];
    const pending = [...exprs];
    while (pending.length > 0) {
      let progressed = false;
      for (let i = 0; i < pending.length; i++) {
        const e = pending[i] as Expr;
        const produced = this.schedule(e, bound, visible, exprs);
        if (produced) {
          for (const v of produced) bound.add(v);
          out.push(e);
          pending.splice(i, 1);
          progressed = true;
          break;
        }
      }
      if (!progressed) {
        const e = pending[0] as Expr;
        const unsafe = [...exprVars(e, true)].filter((v) => !bound.has(v) && !v.startsWith('_$'));
        const names = (unsafe.length > 0 ? unsafe : [...exprVars(e, true)]).map(displayName);
        throw new RegoError('rego_unsafe_var_error', `var ${[...new Set(names)].sort().join(', var ')} is unsafe`, e.loc);
      }
    }
    return { body: out, bound };
  }

  private nested(e: Expr, visible: ReadonlySet<string>): Expr {
    const t = (x: Term): Term => this.nestedTerm(x, visible);
    const withs = e.withs.map((w) => ({ target: w.target, value: t(w.value) }));
    switch (e.kind) {
      case 'term': return { ...e, withs, term: t(e.term) };
      case 'unify': case 'assign': return { ...e, withs, left: t(e.left), right: t(e.right) };
      case 'somein': return { ...e, withs, domain: t(e.domain), value: t(e.value), key: e.key ? t(e.key) : undefined };
      case 'every': {
        const kv = new Set([...(e.key ? termVars(e.key) : []), ...termVars(e.value)]);
        const inner = this.order(e.body, new Set([...visible, ...kv]), new Set([...visible, ...kv]));
        return { ...e, withs, domain: t(e.domain), body: inner.body };
      }
      case 'somedecl': return e;
    }
  }

  nestedTerm(x: Term, visible: ReadonlySet<string>): Term {
    const t = (y: Term): Term => this.nestedTerm(y, visible);
    switch (x.type) {
      case 'ref': return { type: 'ref', head: t(x.head), path: x.path.map(t) };
      case 'array': case 'set': return { type: x.type, items: x.items.map(t) };
      case 'object': return { type: 'object', items: x.items.map(([k, v]) => [t(k), t(v)] as const) };
      case 'call': return { ...x, args: x.args.map(t) };
      case 'arraycomp': case 'setcomp': {
        const r = this.order(x.body, visible, visible);
        this.checkHead([x.term], r.bound);
        return { type: x.type, term: x.term, body: r.body };
      }
      case 'objectcomp': {
        const r = this.order(x.body, visible, visible);
        this.checkHead([x.key, x.value], r.bound);
        return { type: 'objectcomp', key: x.key, value: x.value, body: r.body };
      }
      default: return x;
    }
  }

  checkHead(terms: readonly Term[], bound: ReadonlySet<string>): void {
    const unsafe = new Set<string>();
    for (const t of terms) {
      const i = this.collect(t, 'needed', new Set());
      for (const v of [...i.needed, ...i.pattern]) if (!bound.has(v)) unsafe.add(v);
    }
    if (unsafe.size > 0) throw new RegoError('rego_unsafe_var_error', `var ${[...unsafe].map(displayName).sort().join(', var ')} is unsafe`);
  }

  /** The vars `e` binds when it can run now, or undefined. */
  private schedule(e: Expr, bound: ReadonlySet<string>, visible: ReadonlySet<string>, all: readonly Expr[]): Set<string> | undefined {
    const has = (s: Iterable<string>): boolean => { for (const v of s) if (!bound.has(v)) return false; return true; };
    for (const w of e.withs) if (!has(this.collect(w.value, 'needed', visible).needed) || !has(this.collect(w.value, 'needed', visible).pattern)) return undefined;
    if (e.negated) {
      const needed = [...exprVars(e, true)].filter((v) => bound.has(v) || visible.has(v) && (all.some((o) => o !== e && exprVars(o, true).has(v))));
      return has(needed) ? new Set() : undefined;
    }
    switch (e.kind) {
      case 'somedecl': return new Set();
      case 'term': {
        const t = e.term;
        if (t.type === 'call') {
          const arity = this.arityOf(t.op);
          const hasOut = arity !== undefined && t.args.length === arity + 1;
          const ins = hasOut ? t.args.slice(0, -1) : t.args;
          const i = info();
          for (const a of ins) this.collectInto(a, 'needed', visible, i);
          if (!has([...i.needed].filter((v) => !i.produced.has(v))) || !has([...i.pattern].filter((v) => !i.produced.has(v)))) return undefined;
          if (hasOut) return this.unify(t.args[t.args.length - 1] as Term, { type: 'value', value: null }, new Set([...bound, ...i.produced]), visible, i.produced);
          return i.produced;
        }
        const i = this.collect(t, 'needed', visible);
        return has([...i.needed].filter((v) => !i.produced.has(v))) && has(i.pattern) ? i.produced : undefined;
      }
      case 'unify': case 'assign': return this.unify(e.left, e.right, bound, visible, new Set());
      case 'somein': {
        const d = this.collect(e.domain, 'needed', visible);
        if (!has(d.needed) || !has(d.pattern)) return undefined;
        const out = new Set(d.produced);
        for (const t of e.key ? [e.key, e.value] : [e.value]) {
          const i = this.collect(t, 'pattern', visible);
          if (!has(i.needed)) return undefined;
          for (const v of [...i.pattern, ...i.produced]) out.add(v);
        }
        return out;
      }
      case 'every': {
        const needed = [...exprVars(e, true)].filter((v) => visible.has(v));
        const kv = new Set([...(e.key ? termVars(e.key) : []), ...termVars(e.value)]);
        return has(needed.filter((v) => !kv.has(v))) ? new Set() : undefined;
      }
    }
  }

  private unify(a: Term, b: Term, bound: ReadonlySet<string>, visible: ReadonlySet<string>, extra: ReadonlySet<string>): Set<string> | undefined {
    const has = (s: Iterable<string>, bnd: ReadonlySet<string>): boolean => { for (const v of s) if (!bnd.has(v)) return false; return true; };
    if (a.type === 'array' && b.type === 'array' && a.items.length === b.items.length) {
      const local = new Set(bound);
      const pending = a.items.map((x, n) => [x, b.items[n] as Term] as const);
      while (pending.length > 0) {
        const idx = pending.findIndex(([x, y]) => this.unify(x, y, local, visible, new Set()) !== undefined);
        if (idx < 0) return undefined;
        const [x, y] = pending[idx] as readonly [Term, Term];
        for (const v of this.unify(x, y, local, visible, new Set()) ?? []) local.add(v);
        pending.splice(idx, 1);
      }
      const out = new Set([...extra]);
      for (const v of local) if (!bound.has(v)) out.add(v);
      return out;
    }
    const pairs = objectPairs(a, b);
    if (pairs) return this.unify({ type: 'array', items: pairs.map((p) => p[0]) }, { type: 'array', items: pairs.map((p) => p[1]) }, bound, visible, extra);
    const ia = this.collect(a, 'pattern', visible), ib = this.collect(b, 'pattern', visible);
    const aEval = has(ia.needed, bound) && has(ia.pattern, bound);
    const bEval = has(ib.needed, bound) && has(ib.pattern, bound);
    if (aEval && has(ib.needed, new Set([...bound, ...ia.produced]))) return new Set([...extra, ...ia.produced, ...ib.produced, ...ib.pattern]);
    if (bEval && has(ia.needed, new Set([...bound, ...ib.produced]))) return new Set([...extra, ...ib.produced, ...ia.produced, ...ia.pattern]);
    return undefined;
  }

  private collect(t: Term, mode: Mode, visible: ReadonlySet<string>): Info {
    const i = info();
    this.collectInto(t, mode, visible, i);
    return i;
  }

  private collectInto(t: Term, mode: Mode, visible: ReadonlySet<string>, i: Info): void {
    switch (t.type) {
      case 'var':
        if (t.name === 'data' || t.name === 'input' || t.name === '$func') return;
        (mode === 'pattern' ? i.pattern : mode === 'needed' ? i.needed : i.produced).add(t.name);
        return;
      case 'array': case 'set': for (const x of t.items) this.collectInto(x, mode, visible, i); return;
      case 'object':
        for (const [k, v] of t.items) { this.collectInto(k, mode === 'produced' ? 'produced' : 'needed', visible, i); this.collectInto(v, mode, visible, i); }
        return;
      case 'ref':
        if (t.head.type === 'var') { if (t.head.name !== 'data' && t.head.name !== 'input' && t.head.name !== '$func') i.needed.add(t.head.name); }
        else this.collectInto(t.head, 'needed', visible, i);
        for (const p of t.path) this.collectInto(p, p.type === 'var' || p.type === 'array' || p.type === 'object' ? 'produced' : 'needed', visible, i);
        return;
      case 'call': for (const a of t.args) this.collectInto(a, 'needed', visible, i); return;
      case 'arraycomp': case 'setcomp': case 'objectcomp':
        for (const v of termVars(t)) if (visible.has(v)) i.needed.add(v);
        return;
      default: return;
    }
  }
}

/** All vars of a term, including inside comprehensions. */
export function termVars(t: Term, out: Set<string> = new Set()): Set<string> {
  switch (t.type) {
    case 'var': if (t.name !== 'data' && t.name !== 'input' && t.name !== '$func') out.add(t.name); break;
    case 'ref': termVars(t.head, out); for (const p of t.path) termVars(p, out); break;
    case 'array': case 'set': for (const x of t.items) termVars(x, out); break;
    case 'object': for (const [k, v] of t.items) { termVars(k, out); termVars(v, out); } break;
    case 'call': for (const a of t.args) termVars(a, out); break;
    case 'arraycomp': case 'setcomp': termVars(t.term, out); for (const e of t.body) for (const v of exprVars(e, true)) out.add(v); break;
    case 'objectcomp': termVars(t.key, out); termVars(t.value, out); for (const e of t.body) for (const v of exprVars(e, true)) out.add(v); break;
    default: break;
  }
  return out;
}

/** Vars of an expression; `deep` includes those inside comprehensions and `every` bodies. */
export function exprVars(e: Expr, deep: boolean): Set<string> {
  const out = new Set<string>();
  const add = (t: Term): void => {
    if (!deep && (t.type === 'arraycomp' || t.type === 'setcomp' || t.type === 'objectcomp')) return;
    if (deep) { termVars(t, out); return; }
    switch (t.type) {
      case 'var': if (t.name !== 'data' && t.name !== 'input' && t.name !== '$func') out.add(t.name); break;
      case 'ref': add(t.head); t.path.forEach(add); break;
      case 'array': case 'set': t.items.forEach(add); break;
      case 'object': for (const [k, v] of t.items) { add(k); add(v); } break;
      case 'call': t.args.forEach(add); break;
      default: break;
    }
  };
  for (const w of e.withs) add(w.value);
  switch (e.kind) {
    case 'term': add(e.term); break;
    case 'unify': case 'assign': add(e.left); add(e.right); break;
    case 'somein': add(e.domain); add(e.value); if (e.key) add(e.key); break;
    case 'every': add(e.domain); if (deep) for (const x of e.body) for (const v of exprVars(x, true)) out.add(v); break;
    case 'somedecl': break;
  }
  return out;
}

/** Vars of a term outside comprehensions. */
export function shallowVars(t: Term): Set<string> {
  return exprVars({ kind: 'term', term: t, negated: false, withs: [], loc: { file: '', row: 0, col: 0 } }, false);
}

/** Object literals with the same ground scalar keys unify key by key: the matching value pairs, else undefined. */
export function objectPairs(a: Term, b: Term): (readonly [Term, Term])[] | undefined {
  if (a.type !== 'object' || b.type !== 'object' || a.items.length !== b.items.length) return undefined;
  const key = (t: Term): string | undefined => (t.type === 'scalar' ? JSON.stringify(t.value) : undefined);
  const out: (readonly [Term, Term])[] = [];
  for (const [ka, va] of a.items) {
    const k = key(ka);
    if (k === undefined) return undefined;
    const m = b.items.find(([kb]) => key(kb) === k);
    if (!m) return undefined;
    out.push([va, m[1]]);
  }
  return out;
}
