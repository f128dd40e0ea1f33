/**
 * Top-down evaluator with backtracking in continuation-passing style. Every enumeration calls its continuation
 * once per solution; a continuation returns true to stop the enumeration (first solution found, `not`, `every`).
 * Bindings live in one Map per rule body and are undone after each continuation returns.
 */
import { BuiltinError, RegoError } from './errors.js';
import type { Body, Expr, Term } from './ast.js';
import type { Value } from './value.js';
import { RObject, RSet, equal, index, isObject, keyOf } from './value.js';
import type { EvalContext } from './context.js';
import { withContext } from './context.js';
import { callFunction, dataWalk, nodeValue } from './rules.js';
import { objectPairs } from './safety.js';

export type Env = Map<string, Value>;
export type K = () => boolean;
export type VK = (v: Value) => boolean;

const CHECK_EVERY = 4096;

export class Evaluator {
  private steps = 0;
  depth = 0;

  constructor(public ctx: EvalContext) {}

  tick(): void {
    if (++this.steps % CHECK_EVERY === 0 && this.ctx.limits.deadline !== undefined && performance.now() > this.ctx.limits.deadline) {
      throw new RegoError('eval_cancel_error', `evaluation exceeded its time limit of ${this.ctx.limits.timeoutMs} ms`);
    }
  }

  body(body: Body, i: number, env: Env, k: K): boolean {
    if (i === body.length) return k();
    this.tick();
    const e = body[i] as Expr;
    const next: K = () => this.body(body, i + 1, env, k);
    if (e.withs.length === 0) return this.expr(e, env, next);
    let result = false;
    withContext(this, e, env, (inner) => {
      const saved = this.ctx;
      this.ctx = inner;
      try {
        result = this.expr(e, env, () => {
          this.ctx = saved;
          try { return next(); } finally { this.ctx = inner; }
        });
      } finally {
        this.ctx = saved;
      }
    });
    return result;
  }

  expr(e: Expr, env: Env, k: K): boolean {
    if (e.negated) {
      let found = false;
      this.exprPositive(e, env, () => { found = true; return true; });
      return found ? false : k();
    }
    return this.exprPositive(e, env, k);
  }

  private exprPositive(e: Expr, env: Env, k: K): boolean {
    switch (e.kind) {
      case 'term': {
        const t = e.term;
        if (t.type === 'call') return this.call(t, env, (v, hasOut) => (hasOut || v !== false ? k() : false));
        return this.term(t, env, (v) => (v !== false ? k() : false));
      }
      case 'unify': case 'assign': return this.unify(e.left, e.right, env, k);
      case 'somein': return this.term(e.domain, env, (d) => this.each(d, (key, val) =>
        e.key ? this.unifyValue(e.key, key, env, () => this.unifyValue(e.value, val, env, k)) : this.unifyValue(e.value, val, env, k)));
      case 'every': return this.term(e.domain, env, (d) => {
        const ok = !this.each(d, (key, val) => {
          let found = false;
          const inner: K = () => this.body(e.body, 0, env, () => { found = true; return true; });
          if (e.key) this.unifyValue(e.key, key, env, () => this.unifyValue(e.value, val, env, inner));
          else this.unifyValue(e.value, val, env, inner);
          return !found;
        });
        return ok ? k() : false;
      });
      case 'somedecl': return k();
    }
  }

  /** Enumerates (key, value) of an array, object or set; f returns true to stop. */
  each(d: Value, f: (k: Value, v: Value) => boolean): boolean {
    if (Array.isArray(d)) { for (let i = 0; i < d.length; i++) if (f(i, d[i] as Value)) return true; return false; }
    if (d instanceof RObject) { for (const [kk, vv] of d.entries()) if (f(kk, vv)) return true; return false; }
    if (d instanceof RSet) { for (const x of d.values()) if (f(x, x)) return true; return false; }
    return false;
  }

  term(t: Term, env: Env, k: VK): boolean {
    switch (t.type) {
      case 'scalar': case 'value': return k(t.value);
      case 'var': {
        const v = env.get(t.name);
        if (v !== undefined) return k(v);
        if (t.name === 'input') return this.ctx.input === undefined ? false : k(this.ctx.input);
        if (t.name === 'data') { const d = nodeValue(this, this.ctx.program.root, this.ctx.data); return d === undefined ? false : k(d); }
        throw new RegoError('eval_internal_error', `var ${t.name} is unbound`);
      }
      case 'ref': return this.ref(t, env, k);
      case 'array': return this.list(t.items, 0, env, [], (vs) => k(vs));
      case 'set': return this.list(t.items, 0, env, [], (vs) => k(new RSet(vs)));
      case 'object': return this.objectTerm(t.items, 0, env, new RObject(), k);
      case 'arraycomp': {
        const out: Value[] = [];
        this.body(t.body, 0, env, () => this.term(t.term, env, (v) => { out.push(v); return false; }));
        return k(out);
      }
      case 'setcomp': {
        const out = new RSet();
        this.body(t.body, 0, env, () => this.term(t.term, env, (v) => { out.add(v); return false; }));
        return k(out);
      }
      case 'objectcomp': {
        const out = new RObject();
        this.body(t.body, 0, env, () => this.term(t.key, env, (kv) => this.term(t.value, env, (vv) => {
          const prev = out.get(kv);
          if (prev !== undefined && !equal(prev, vv)) throw new RegoError('eval_conflict_error', 'object keys must be unique');
          out.set(kv, vv);
          return false;
        })));
        return k(out);
      }
      case 'call': return this.call(t, env, (v) => k(v));
    }
  }

