/**
 * Name resolution for one rule or query: local scopes (`:=`, `some`, `every`, comprehensions) get unique names so
 * shadowing works, wildcards become fresh vars, rule names of the package and import aliases become `data` refs,
 * and call targets become either a user function path (`data.pkg.f`) or a builtin name.
 */
import { RegoError } from './errors.js';
import type { Body, Expr, Term, With } from './ast.js';
import { scalar, vr } from './ast.js';

export interface ResolveEnv {
  readonly pkg: readonly string[];
  /** Rule and function names declared in the package (all modules). */
  readonly ruleNames: ReadonlySet<string>;
  readonly imports: ReadonlyMap<string, Term>;
  readonly isFunction: (path: string) => boolean;
  readonly isBuiltin: (name: string) => boolean;
  /** Declared arity of a builtin or user function (-1: variadic). */
  readonly arityOf?: (op: string) => number | undefined;
}

let counter = 0;
const HOIST_NEGATED_CALL_REFS = (op: string): boolean => op.startsWith('data.');
const fresh = (base: string): string => `${base}$${++counter}`;

class Scope {
  readonly names = new Map<string, string>();
  readonly assigned = new Set<string>();
  constructor(readonly parent: Scope | undefined) {}
  lookup(n: string): string | undefined { return this.names.get(n) ?? this.parent?.lookup(n); }
}

export class Resolver {
  constructor(private readonly env: ResolveEnv) {}

  newScope(parent?: Scope): Scope { return new Scope(parent); }

  /** Declares function arguments and other names that must shadow rule names without renaming. */
  declarePlain(scope: Scope, t: Term): void {
    for (const n of patternVarNames(t)) if (n !== '_') scope.names.set(n, n);
  }

  body(body: Body, scope: Scope): Expr[] {
    const out: Expr[] = [];
    for (const e of body) {
      const withs: With[] = e.withs.map((w) => ({ target: this.withTarget(w.target), value: this.withValue(w.value, scope) }));
      const base = { negated: e.negated, withs, loc: e.loc };
      switch (e.kind) {
        case 'somedecl':
          for (const v of e.vars) scope.names.set(v, fresh(v));
          break;
        case 'somein': {
          const domain = this.term(e.domain, scope);
          const key = e.key ? this.declare(e.key, scope, false) : undefined;
          out.push({ ...base, kind: 'somein', key, value: this.declare(e.value, scope, false), domain });
          break;
        }
        case 'assign': {
          const right = this.term(e.right, scope);
          out.push({ ...base, kind: 'assign', left: this.declare(e.left, scope, true, e), right });
          break;
        }
        case 'every': {
          const domain = this.term(e.domain, scope);
          const inner = new Scope(scope);
          const key = e.key ? this.declare(e.key, inner, false) : undefined;
          const value = this.declare(e.value, inner, false);
          out.push({ ...base, kind: 'every', key, value, domain, body: this.body(e.body, inner) });
          break;
        }
        case 'unify':
          out.push({ ...base, kind: 'unify', left: this.term(e.left, scope), right: this.term(e.right, scope) });
          break;
        case 'term': {
          const term = this.term(e.term, scope);
          if (e.negated && term.type === 'call' && HOIST_NEGATED_CALL_REFS(term.op)) {
            // Like OPA's rewriteDynamicTerms: refs in a negated call's arguments are evaluated before the
            // negation, so an undefined argument makes the expression undefined rather than true.
            const args = term.args.map((a) => {
              if (a.type !== 'ref') return a;
              const v = vr(fresh('__local'));
              out.push({ negated: false, withs, loc: e.loc, kind: 'unify', left: v, right: a });
              return v;
            });
            out.push({ ...base, kind: 'term', term: { ...term, args } });
          } else out.push({ ...base, kind: 'term', term });
          break;
        }
      }
    }
    return out;
  }

  private declare(t: Term, scope: Scope, assign: boolean, e?: Expr): Term {
    for (const n of patternVarNames(t)) {
      if (n === '_') continue;
      if (assign && scope.assigned.has(n)) throw new RegoError('rego_compile_error', `var ${n} assigned above`, e?.loc);
      if (assign) scope.assigned.add(n);
      scope.names.set(n, fresh(n));
    }
    return this.term(t, scope);
  }