  list(items: readonly Term[], i: number, env: Env, acc: Value[], k: (vs: Value[]) => boolean): boolean {
    if (i === items.length) return k(acc.slice());
    return this.term(items[i] as Term, env, (v) => { acc[i] = v; return this.list(items, i + 1, env, acc, k); });
  }

  private objectTerm(items: readonly (readonly [Term, Term])[], i: number, env: Env, acc: RObject, k: VK): boolean {
    if (i === items.length) { const o = new RObject(acc.entries()); return k(o); }
    const [kt, vt] = items[i] as readonly [Term, Term];
    return this.term(kt, env, (kv) => this.term(vt, env, (vv) => {
      const had = acc.map.get(keyOf(kv));
      acc.set(kv, vv);
      const r = this.objectTerm(items, i + 1, env, acc, k);
      if (had) acc.map.set(keyOf(kv), had); else acc.map.delete(keyOf(kv));
      return r;
    }));
  }

  ref(t: Extract<Term, { type: 'ref' }>, env: Env, k: VK): boolean {
    const h = t.head;
    if (h.type === 'var') {
      const bound = env.get(h.name);
      if (bound !== undefined) return this.walk(bound, t.path, 0, env, k);
      if (h.name === 'input') return this.ctx.input === undefined ? false : this.walk(this.ctx.input, t.path, 0, env, k);
      if (h.name === 'data') return dataWalk(this, this.ctx.program.root, this.ctx.data, t.path, 0, env, k);
      throw new RegoError('eval_internal_error', `var ${h.name} is unbound`);
    }
    return this.term(h, env, (hv) => this.walk(hv, t.path, 0, env, k));
  }

  walk(v: Value, path: readonly Term[], i: number, env: Env, k: VK): boolean {
    if (i === path.length) return k(v);
    const seg = path[i] as Term;
    if (seg.type === 'scalar') {
      const c = index(v, seg.value);
      return c === undefined ? false : this.walk(c, path, i + 1, env, k);
    }
    if (seg.type === 'var' && env.has(seg.name)) {
      const c = index(v, env.get(seg.name) as Value);
      return c === undefined ? false : this.walk(c, path, i + 1, env, k);
    }
    if (this.hasUnbound(seg, env)) {
      return this.each(v, (key, child) => this.unifyValue(seg, key, env, () => this.walk(Array.isArray(v) || isObject(v) ? child : key, path, i + 1, env, k)));
    }
    return this.term(seg, env, (key) => {
      const c = index(v, key);
      return c === undefined ? false : this.walk(c, path, i + 1, env, k);
    });
  }

  /** True when `t` has a var in a pattern position that is not bound. */
  hasUnbound(t: Term, env: Env): boolean {
    switch (t.type) {
      case 'var': return !env.has(t.name) && t.name !== 'input' && t.name !== 'data';
      case 'array': case 'set': return t.items.some((x) => this.hasUnbound(x, env));
      case 'object': return t.items.some(([, x]) => this.hasUnbound(x, env));
      default: return false;
    }
  }

  unify(a: Term, b: Term, env: Env, k: K): boolean {
    const pairs = objectPairs(a, b);
    if (pairs) {
      const step = (i: number): boolean => (i === pairs.length ? k() : this.unify((pairs[i] as readonly [Term, Term])[0], (pairs[i] as readonly [Term, Term])[1], env, () => step(i + 1)));
      return step(0);
    }
    if (a.type === 'array' && b.type === 'array') {
      if (a.items.length !== b.items.length) return false;
      const step = (i: number): boolean => (i === a.items.length ? k() : this.unify(a.items[i] as Term, b.items[i] as Term, env, () => step(i + 1)));
      return step(0);
    }
    if (this.hasUnbound(a, env)) return this.term(b, env, (vb) => this.unifyValue(a, vb, env, k));
    return this.term(a, env, (va) => this.unifyValue(b, va, env, k));
  }

  unifyValue(t: Term, v: Value, env: Env, k: K): boolean {
    switch (t.type) {
      case 'var': {
        const cur = env.get(t.name);
        if (cur !== undefined) return equal(cur, v) ? k() : false;
        if (t.name === 'input' || t.name === 'data') return this.term(t, env, (x) => (equal(x, v) ? k() : false));
        env.set(t.name, v);
        try { return k(); } finally { env.delete(t.name); }
      }
      case 'scalar': case 'value': return equal(t.value, v) ? k() : false;
      case 'array': {
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        const arr = v as readonly Value[];
        const step = (i: number): boolean => (i === arr.length ? k() : this.unifyValue(t.items[i] as Term, arr[i] as Value, env, () => step(i + 1)));
        return step(0);
      }
      case 'object': {
        if (!isObject(v) || v.size !== t.items.length) return false;
        const step = (i: number): boolean => {
          if (i === t.items.length) return k();
          const [kt, vt] = t.items[i] as readonly [Term, Term];
          return this.term(kt, env, (key) => {
            const sub = v.get(key);
            return sub === undefined ? false : this.unifyValue(vt, sub, env, () => step(i + 1));
          });
        };
        return step(0);
      }
      default: return this.term(t, env, (x) => (equal(x, v) ? k() : false));
    }
  }

  /** Calls a builtin or user function; `k` gets the result and whether the call had an output argument. */
  call(t: Extract<Term, { type: 'call' }>, env: Env, k: (v: Value, hasOut: boolean) => boolean): boolean {
    const override = this.ctx.funcOverrides?.get(t.op);
    if (override !== undefined && override.type !== 'call') {
      return this.list(t.args.slice(0, this.arityOf(t.op) ?? t.args.length), 0, env, [], () => this.term(override, env, (v) => this.out(t, v, env, k)));
    }
    const op = override?.type === 'call' ? override.op : t.op;
    const arity = this.arityOf(op) ?? t.args.length;
    const ins = t.args.length > arity && arity >= 0 ? t.args.slice(0, arity) : t.args;
    const late = ins.some((x) => x.type === 'var' && !env.has(x.name) && x.name !== 'input' && x.name !== 'data');
    const evalArgs = late ? (f: (vs: Value[]) => boolean): boolean => this.listLate(ins, env, f) : (f: (vs: Value[]) => boolean): boolean => this.list(ins, 0, env, [], f);
    return evalArgs((args) => {
      if (override?.type === 'call' && op.startsWith('data.')) {
        const saved = this.ctx;
        this.ctx = { ...saved, funcOverrides: undefined, cache: new Map(), fcache: new Map(), inProgress: new Set() };
        let result: Value | undefined;
        try { callFunction(this, op, args, (v) => { result = v; return true; }); } finally { this.ctx = saved; }
        return result === undefined ? false : this.out(t, result, env, k);
      }
      if (op.startsWith('data.')) return callFunction(this, op, args, (v) => this.out(t, v, env, k));
      const b = this.ctx.program.builtins[op];
      if (!b) throw new RegoError('rego_type_error', `undefined function ${op}`);
      let r: Value | undefined;
      try {
        r = b.fn(args, this.ctx.bctx);
      } catch (err) {
        if (err instanceof BuiltinError) {
          if (this.ctx.limits.strict) throw t.loc ? new RegoError(err.code, err.message.replace(/^[a-z_]+: /, ''), t.loc) : err;
          return false;
        }
        if (err instanceof RegoError) throw err;
        if (this.ctx.limits.strict) throw new BuiltinError('eval_builtin_error', `${op}: ${(err as Error).message}`);
        return false;
      }
      if (r === undefined) return false;
      if (b.multi) { for (const x of r as readonly Value[]) if (this.out(t, x, env, k)) return true; return false; }
      return this.out(t, r, env, k);
    });
  }

  /** Evaluates `items` with bare unbound vars last (they get bound by refs in the other items). */
  private listLate(items: readonly Term[], env: Env, k: (vs: Value[]) => boolean): boolean {
    const order = items.map((_, i) => i).sort((x, y) => Number(items[x]?.type === 'var') - Number(items[y]?.type === 'var'));
    const acc: Value[] = new Array<Value>(items.length);
    const step = (n: number): boolean => {
      if (n === order.length) return k(acc.slice());
      const i = order[n] as number;
      return this.term(items[i] as Term, env, (v) => { acc[i] = v; return step(n + 1); });
    };
    return step(0);
  }

  private out(t: Extract<Term, { type: 'call' }>, v: Value, env: Env, k: (v: Value, hasOut: boolean) => boolean): boolean {
    const arity = this.arityOf(t.op);
    if (arity !== undefined && arity >= 0 && t.args.length === arity + 1) return this.unifyValue(t.args[arity] as Term, v, env, () => k(v, true));
    return k(v, false);
  }

  arityOf(op: string): number | undefined { return this.ctx.program.arityOf(op); }
}