  term(t: Term, scope: Scope): Term {
    switch (t.type) {
      case 'scalar': case 'value': return t;
      case 'var': return this.variable(t.name, scope);
      case 'ref': {
        const head = t.head.type === 'var' ? this.variable(t.head.name, scope) : this.term(t.head, scope);
        const path = t.path.map((p) => this.term(p, scope));
        return head.type === 'ref' ? { type: 'ref', head: head.head, path: [...head.path, ...path] } : { type: 'ref', head, path };
      }
      case 'array': return { type: 'array', items: t.items.map((x) => this.term(x, scope)) };
      case 'set': return { type: 'set', items: t.items.map((x) => this.term(x, scope)) };
      case 'object': return { type: 'object', items: t.items.map(([k, v]) => [this.term(k, scope), this.term(v, scope)] as const) };
      case 'arraycomp': case 'setcomp': {
        const inner = new Scope(scope);
        const body = this.body(t.body, inner);
        return { type: t.type, term: this.term(t.term, inner), body };
      }
      case 'objectcomp': {
        const inner = new Scope(scope);
        const body = this.body(t.body, inner);
        return { type: 'objectcomp', key: this.term(t.key, inner), value: this.term(t.value, inner), body };
      }
      case 'call': {
        const op = this.callTarget(t.op, t.loc);
        const arity = this.env.arityOf?.(op);
        if (arity !== undefined && arity >= 0 && (t.args.length < arity || t.args.length > arity + 1)) {
          throw new RegoError('rego_type_error', `${op}: ${t.args.length < arity ? 'too few' : 'too many'} arguments (want ${arity}, got ${t.args.length})`, t.loc);
        }
        return { type: 'call', op, args: t.args.map((a) => this.term(a, scope)), ...(t.loc ? { loc: t.loc } : {}) };
      }
    }
  }

  private variable(name: string, scope: Scope): Term {
    if (name === '_') return vr(fresh('_'));
    const local = scope.lookup(name);
    if (local !== undefined) return vr(local);
    if (name === 'input' || name === 'data') return vr(name);
    if (this.env.ruleNames.has(name)) return { type: 'ref', head: vr('data'), path: [...this.env.pkg, name].map(scalar) };
    const imp = this.env.imports.get(name);
    if (imp) return imp;
    return vr(name);
  }

  callTarget(op: string, loc?: Expr['loc']): string {
    const parts = op.split('.');
    const first = parts[0] as string;
    let full: string | undefined;
    if (first === 'data') full = op;
    else if (this.env.ruleNames.has(first)) full = ['data', ...this.env.pkg, ...parts].join('.');
    else {
      const imp = this.env.imports.get(first);
      if (imp && imp.type === 'ref' && imp.head.type === 'var' && imp.head.name === 'data') {
        full = ['data', ...imp.path.map((p) => String(p.type === 'scalar' ? p.value : '?')), ...parts.slice(1)].join('.');
      }
    }
    if (full !== undefined && this.env.isFunction(full)) return full;
    if (full === undefined && this.env.isBuiltin(op)) return op;
    if (full !== undefined && this.env.isBuiltin(op)) return op;
    throw new RegoError('rego_type_error', `undefined function ${op}`, loc);
  }

  /** A `with` value naming a builtin (not shadowed by a local or rule) becomes `$func.<name>`. */
  private withValue(t: Term, scope: Scope): Term {
    const head = t.type === 'ref' ? t.head : t;
    if (head.type === 'var' && scope.lookup(head.name) === undefined && !this.env.ruleNames.has(head.name) && !this.env.imports.has(head.name)) {
      const parts = [head.name];
      for (const p of t.type === 'ref' ? t.path : []) { if (p.type !== 'scalar' || typeof p.value !== 'string') return this.term(t, scope); parts.push(p.value); }
      const name = parts.join('.');
      if (this.env.isBuiltin(name)) return { type: 'ref', head: vr('$func'), path: [scalar(name)] };
    }
    return this.term(t, scope);
  }

  /** `with` targets: `input...`, `data...` refs stay refs; function names become a call term with no args. */
  private withTarget(t: Term): Term {
    const head = t.type === 'ref' ? t.head : t;
    if (head.type === 'var' && head.name === 'data' && t.type === 'ref' && t.path.every((p) => p.type === 'scalar' && typeof p.value === 'string')) {
      const name = ['data', ...t.path.map((p) => String(p.type === 'scalar' ? p.value : ''))].join('.');
      if (this.env.isFunction(name)) return { type: 'call', op: name, args: [] };
    }
    if (head.type === 'var' && (head.name === 'input' || head.name === 'data')) return t;
    if (head.type === 'var') {
      const name = [head.name, ...(t.type === 'ref' ? t.path.map((p) => String(p.type === 'scalar' ? p.value : '?')) : [])].join('.');
      if (this.env.ruleNames.has(head.name) && !this.env.isFunction(['data', ...this.env.pkg, name].join('.'))) {
        return { type: 'ref', head: vr('data'), path: [...this.env.pkg, ...name.split('.')].map(scalar) };
      }
      return { type: 'call', op: this.callTarget(name), args: [] };
    }
    throw new RegoError('rego_compile_error', 'with keyword target must reference existing input, data, or a function');
  }
}

/** Vars in pattern positions: the term itself or inside array / object / set literals (not refs, calls, comprehensions). */
export function patternVarNames(t: Term, out: string[] = []): string[] {
  switch (t.type) {
    case 'var': out.push(t.name); break;
    case 'array': case 'set': for (const x of t.items) patternVarNames(x, out); break;
    case 'object': for (const [, v] of t.items) patternVarNames(v, out); break;
    default: break;
  }
  return out;
}
